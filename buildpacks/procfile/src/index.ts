/**
 * cnbkit's Procfile buildpack, shared by every language. Detect passes when the app has a
 * Procfile, and reads it there: its processes travel in the build plan (`requires` procfile
 * with `metadata.processes`, as Paketo's procfile buildpack passes them), so a buildpack
 * earlier in the group that rewrites the app dir (cnbkit/java replaces it with the exploded
 * jar) cannot take them away. Build turns each entry into a process run with `bash -c`.
 *
 * Ordered after the language buildpacks in a group, its processes replace inferred ones of
 * the same type: the lifecycle keeps the last buildpack's definition of a type, and a later
 * `default = true` wins.
 */
import { buildpack, CnbError, type DetectContext, type DetectResult, detectRules } from "@cnbkit/framework";
import { entriesFromPlan, type ProcfileEntry, parseProcfile, procfileProcesses } from "./procfile.js";
import { checkPrograms } from "./check-programs.js";

export default buildpack({
  // Declarative, so the packaged bin/detect is a sh script that never starts Node when there
  // is no Procfile; with one, the TypeScript detect reads it into the plan.
  detect: detectRules({
    rules: [{ when: { file: "Procfile" }, outcome: "code" }],
    otherwise: { fail: "no Procfile" },
    code: detectProcfile,
  }),
  async build(ctx) {
    let entries = entriesFromPlan(ctx.plan.all("procfile"));
    if (entries === undefined) {
      const text = await ctx.app.readText("Procfile", { optional: true });
      if (text === undefined) {
        throw new CnbError("Procfile: not found in the app directory, and the build plan carries no processes", {
          hint: "A buildpack before cnbkit/procfile removed it; keep the Procfile in the app",
        });
      }
      entries = parseProcfile(text);
    } else {
      ctx.log.detail("Processes read from the Procfile at detect");
    }
    if (entries.length === 0) ctx.log.warn("Procfile defines no processes");
    const processes = procfileProcesses(entries);
    await checkPrograms(ctx, entries, processes);
    return { processes };
  },
});

/**
 * Passes with the Procfile's processes in the plan. A Procfile that does not parse still
 * passes, with an empty plan: build then reads it again and reports the line at fault, as a
 * build error (detect errors read as "no buildpack group passed").
 */
async function detectProcfile(ctx: DetectContext<unknown>): Promise<DetectResult> {
  let entries: ProcfileEntry[];
  try {
    entries = parseProcfile(await ctx.app.readText("Procfile"));
  } catch (err) {
    if (err instanceof CnbError) return ctx.pass({});
    throw err;
  }
  return ctx.pass({
    provides: [{ name: "procfile" }],
    requires: [{ name: "procfile", metadata: { processes: entries.map(({ type, command }) => ({ type, command })) } }],
  });
}

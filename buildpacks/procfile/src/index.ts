/**
 * cnbkit's Procfile buildpack, shared by every language. Detect passes when the app has a
 * Procfile (with an empty plan: it provides and requires nothing, like Paketo's procfile
 * buildpack); build turns each line into a process run with `bash -c`.
 *
 * Ordered after the language buildpacks in a group, its processes replace inferred ones of
 * the same type: the lifecycle keeps the last buildpack's definition of a type, and a later
 * `default = true` wins.
 */
import { buildpack, detectRules } from "@cnbkit/framework";
import { parseProcfile, procfileProcesses } from "./procfile.js";

export default buildpack({
  // Declarative, so the packaged bin/detect is a sh script that never starts Node.
  detect: detectRules({
    rules: [{ when: { file: "Procfile" }, outcome: { pass: {} } }],
    otherwise: { fail: "no Procfile" },
  }),
  async build(ctx) {
    const entries = parseProcfile(await ctx.app.readText("Procfile"));
    if (entries.length === 0) ctx.log.warn("Procfile defines no processes");
    return { processes: procfileProcesses(entries) };
  },
});

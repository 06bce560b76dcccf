/**
 * The build step that refuses a Procfile whose default process starts a program nothing in
 * the build provides: that image could only exit 127 at start, so it must not pass as a
 * build. Other process types get a warning line, since the image still starts.
 */
import { type BuildContext, CnbError } from "@cnbkit/framework";
import type { ProcfileEntry } from "./procfile.js";
import { layersRootOf, missingProgramHint, programOf, programProvided } from "./start-provided.js";

/** Fails on the default process's missing program; warns on the others'. */
export async function checkPrograms(
  ctx: BuildContext<unknown>,
  entries: readonly ProcfileEntry[],
  processes: readonly { type: string; default: boolean }[],
): Promise<void> {
  const places = { path: ctx.env.PATH ?? "", layersRoot: layersRootOf(ctx.layers.path), app: ctx.app.path };
  const strict = ctx.env.BP_PROCFILE_CHECK !== "false";
  for (const entry of entries) {
    const program = programOf(entry.command);
    if (program === undefined) continue;
    const provided = await programProvided(program, places);
    if (provided === "found") continue;
    if (provided === "unsure") {
      ctx.log.detail(
        `${program} (the ${entry.type} process) is not on disk; a layer reused from the previous image may hold it`,
      );
      continue;
    }
    const isDefault = processes.some((p) => p.type === entry.type && p.default);
    const line = `Procfile:${entry.line}: the ${entry.type} process runs ${JSON.stringify(entry.command)}, but nothing in this build provides ${program} (not on the build's PATH, in a buildpack's layer or in the app)`;
    if (isDefault && strict) throw new CnbError(line, { hint: missingProgramHint(program) });
    ctx.log.warn(`${line}: ${missingProgramHint(program)}`);
  }
}

/**
 * Byte-compiles Python code at build, so the image's imports load .pyc instead of compiling
 * at every start. The .pyc are hash-checked: the tool environment sets SOURCE_DATE_EPOCH
 * (see bytecodeEnv in tool-env.ts), as the lifecycle's fixed file times would make timestamp
 * ones stale.
 */
import { type RunOptions, runTool } from "./run.js";

/** Runs `python -m compileall` quietly on `paths` (nothing to do when there are none). */
export async function compileAll(python: string, paths: readonly string[], opts: RunOptions): Promise<void> {
  if (paths.length === 0) return;
  await runTool([python, "-m", "compileall", "-q", "-j", "0", ...paths], { ...opts, quiet: true });
}

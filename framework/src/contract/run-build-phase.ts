/**
 * The build phase behind a dynamic import: callers outside this folder (the test harness)
 * run build without making build.ts part of detect's static module graph.
 */
import type { BuildOutcome } from "./build.js";
import type { BuildpackDefinition, PhaseIO } from "./contract.js";

/** Runs the build phase of `def` against `io` (see build.ts); loads the build machinery on first call. */
export async function runBuildPhase<M>(def: BuildpackDefinition<M>, io: PhaseIO): Promise<BuildOutcome> {
  const build = await import("./build.js");
  return build.runBuildPhase(def, io);
}

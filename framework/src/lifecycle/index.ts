/**
 * The lifecycle's view of a buildpack: `buildpack({ detect, build })`, the bin/detect and
 * bin/build entry point, the contract (contract.ts: the definition, the detect and build
 * contexts and results) and the phase runners.
 *
 * The build side (build.ts, build-dependencies.ts: layers, SBOMs, downloads, archives) is
 * exported as types only, and {@link runBuildPhase} loads it on first call, so that detect,
 * which shares this module graph, never evaluates it.
 */
export * from "./app-files.js";
export type * from "./build.js";
export type * from "./build-dependencies.js";
export type * from "./buildpack-plan.js";
export type * from "./contract.js";
export * from "./extension-contract.js";
export * from "./extension-main.js";
export type * from "./extension-phases.js";
export { runExtensionDetectPhase, runGeneratePhase } from "./extension-phases.js";
export type { DependencyLayerOptions, InstallOptions } from "./dependency-layer.js";
export * from "./detect.js";
export * from "./detect-rules.js";
// The entry point's shared machinery (invokedAs, exitCodeOf, startPhase) serves the two entry
// points only, so it is not exported.
export { buildpack, main, type Phase, phaseOf, restoreNodeOptions, runPhase } from "./main.js";
export * from "./phase-context.js";
export { runBuildPhase } from "./run-build-phase.js";

/**
 * The contract between a buildpack (or an image extension) and the lifecycle that runs it:
 * `buildpack({ detect, build })` and `extension({ detect, generate })`, the bin/* entry point,
 * the definitions, contexts and results (contract.ts, extension-contract.ts) and the phase
 * runners. Named contract/, not lifecycle/: "lifecycle" is the CNB program that runs the
 * phases (the packager's builder and lifecycle-image stages ship it). Its types stay the main
 * entry's `lifecycle` namespace.
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

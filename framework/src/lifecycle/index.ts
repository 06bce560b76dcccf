/**
 * The lifecycle's view of a buildpack: `buildpack({ detect, build })`, the bin/detect and
 * bin/build entry point, and the detect and build contexts and results.
 *
 * build.ts (layers, SBOMs, downloads, archives) is exported as types only, and
 * {@link runBuildPhase} loads it on first call, so that detect, which shares this module
 * graph, never evaluates it.
 */
export type * from "./build.js";
export type { DependencyLayerOptions } from "./dependency-layer.js";
export * from "./detect.js";
export * from "./detect-rules.js";
export * from "./main.js";
export { runBuildPhase } from "./run-build-phase.js";

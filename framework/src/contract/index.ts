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
// Every name is listed, so that what the main entry's `lifecycle` namespace shows is chosen
// here, not whatever a file happens to export.

// What a buildpack or extension author names: the contexts, definitions and results.
export { AppFiles, type ReadOptions } from "./app-files.js";
export type { Dependencies, ResolvedDependency } from "./build-dependencies.js";
export type { BuildpackPlan, ResolvedPlanEntry } from "./buildpack-plan.js";
export type {
  BaseContext,
  Buildpack,
  BuildpackDefinition,
  BuildpackSelf,
  BuildContext,
  BuildResult,
  DetectContext,
  DetectResult,
  PhaseContext,
  PhaseIO,
  PlanInput,
  PlatformInput,
  StepContext,
} from "./contract.js";
export type {
  DockerfileArg,
  Extension,
  ExtensionContext,
  ExtensionDefinition,
  ExtensionDetectContext,
  ExtensionDetectResult,
  ExtensionPlanInput,
  ExtensionSelf,
  GenerateContext,
  GenerateResult,
} from "./extension-contract.js";
export type { DependencyLayerOptions, InstallOptions, LazyDependencyLayer } from "./dependency-layer.js";
/** The patch rule a dependency layer may declare (`@cnbkit/framework/dependencies` owns it). */
export type { DerivedData, PatchLine, PatchRule } from "../dependencies/patch-rule.js";
export {
  type DetectCondition,
  type DetectOutcome,
  type DetectRule,
  type DetectRulesDefinition,
  detectRules,
  type RuleDetect,
} from "./detect-rules.js";
export { buildpack } from "./main.js";
export { extension } from "./extension-main.js";

// The entry points and phase runners: buildpack()'s and extension()'s machinery, and the
// in-process harness's (testing/). The entry point's shared machinery (invokedAs, exitCodeOf,
// startPhase) serves the two entry points only, so it is not exported.
export type { BuildOutcome } from "./build.js";
export { writeGenerateResult } from "./extension-contract.js";
export { type ExtensionPhase, extensionPhaseOf, runExtensionPhase } from "./extension-main.js";
export { type GenerateOutcome, runExtensionDetectPhase, runGeneratePhase } from "./extension-phases.js";
export { runDetectPhase } from "./detect.js";
export { main, type Phase, phaseOf, restoreNodeOptions, runPhase } from "./main.js";
export { phaseContext } from "./phase-context.js";
export { runBuildPhase } from "./run-build-phase.js";

// The packager's names, deprecated here (they are `@cnbkit/framework/packaging`'s).
export { type DetectOutcomeJson, type DetectRulesJson, detectRulesJson, isRuleDetect } from "./packager-names.js";

/**
 * `@cnbkit/framework`: write Cloud Native Buildpacks in TypeScript.
 *
 * ```ts
 * import { buildpack } from "@cnbkit/framework";
 * export default buildpack({ detect(ctx) { ... }, build(ctx) { ... } });
 * ```
 *
 * This entry holds what a buildpack author writes against: the detect and build contracts,
 * layers, env, exec.d, SBOM components, the logger and errors. The rest lives in subpaths:
 * `@cnbkit/framework/testing` (run detect and build in-process), `/dependencies`
 * (inventory, verified downloads, archives), `/cnb-files` (the CNB file formats and TOML),
 * `/log` (logger and formatting), `/fs` (atomic writes) and `/process` (run a tool, its output
 * streamed line by line).
 *
 * Values exported here are the cheap ones. Build-only machinery (layers, SBOM, downloads,
 * archives) is reached through the build context and exported as types only, so that
 * `detect`, which shares this module graph, never evaluates it.
 */
// At most 40 names here: what a buildpack's code names. The types those names' signatures
// use besides are reachable (and importable) through the four type-only namespaces at the
// end, and from the subpaths that own them (FreshLayerOptions and PlanInput moved there to
// make room for StepContext, the type every step names). `extension`, buildpack()'s
// counterpart for image extensions, is among the 40; its types are in the lifecycle namespace.
export { CnbError, isCnbError } from "./errors/index.js";
export type { Dependency } from "./dependencies/index.js";
export type {
  CachedLayerOptions,
  Layer,
  LayerMetadata,
  Layers,
  LayerState,
  SbomCollector,
} from "./layers/index.js";
// Values come from the file that defines them, not a folder index: a buildpack bundle
// imports this module, and the bundler puts whatever an index reaches into the chunks
// every detect loads (contract/detect.ts says more).
export { buildpack } from "./contract/main.js";
export { extension } from "./contract/extension-main.js";
export { detectRules } from "./contract/detect-rules.js";
export { metadataSchema } from "./layers/metadata.js";
export type {
  AppFiles,
  Buildpack,
  BuildpackDefinition,
  BuildpackPlan,
  BuildContext,
  BuildResult,
  Dependencies,
  DetectContext,
  DetectResult,
  ResolvedDependency,
  StepContext,
} from "./contract/index.js";
export type { Logger } from "./log/index.js";
export type { Binding, Bindings, BuildTarget, EnvDelta, Environment } from "./environment/index.js";
export { type EnvChange, readSettings, type Settings, type ToolEnv, withChanges } from "./environment/tool-env.js";
export type { SbomComponent } from "./sbom/index.js";
/** The CNB file formats' types (launch.toml's processes, the build plan, …): also `@cnbkit/framework/cnb-files`. */
export type * as cnbFiles from "./cnb-files/index.js";
/** The detect and build contracts' other types (PhaseContext, PlanInput, detect rules, DependencyLayerOptions, …), the extension contract's (ExtensionDefinition, GenerateContext, GenerateResult), and the phase runners'. Its detect-rules JSON names are deprecated: they are `@cnbkit/framework/packaging`'s. */
export type * as lifecycle from "./contract/index.js";
/** The layer types not named above (FreshLayerOptions, LayerFill, LayerTypes, metadata schemas). */
export type * as layers from "./layers/index.js";
/** Environment deltas, exec.d, bindings and settings. */
export type * as platform from "./environment/index.js";

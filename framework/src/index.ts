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

export { CnbError, formatError, isCnbError } from "./errors/index.js";
export type { Dependency } from "./dependencies/index.js";
export type {
  CachedLayerOptions,
  FreshLayerOptions,
  Layer,
  LayerKey,
  Layers,
  LayerState,
} from "./layers/index.js";
// Values come from the file that defines them, not a folder index: a buildpack bundle
// imports this module, and the bundler puts whatever an index reaches into the chunks
// every detect loads (lifecycle/detect.ts says more).
export { buildpack } from "./lifecycle/main.js";
export { detectRules, detectRulesJson, isRuleDetect } from "./lifecycle/detect-rules.js";
export type {
  AppFiles,
  Buildpack,
  BuildpackDefinition,
  BuildContext,
  BuildResult,
  DetectCondition,
  DetectContext,
  DetectOutcome,
  DetectOutcomeJson,
  DetectResult,
  DetectRule,
  DetectRulesDefinition,
  DetectRulesJson,
  RuleDetect,
  PlanInput,
  ResolvedDependency,
} from "./lifecycle/index.js";
export type { Logger } from "./log/index.js";
export type {
  Binding,
  Bindings,
  BuildTarget,
  EnvScope,
  Environment,
  ExecDContext,
  ExecDHandler,
  ExecDPrograms,
} from "./platform/index.js";
export { type EnvChange, readSettings, type Settings, type ToolEnv, withChanges } from "./platform/tool-env.js";
export { BUNDLE_CHUNKS_DIR, PARSED_BUILDPACK_TOML, SAVED_NODE_OPTIONS } from "./platform/launched-bundle.js";
export type { SbomComponent } from "./sbom/index.js";
export { metadataSchema } from "./layers/metadata.js";
export type { LayerMetadata, MetadataOf } from "./layers/metadata.js";

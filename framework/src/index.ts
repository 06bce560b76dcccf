/**
 * `@cnbkit/framework`: write Cloud Native Buildpacks in TypeScript.
 *
 * ```ts
 * import { buildpack } from "@cnbkit/framework";
 * export default buildpack({ detect(ctx) { ... }, build(ctx) { ... } });
 * ```
 *
 * Values exported here are the cheap ones (entry point, env, exec.d, errors, logger,
 * platform input, spec I/O). Build-only machinery (layers, SBOM, downloads, archives) is
 * reached through the build context and exported as types only, so that `detect`, which
 * shares this module graph, never evaluates it.
 */

export type { Binding, Bindings } from "./platform/index.js";
export type {
  BuildContext,
  BuildOutcome,
  BuildpackPlan,
  BuildResult,
  Dependencies,
  InstallOptions,
  ResolvedDependency,
  ResolvedPlanEntry,
} from "./lifecycle/index.js";
export type {
  AppFiles,
  BuildpackSelf,
  DetectContext,
  DetectResult,
  PhaseContext,
  PhaseIO,
  PlanInput,
  PlatformInput,
  ReadOptions,
} from "./lifecycle/index.js";
export {
  applyEnv,
  EnvDelta,
  type EnvDir,
  type EnvEntry,
  type EnvLayer,
  type EnvOp,
  EnvScope,
  type EnvTarget,
  readEnvDelta,
  writeEnvDelta,
} from "./platform/index.js";
export { CnbError, formatError, isCnbError } from "./errors/index.js";
export {
  type ExecDAddOptions,
  type ExecDContext,
  type ExecDHandler,
  type ExecDPrograms,
  execDOutput,
} from "./platform/index.js";
export type { Dependency } from "./dependencies/index.js";
export type {
  CachedLayerOptions,
  FreshLayerOptions,
  Layer,
  LayerKey,
  Layers,
  LayerState,
  SbomCollector,
} from "./layers/index.js";
export { createLogger, formatDuration, type Logger, type LoggerOptions, type LogSink } from "./log/index.js";
export {
  type Buildpack,
  type BuildpackDefinition,
  buildpack,
  main,
  type Phase,
  phaseOf,
  runPhase,
} from "./lifecycle/index.js";
export {
  type BuildPaths,
  type BuildTarget,
  buildPaths,
  type DetectPaths,
  detectPaths,
  type Environment,
  readExecEnv,
  readPlatformEnv,
  readTarget,
} from "./platform/index.js";
export type { SbomComponent } from "./sbom/index.js";
export * from "./cnb-files/index.js";

/**
 * The platform stage's public surface: `build` (source → app image with the real lifecycle
 * under runc), `run`, `rebase`, `inspect` and `sbom` of app images, all without a daemon.
 */
export { appMetadata, type BuildMetadata, LABELS, type LifecycleMetadata, parseLabel } from "./app-image.js";
export { buildApp } from "./app-build/build-app.js";
export { buildPlatforms, type MultiBuildResult } from "./app-build/multi-platform.js";
export { parsePlatforms, platformSlug } from "./app-build/platform-list.js";
export type { Destination } from "./app-build/destination.js";
export type {
  Binding,
  BuildOptions,
  BuildResult,
  IndexSealRequest,
  MultiBuildOptions,
  PlatformImage,
  SealRequest,
} from "./app-build/options.js";
export type { BuildRecord, SourceTree } from "./app-build/record.js";
export type { PhaseTime } from "./app-build/lifecycle-output.js";
export { FLAG_SET_NAMES, type FlagSetName, KNOWN_TRUSTED_BUILDERS, parseFlagSet } from "./app-build/phases/index.js";
export { type PullPolicy, parsePullPolicy } from "./app-build/pull-policy.js";
export { parseSecretFlag, SECRET_FILE_OF_TYPE, type SecretFlag } from "./app-build/layer-guard/index.js";
export {
  type ImageInspection,
  type IndexInspection,
  type InspectedLayer,
  inspectImage,
  inspectIndex,
} from "./inspect.js";
export { noStartCommandWarning } from "./no-start-command.js";
export { AbiRefusal, abiCheckText, checkRebaseAbi, type RebaseAbiCheck } from "./rebase-abi.js";
export { notRebasable, type RebaseOptions, type RebaseResult, type RebaseSealRequest, rebaseImage } from "./rebase.js";
export {
  type IndexRebaseOptions,
  type IndexRebaseResult,
  type IndexRebaseSealRequest,
  rebaseIndex,
} from "./rebase-index.js";
export { type RunningApp, type RunOptions, runApp } from "./run.js";
export { exportSbom, readSbomDocuments, type SbomDocument } from "./sbom.js";
export { DEFAULT_EXEC_ENV, parseExecEnv } from "./exec-env.js";

/**
 * The platform stage's public surface: `build` (source → app image with the real lifecycle
 * under runc), `run`, `rebase`, `inspect` and `sbom` of app images, all without a daemon.
 */
export { appMetadata, type BuildMetadata, LABELS, type LifecycleMetadata } from "./app-image.js";
export {
  type Binding,
  type BuildOptions,
  type BuildResult,
  buildApp,
  PLATFORM_API,
  type SealRequest,
} from "./build.js";
export type { BuildRecord, SourceTree } from "./build-record.js";
export type { PhaseTime } from "./lifecycle-output.js";
export { FLAG_SET_NAMES, type FlagSetName, KNOWN_TRUSTED_BUILDERS, parseFlagSet } from "./phases/index.js";
export { type PullPolicy, parsePullPolicy } from "./pull-policy.js";
export { type ImageInspection, type InspectedLayer, inspectImage } from "./inspect.js";
export { notRebasable, type RebaseOptions, type RebaseResult, type RebaseSealRequest, rebaseImage } from "./rebase.js";
export { type RunningApp, type RunOptions, runApp } from "./run.js";
export { EXTENDED_LABEL, type ExtendOptions, type ExtendResult, extendImage } from "./extend-image.js";
export { exportSbom, readSbomDocuments, type SbomDocument } from "./sbom.js";
export { DEFAULT_STALL_TIMEOUT_MS, formatStallTimeout, parseStallTimeout } from "./stall-watchdog.js";
export { DEFAULT_EXEC_ENV, parseExecEnv } from "./exec-env.js";
export { pruneUnpackedImages, type UnpackedImage, unpackImage } from "./unpack.js";

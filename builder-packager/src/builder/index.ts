/**
 * The builder stage's public surface: builder.toml in, builder image out.
 */
export {
  type BuildEnv,
  type BuilderBuildpack,
  type BuilderConfig,
  type BuilderExtension,
  type BuilderOrderEntry,
  type BuilderSystem,
  type EnvSuffix,
  parseBuilderToml,
  readBuilderToml,
  type RunImage,
} from "./config.js";
export {
  CNBKIT_VERSION,
  type CreateBuilderOptions,
  type CreateBuilderResult,
  createBuilder,
} from "./create-builder.js";
export {
  EXTENSION_LAYERS_LABEL,
  type ExtensionModule,
  extensionLayerPrefix,
  extensionLayers,
  writeExtensionLayers,
} from "./extensions.js";
export { type BuilderInfo, type InspectBuilderOptions, inspectBuilder } from "./inspect-builder.js";
export {
  cachedLifecycleDir,
  DEFAULT_LIFECYCLE_VERSION,
  type Lifecycle,
  type LifecycleContext,
  LIFECYCLE_BINARIES,
  loadLifecycle,
} from "./lifecycle-binary.js";
export {
  fetchLifecycleRelease,
  LIFECYCLE_RELEASES,
  type LifecycleReleases,
  releaseAsset,
  releaseUri,
} from "./lifecycle-tarball.js";
export {
  BUILDER_METADATA_LABEL,
  BUILDER_ORDER_EXTENSIONS_LABEL,
  BUILDER_ORDER_LABEL,
  BUILDER_SYSTEM_LABEL,
  type BuilderMetadata,
  builderMetadata,
  CREATOR_NAME,
} from "./metadata.js";

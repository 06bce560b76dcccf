/**
 * The lifecycle-image stage's public surface: a `buildpacksio/lifecycle`-shaped image from
 * the lifecycle's release tarballs (`cnbkit lifecycle image`).
 */
export { BASE_ENV, baseEntries, CA_BUNDLE_PATH, readCaBundle } from "./base-layer.js";
export {
  type CreateLifecycleImageOptions,
  type CreateLifecycleImageResult,
  createLifecycleImage,
  DEFAULT_CA_BUNDLE,
  DEFAULT_LIFECYCLE_TARGETS,
} from "./create-lifecycle-image.js";
export { type ApiVersions, type LifecycleDescriptor, parseLifecycleDescriptor } from "./descriptor.js";
export {
  LEGACY_BUILDER_METADATA_LABEL,
  LIFECYCLE_APIS_LABEL,
  LIFECYCLE_VERSION_LABEL,
  lifecycleLabels,
} from "./labels.js";
export { type ReleaseLayer, releaseLayer } from "./release-layer.js";

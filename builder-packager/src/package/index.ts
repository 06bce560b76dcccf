/**
 * The package stage's public surface: buildpackages from buildpack directories, and the
 * reading of buildpackages (labels, layers) that composites and builders build on.
 */
export {
  type BuildpackModule,
  type Component,
  type ComponentImage,
  openComponent,
  type OpenComponentOptions,
} from "./component.js";
export { type DetectionOrderEntry, detectionOrder, nestedOrder, type OrderNode } from "./detection-order.js";
export {
  type BuildpackageInfo,
  type InspectBuildpackageOptions,
  inspectBuildpackage,
} from "./inspect-buildpackage.js";
export * from "./labels.js";
export {
  type BuildpackLayerOptions,
  buildpackLayerPrefix,
  packFileMode,
  writeBuildpackLayer,
} from "./module-layer.js";
export {
  type PackageFormat,
  type PackageOptions,
  type PackageResult,
  packageBuildpack,
  packageDirAsOci,
} from "./package-buildpack.js";
export {
  EXTENSION_LAYERS_LABEL,
  type ExtensionPackageOptions,
  type ExtensionPackageResult,
  extensionLayerPrefix,
  isExtensionDir,
  packageExtension,
  writeExtensionLayer,
} from "./package-extension.js";
export {
  type ModuleRefConfig,
  moduleRef,
  type PackageConfig,
  parsePackageToml,
  readPackageToml,
} from "./package-toml.js";
export { type BuildpackKind, buildpackKind, offlineDependencyPath } from "./stage.js";
export { parseTarget, resolveTargets, targetAdmits, targetString } from "./targets.js";

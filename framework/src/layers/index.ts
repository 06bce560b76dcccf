/** Layers: handles with explicit state (new / restored / reset), cache-reuse decisions, their env, exec.d and SBOMs. */
export {
  ARCH_NEUTRAL_BINDING_TYPE,
  ARCH_NEUTRAL_OUTPUTS_DIR,
  ARCH_NEUTRAL_PRODUCING,
  type ArchNeutralRole,
  writeArchNeutralBinding,
} from "./arch-neutral-binding.js";
export { ArchNeutralStore, type RestoreResult } from "./arch-neutral-store.js";
export {
  byReferenceDir,
  findLayerCacheRoot,
  isCacheOnly,
  LAYER_CACHE_ENV,
  LAYER_CACHE_MOUNT,
} from "./by-reference.js";
export { CACHE_KEY_FIELD, keyChanges, type LayerKey } from "./cache-key.js";
export * from "./layer.js";
export * from "./layer-options.js";
export * from "./layers.js";
export * from "./metadata.js";
export * from "./multi-platform.js";

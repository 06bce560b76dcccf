/** Layers: handles with explicit state (new / restored / reset), cache-reuse decisions, their env, exec.d and SBOMs. */
export { CACHE_KEY_FIELD, keyChanges, type LayerKey } from "./cache-key.js";
export * from "./layer.js";
export * from "./layers.js";
export * from "./metadata.js";

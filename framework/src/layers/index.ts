/** Layers: handles with explicit state (new / restored / reset), cache-reuse decisions, their env, exec.d and SBOMs. */
export * from "./layers.js";
export * from "./metadata.js";

/**
 * Spec data: typed readers and writers for every file the CNB Buildpack API defines.
 * Each parser validates once, at the edge, and throws a one-line CnbError naming the file
 * and field; each writer produces TOML the lifecycle reads.
 */
export * from "./api.js";
export * from "./build-plan.js";
export * from "./build-plan-text.js";
export * from "./build-toml.js";
export * from "./buildpack-plan.js";
export * from "./buildpack-toml.js";
export * from "./buildpack-toml-text.js";
export * from "./extension-toml.js";
export * from "./launch-toml.js";
export * from "./layer-toml.js";
export * from "./names.js";
export * from "./store-toml.js";
export { parseToml, stringifyToml, type TomlTable } from "./toml.js";
export { inlineTomlValue } from "./toml-inline.js";

/**
 * Dependencies: the inventory in buildpack.toml `[metadata]` with semver resolution, the
 * URI each is fetched from (mappings, mirrors), verified downloads, and safe extraction.
 */
export * from "./archive.js";
export * from "./download.js";
export * from "./inventory.js";
export * from "./mirrors.js";
export * from "./no-matching-version.js";
export * from "./patch-rule.js";
export * from "./proxy-fetch.js";
// The types this entry's signatures use, so a caller can name them from here.
export type { Binding } from "../environment/index.js";
export type { SbomComponent } from "../sbom/index.js";
export type { CnbError } from "../errors/index.js";

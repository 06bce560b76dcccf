/**
 * The oci stage's public surface: OCI images (reproducible layers, config, manifest, index),
 * OCI layouts and `.cnb` archives, registry access, and one source/sink API over both. Every
 * other stage reads and writes images through it; it imports no other stage.
 */
export * from "./digest.js";
export * from "./disk-full.js";
export * from "./image.js";
export * from "./image-store.js";
export * from "./layer.js";
export * from "./layer-cache.js";
export * from "./layout.js";
export * from "./layout-archive.js";
export * from "./layout-archive-source.js";
export * from "./reference.js";
export * from "./remembered-diff-id.js";
export * from "./registry.js";
export { basicAuth, type Credentials, loadCredentials } from "./auth.js";
export { sha256OfFile } from "./blob-check.js";
export { encodeHeader, type RawHeader } from "./tar.js";

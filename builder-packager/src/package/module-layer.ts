/**
 * One buildpack as one image layer, the way pack lays it out: everything under
 * `/cnb/buildpacks/<id with / as _>/<version>/`, owner 0:0, mtime 1980-01-01T00:00:01Z,
 * directories 0755, `bin/build`, `bin/detect`, `bin/generate` and anything with an exec bit
 * 0755, every other file 0644 (pack pkg/buildpack/buildpack.go `calcFileMode`).
 */
import { buildpackDirName } from "@cnbkit/framework/cnb-files";
import { type LayerBlobStore, type LayerDescriptor, layerFromDir } from "../oci/layer.js";

/** `cnb/buildpacks/<id_>/<version>`: where a buildpack lives in a buildpackage or builder. */
export function buildpackLayerPrefix(id: string, version: string): string {
  return `cnb/buildpacks/${buildpackDirName(id)}/${version}`;
}

/** pack's mode for an entry of a buildpack dir (`rel` is relative to the buildpack root). */
export function packFileMode(rel: string, st: { isDirectory(): boolean; mode: number }): number {
  if (st.isDirectory()) return 0o755;
  if (rel === "bin/build" || rel === "bin/detect" || rel === "bin/generate") return 0o755;
  return st.mode & 0o111 ? 0o755 : 0o644;
}

/** Options of {@link writeBuildpackLayer}. */
export interface BuildpackLayerOptions {
  /** Uncompressed bytes written so far, while compressing. */
  onProgress?: (bytes: number) => void;
  /**
   * Compressed blobs by diffId (`LayerBlobCache`): a buildpack compiled to a ~112 MB
   * executable then costs a hash of its tar instead of a gzip when it is unchanged.
   */
  cache?: LayerBlobStore;
}

/**
 * Writes the layer of the buildpack in `dir` (its buildpack.toml already final) into
 * `blobDir` and returns the descriptor; the same files give the same digest anywhere.
 *
 * @example
 * const layer = await writeBuildpackLayer(stage, "acme/node", "1.2.0", layout.blobDir, { cache: new LayerBlobCache() });
 */
export function writeBuildpackLayer(
  dir: string,
  id: string,
  version: string,
  blobDir: string,
  options: BuildpackLayerOptions = {},
): Promise<LayerDescriptor> {
  return layerFromDir(
    dir,
    { prefix: buildpackLayerPrefix(id, version), uid: 0, gid: 0, modes: packFileMode, ...options },
    blobDir,
  );
}

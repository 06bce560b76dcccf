/**
 * A layer store that remembers the diffId of one immutable directory in a file, so the
 * directory's tar is hashed once per machine instead of on every package. For trees that
 * never change once written, like the shared Node runtime (~116 MB: ~0.3 s to hash, paid
 * per buildpack per `builder create` otherwise). Never use it for a tree that can change:
 * a stale diffId would name the wrong blob.
 */
import { readFile, rename, writeFile } from "node:fs/promises";
import type { Digest } from "./digest.js";
import type { LayerBlobStore, LayerDescriptor, LayerSource } from "./layer.js";

/**
 * Wraps `store` so that the layer's diffId is read from `file` when there, else computed and
 * written there (via a temp name). The blob still comes from `store` (or is compressed).
 *
 * @example
 * await layerFromDir(runtimeDir, { prefix, cache: rememberDiffId(new LayerBlobCache(), `${runtimeDir}.diffid`) }, blobDir);
 */
export function rememberDiffId(store: LayerBlobStore, file: string): LayerBlobStore {
  return {
    async layer(source: LayerSource, outDir: string): Promise<LayerDescriptor> {
      const remembered: LayerSource = {
        contentSize: source.contentSize,
        async diffId() {
          const text = (await readFile(file, "utf8").catch(() => "")).trim();
          if (/^sha256:[0-9a-f]{64}$/.test(text)) return text as Digest;
          const computed = await source.diffId();
          const tmp = `${file}.tmp-${process.pid}`;
          await writeFile(tmp, `${computed}\n`);
          await rename(tmp, file);
          return computed;
        },
        write: (dir) => source.write(dir),
      };
      return store.layer(remembered, outDir);
    },
  };
}

/**
 * A buildpack layer as the lifecycle's exporter made it from its directory: which directory
 * under /layers a layer of the lifecycle's label came from, and the walk the exporter's tar
 * writer takes over it. Readers of a layer the exporter has just written (the ABI label,
 * abi-label.ts; the layer check, layer-guard/dir-layer-scan.ts) read that directory, still
 * there in the build's view, instead of gunzipping the layer's blob, and meet its entries in
 * the tar's order, so "the first" of anything is the same file either way.
 *
 * The exporter's walk (lifecycle layers/dir.go DirLayer, archive.AddDirToArchive):
 * Go's filepath.Walk, by lstat, each directory's names sorted by their bytes, a directory
 * before what it holds, links not followed, sockets left out, hard links written as files.
 */
import { lstat, readdir } from "node:fs/promises";
import type { Stats } from "node:fs";
import { join } from "node:path";
import type { LifecycleMetadata } from "../app-image.js";

/** Each buildpack layer's directory under /layers (`cnbkit_go/app`) by its diffID, from the lifecycle's label. */
export function buildpackLayerDirs(metadata: LifecycleMetadata): Map<string, string> {
  const dirs = new Map<string, string>();
  for (const bp of metadata.buildpacks ?? [])
    for (const [name, layer] of Object.entries(bp.layers ?? {}))
      if (layer?.sha) dirs.set(layer.sha, `${bp.key.replaceAll("/", "_")}/${name}`);
  return dirs;
}

/**
 * Calls `visit` for everything below `dir` (not `dir` itself) in the order the exporter's
 * tar holds it, with its path below `dir` and its lstat. Sockets are skipped, as the
 * exporter skips them; everything else (links, fifos, devices) is visited.
 */
export async function walkLayerDir(dir: string, visit: (rel: string, st: Stats) => Promise<void>): Promise<void> {
  const walk = async (rel: string): Promise<void> => {
    const names = (await readdir(join(dir, rel))).sort(byBytes);
    for (const name of names) {
      const r = rel ? `${rel}/${name}` : name;
      const st = await lstat(join(dir, r));
      if (st.isSocket()) continue;
      await visit(r, st);
      if (st.isDirectory()) await walk(r);
    }
  };
  await walk("");
}

/** Go's string order (by UTF-8 bytes), which the lifecycle's walk takes. */
function byBytes(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a), Buffer.from(b));
}

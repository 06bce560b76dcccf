/**
 * One build at a time per build cache. The lifecycle's exporter rewrites the cache dir in
 * place; two builds of one app sharing it printed "Failed to export cache: ... no such file
 * or directory" and one cache update was lost. The second build waits, and says so.
 */
import { mkdir } from "node:fs/promises";
import { dirname } from "node:path";
import { type HeldDirLock, acquireDirLock } from "./dir-lock.js";

/**
 * Takes the lock of the build cache `cacheDir` (`<cacheDir>.build.lock`, beside it; not the
 * cache entry's own `.lock`, which pruning and marking take briefly), waiting with
 * one line through `say` while another live build holds it. A lock of a build that died is
 * taken over at once. The folder the cache is in is made when it is not there yet (a
 * `--cache-dir out/app/cache` before `out/app` exists), as the lifecycle makes the cache itself.
 *
 * @example
 * await using cacheLock = await lockBuildCache(buildCacheDir, say);
 */
export async function lockBuildCache(cacheDir: string, say: (line: string) => void = () => {}): Promise<HeldDirLock> {
  // No CnbError here: this module is bundled into small helpers (layer-cache's writer test)
  // that must not pull in the framework; `cnbkit build` words the failure (useBuildCache).
  const parent = dirname(cacheDir);
  await mkdir(parent, { recursive: true }).catch((err: NodeJS.ErrnoException) => {
    throw new Error(`build cache ${cacheDir}: its folder ${parent} cannot be made (${err.code ?? err.message})`, {
      cause: err,
    });
  });
  return acquireDirLock(`${cacheDir}.build.lock`, {
    pollMs: 250,
    onWait: (pid) =>
      say(`Waiting for another build using the build cache ${cacheDir}${pid ? ` (pid ${pid})` : ""} to finish`),
  });
}

/**
 * One build at a time per build cache. The lifecycle's exporter rewrites the cache dir in
 * place; two builds of one app sharing it printed "Failed to export cache: ... no such file
 * or directory" and one cache update was lost. The second build waits, and says so.
 */
import { type HeldDirLock, acquireDirLock } from "./dir-lock.js";

/**
 * Takes the lock of the build cache `cacheDir` (`<cacheDir>.build.lock`, beside it; not the
 * cache entry's own `.lock`, which pruning and marking take briefly), waiting with
 * one line through `say` while another live build holds it. A lock of a build that died is
 * taken over at once.
 *
 * @example
 * await using cacheLock = await lockBuildCache(buildCacheDir, say);
 */
export function lockBuildCache(cacheDir: string, say: (line: string) => void = () => {}): Promise<HeldDirLock> {
  return acquireDirLock(`${cacheDir}.build.lock`, {
    pollMs: 250,
    onWait: (pid) =>
      say(`Waiting for another build using the build cache ${cacheDir}${pid ? ` (pid ${pid})` : ""} to finish`),
  });
}

/**
 * Where cnbkit keeps what it builds once and reuses, keyed by version or digest: the Node
 * runtimes it compiles with, the lifecycle, rootfs trees, base images, unpacked images and
 * build caches. Every stage asks this one function, so one variable moves all of it.
 */
import { homedir } from "node:os";
import { join } from "node:path";

/**
 * The cnbkit cache root: `$CNBKIT_CACHE` when set (tests point it at a temp dir, CI at a
 * cached volume), otherwise `~/.cache/cnbkit`.
 */
export function cnbkitCacheDir(env: Record<string, string | undefined> = process.env): string {
  const override = env.CNBKIT_CACHE;
  return override && override !== "" ? override : join(homedir(), ".cache", "cnbkit");
}

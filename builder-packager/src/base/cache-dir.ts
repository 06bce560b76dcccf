/**
 * Where cnbkit keeps what it builds once and reuses: rootfs trees and base images.
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

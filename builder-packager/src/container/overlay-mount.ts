/**
 * One overlayfs mount and its unmount, as root on the host: the rootfs views
 * (rootfs-view.ts) and the build's by-reference layer cache (platform/app-build/layer-store/)
 * both mount this way, so both fail, fall back and clean up alike.
 */
import { spawnSync } from "node:child_process";

/** The dirs of one overlay mount: `upper` and `work` must be on one filesystem. */
export interface OverlayDirs {
  lower: string;
  upper: string;
  work: string;
  merged: string;
}

/**
 * Mounts `dirs.merged` as an overlay with the given extra `options` (such as
 * `redirect_dir=off`). Returns the first line of mount's complaint when the kernel or the
 * process's rights refuse it (no CAP_SYS_ADMIN, an unsupported lower filesystem, an option
 * this kernel does not know): callers fall back rather than fail the build.
 *
 * Every mount here is `volatile` (Linux 5.10+; retried without it on an older kernel): an
 * upper dir is never mounted twice (each build makes a fresh one, and the stale sweep
 * deletes a dead build's), so the syncs volatile skips protect nothing here, while without
 * it each unmount syncs the upper filesystem's dirty data, the whole disk's: 0.7 s measured on
 * a build machine under load, twice per build (the rootfs view and the layer cache).
 */
export function mountOverlay(
  dirs: OverlayDirs,
  options: readonly string[] = [],
): { ok: true } | { ok: false; reason: string } {
  const base = [`lowerdir=${dirs.lower}`, `upperdir=${dirs.upper}`, `workdir=${dirs.work}`, ...options];
  let mount = spawnOverlayMount([...base, "volatile"], dirs.merged);
  if (mount.status !== 0) mount = spawnOverlayMount(base, dirs.merged);
  if (mount.status === 0) return { ok: true };
  return {
    ok: false,
    reason: (mount.stderr || mount.error?.message || `mount exited ${mount.status}`).trim().split("\n")[0]!,
  };
}

/** One `mount -t overlay` of `merged` with `options`. */
function spawnOverlayMount(options: readonly string[], merged: string) {
  return spawnSync("mount", ["-t", "overlay", "overlay", "-o", options.join(","), merged], { encoding: "utf8" });
}

/**
 * Unmounts `merged`; lazily when it is busy (a process still in it), so the caller's
 * cleanup goes on and the kernel detaches the mount once the last user leaves.
 */
export function unmountOverlay(merged: string): void {
  const um = spawnSync("umount", [merged], { encoding: "utf8" });
  if (um.status !== 0) spawnSync("umount", ["-l", merged], { encoding: "utf8" });
}

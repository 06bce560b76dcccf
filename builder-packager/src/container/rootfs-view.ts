/**
 * A per-build writable view of a cached, unpacked root filesystem, without copying it.
 *
 * The cached rootfs (shared by every build from the same image) stays untouched: an
 * overlayfs mount puts a per-build upper dir over it, so a build's writes land in a temp
 * dir and vanish with it. Where overlayfs is refused (no CAP_SYS_ADMIN, a lower dir on an
 * unsupported filesystem), a hardlink copy (`cp -al`) is made instead: fast, but a process
 * that writes a file in place (rather than replacing it) would change the cached file, so
 * overlay is preferred and the debug line says which one was used.
 */
import { spawnSync } from "node:child_process";
import { chmod, mkdir, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CnbError } from "@cnbkit/framework";
import { ownedPrefix, STALE_PREFIXES } from "../cache/index.js";
import { mountOverlay, unmountOverlay } from "./overlay-mount.js";

/** A writable view; call {@link RootfsView.release} (in a finally) to unmount and delete it. */
export interface RootfsView {
  /** The directory to use as the container's root. */
  path: string;
  /** How the view was made. */
  kind: "overlay" | "hardlink-copy";
  /** Unmounts and removes the view and its temp dir. Safe to call twice. */
  release(): Promise<void>;
}

/**
 * Makes a writable view of `lower` in a temp dir under `parent` (default: the OS temp dir;
 * a build puts it in its work dir, on the cache's disk, since a build's layers land there and
 * the OS temp dir may be a small tmpfs). `debug` gets one line saying whether overlay or the
 * hardlink copy was used.
 *
 * @example
 * const view = await openRootfsView(cachedRootfs);
 * try { await runContainer({ rootfs: view.path, ... }); } finally { await view.release(); }
 */
export async function openRootfsView(
  lower: string,
  debug?: (line: string) => void,
  parent: string = tmpdir(),
): Promise<RootfsView> {
  const base = await mkdtemp(join(parent, ownedPrefix(STALE_PREFIXES.view)));
  await chmod(base, 0o755);
  const upper = join(base, "upper");
  const work = join(base, "work");
  const merged = join(base, "merged");
  await Promise.all([mkdir(upper), mkdir(work), mkdir(merged)]);
  const mount = mountOverlay({ lower, upper, work, merged });
  let released = false;
  if (mount.ok) {
    debug?.(`rootfs view: overlayfs over ${lower}`);
    return {
      path: merged,
      kind: "overlay",
      async release() {
        if (released) return;
        released = true;
        unmountOverlay(merged);
        await rm(base, { recursive: true, force: true });
      },
    };
  }
  const reason = mount.reason;
  const copy = join(base, "copy");
  const cp = spawnSync("cp", ["-al", lower, copy], { encoding: "utf8" });
  if (cp.status !== 0) {
    await rm(base, { recursive: true, force: true });
    throw new CnbError(`cannot make a writable view of ${lower}: ${(cp.stderr || "").trim().split("\n")[0]}`);
  }
  debug?.(`rootfs view: hardlink copy of ${lower} (overlay mount failed: ${reason})`);
  return {
    path: copy,
    kind: "hardlink-copy",
    async release() {
      if (released) return;
      released = true;
      await rm(base, { recursive: true, force: true });
    },
  };
}

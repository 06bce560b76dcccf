/**
 * A writable overlay over an unpacked image, and the clean-up of what apt and dpkg leave in it
 * that is time- or run-specific: `base extend` (extend-image.ts) and the run.Dockerfiles'
 * RUN lines (apply-run.ts) both change an image this way and read the change from `upper`.
 */
import { existsSync } from "node:fs";
import { chmod, mkdir, mkdtemp, rm, truncate } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CnbError } from "@cnbkit/framework";
import { ownedPrefix, STALE_PREFIXES } from "../cache/index.js";
import { mountOverlay as mountOverlayDirs, unmountOverlay } from "../container/index.js";

/**
 * Host-side clean-up of the merged view: what apt and dpkg leave that is time- or run-specific
 * (also run after an extension's run.Dockerfile, extensions/apply-run.ts).
 */
export async function dropRunState(merged: string): Promise<void> {
  for (const path of [
    "var/lib/dpkg/status-old",
    "var/lib/dpkg/diversions-old",
    "var/cache/debconf/config.dat-old",
    "var/cache/debconf/templates.dat-old",
    "var/cache/ldconfig/aux-cache",
  ]) {
    await rm(join(merged, path), { force: true });
  }
  for (const log of [
    "var/log/apt/history.log",
    "var/log/apt/term.log",
    "var/log/apt/eipp.log.xz",
    "var/log/dpkg.log",
    "var/log/alternatives.log",
  ]) {
    if (existsSync(join(merged, log))) await truncate(join(merged, log), 0);
  }
}

/** An overlay over an unpacked image: write to `merged`, read the change from `upper`. */
export interface OverlayView {
  upper: string;
  merged: string;
  unmount(): void;
  remove(): Promise<void>;
}

/**
 * Mounts an overlay over `lower` in a temp dir; `remove()` (in a finally) unmounts and deletes it.
 * The mount is container/overlay-mount.ts's, as the build's rootfs views are: volatile (no sync
 * of the whole disk at unmount) where the kernel has it, and unmounted lazily when still busy.
 */
export async function mountOverlay(lower: string): Promise<OverlayView> {
  const work = await mkdtemp(join(tmpdir(), ownedPrefix(STALE_PREFIXES.view)));
  const [upper, overlayWork, merged] = ["upper", "work", "merged"].map((d) => join(work, d)) as [
    string,
    string,
    string,
  ];
  let mounted = false;
  const view: OverlayView = {
    upper,
    merged,
    unmount() {
      if (mounted) unmountOverlay(merged);
      mounted = false;
    },
    async remove() {
      view.unmount();
      await rm(work, { recursive: true, force: true });
    },
  };
  await chmod(work, 0o755);
  await Promise.all([mkdir(upper), mkdir(overlayWork), mkdir(merged)]);
  const mount = mountOverlayDirs({ lower, upper, work: overlayWork, merged });
  if (!mount.ok) {
    await view.remove();
    throw new CnbError(`cannot mount an overlay over the unpacked image ${lower}: ${mount.reason}`, {
      hint: "extending an image mounts overlayfs: run cnbkit as root (CAP_SYS_ADMIN) on a kernel with overlayfs",
    });
  }
  mounted = true;
  return view;
}

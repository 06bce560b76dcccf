/**
 * One build's overlay over the store's committed layers: a fresh upper and work dir in a
 * `cnbkit-layers-<pid>-*` dir of the store, mounted at its `merged` dir, which the build's
 * containers see at /cnbkit/layer-cache. The build writes only to upper; the committed
 * layers change only when store.ts commits after a good build.
 */
import { chmod, chown, mkdir, mkdtemp, rm } from "node:fs/promises";
import { join } from "node:path";
import { ownedPrefix, STALE_PREFIXES } from "../../../cache/index.js";
import { mountOverlay, unmountOverlay } from "../../../container/index.js";
import type { LayerStore } from "./store.js";

/**
 * The mount's options, explicit so the merge plan has nothing to interpret: no redirects (a
 * renamed dir is copied), no index (no hard-link bookkeeping), no metacopy (a chmod copies
 * the file up whole, so upper holds whole files only).
 */
export const OVERLAY_OPTIONS = ["redirect_dir=off", "index=off", "metacopy=off"] as const;

/** A mounted overlay of one build. */
export interface LayerOverlay {
  /** What the containers mount: the store's layers with this build's changes over them. */
  merged: string;
  /** This build's changes. */
  upper: string;
  /** Unmounts (lazily when busy); safe to call twice. */
  unmount(): void;
  /** Unmounts and deletes this build's dir (its changes); safe to call twice. */
  remove(): Promise<void>;
}

/**
 * Mounts a fresh overlay over `store.committed` for `owner` (the merged root is theirs, so
 * the buildpacks can make their dirs in it). Returns the reason when the mount is refused;
 * nothing is left behind then.
 */
export async function mountLayerOverlay(
  store: LayerStore,
  owner: { uid: number; gid: number },
): Promise<LayerOverlay | { reason: string }> {
  const base = await mkdtemp(join(store.dir, ownedPrefix(STALE_PREFIXES.layers)));
  const upper = join(base, "upper");
  const work = join(base, "work");
  const merged = join(base, "merged");
  await Promise.all([mkdir(upper), mkdir(work), mkdir(merged)]);
  // The merged root takes upper's root's owner and mode.
  await chown(upper, owner.uid, owner.gid);
  await chmod(upper, 0o755);
  const mount = mountOverlay({ lower: store.committed, upper, work, merged }, OVERLAY_OPTIONS);
  if (!mount.ok) {
    await rm(base, { recursive: true, force: true });
    return { reason: mount.reason };
  }
  let mounted = true;
  const unmount = () => {
    if (!mounted) return;
    mounted = false;
    unmountOverlay(merged);
  };
  return {
    merged,
    upper,
    unmount,
    async remove() {
      unmount();
      await rm(base, { recursive: true, force: true });
    },
  };
}

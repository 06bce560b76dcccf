/**
 * The layer store's place and lifecycle: one per build cache, beside it
 * (`<build cache>.layers/`), holding `committed/` (what the last good build left, the
 * overlay's lower dir) and, while a build runs, that build's own `cnbkit-layers-<pid>-*` dir
 * (upper, work, merged: overlay.ts). The upper dir sits in the store, not in the build's
 * work dir, so a commit is renames on one filesystem even for a `--cache-dir` on another
 * disk; a build that died leaves that dir to the stale sweep (cache/stale.ts).
 *
 * A commit writes a `merging` marker first and removes it last: a store found with the
 * marker was being changed when its process died, so it is wiped (a cold start, never a
 * half-merged cache).
 */
import { existsSync } from "node:fs";
import { chown, mkdir, open, rm } from "node:fs/promises";
import { join } from "node:path";
import { CACHE_KINDS, STALE_PREFIXES, sweepStaleIn } from "../../../cache/index.js";
import { applyMerge } from "./apply.js";
import type { MergeOp } from "./merge-plan.js";

/** A build cache's layer store, opened for one build (under the build cache's lock). */
export interface LayerStore {
  /** The store dir, `<build cache>.layers`. */
  dir: string;
  /** The committed layers: the overlay's lower dir. */
  committed: string;
}

/** The store of the build cache at `buildCacheDir`: beside it, so pruning and clearing take both. */
export function layerStoreDir(buildCacheDir: string): string {
  return `${buildCacheDir}${CACHE_KINDS.buildCaches.companion}`;
}

const MARKER = "merging";

/**
 * Opens the store of `buildCacheDir` for a build by `owner`: sweeps what dead builds left in
 * it, wipes a store a commit died in (said through `say`), and makes `committed/`, owned by
 * the CNB user (the merged view's dirs are theirs to write).
 */
export async function openLayerStore(
  buildCacheDir: string,
  owner: { uid: number; gid: number },
  say: (line: string) => void,
): Promise<LayerStore> {
  const dir = layerStoreDir(buildCacheDir);
  const committed = join(dir, "committed");
  await mkdir(dir, { recursive: true });
  await sweepStaleIn(dir, STALE_PREFIXES.layers);
  if (existsSync(join(dir, MARKER))) {
    say("The cache layers kept by reference were being saved when a build stopped: starting them afresh");
    await rm(committed, { recursive: true, force: true });
    await rm(join(dir, MARKER), { force: true });
  }
  await mkdir(committed, { recursive: true });
  await chown(committed, owner.uid, owner.gid);
  return { dir, committed };
}

/**
 * Applies `ops` from `upper` onto the store's committed dir between the marker's write and
 * its removal (ops that only set dirs' attributes need no marker). A throw leaves the marker:
 * the next open wipes the store.
 */
export async function commitToStore(store: LayerStore, ops: readonly MergeOp[], upper: string): Promise<void> {
  // Only dirs' modes, owners and times to set: no crash can leave half of a layer behind, so no
  // marker, and none of its sync (tens of ms on a busy disk, on every rebuild that changed nothing).
  if (ops.every((op) => op.op === "dir-attrs")) return applyMerge(ops, upper, store.committed);
  const marker = join(store.dir, MARKER);
  // Synced before the first rename, so no crash can show renames without the marker.
  const handle = await open(marker, "w");
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
  await applyMerge(ops, upper, store.committed);
  await rm(marker);
}

/** Empties the store of `buildCacheDir` (`--clear-cache`); call it under the build cache's lock. */
export async function clearLayerStore(buildCacheDir: string): Promise<void> {
  await rm(layerStoreDir(buildCacheDir), { recursive: true, force: true });
}

/**
 * Cache layers by reference (issue 76): the cache-only layers of @cnbkit/framework
 * buildpacks live in a store kept per build cache (store.ts) and reach the build through an
 * overlay mount at /cnbkit/layer-cache (overlay.ts), so the lifecycle never untars or tars
 * them. After a good build this build's changes are planned (merge-plan.ts, listing.ts) and
 * renamed into the store (apply.ts), less the files it wrote again unchanged (unchanged.ts); a failed, stalled or aborted build's changes are
 * dropped, so nothing half-written is ever reused. Off, the build runs exactly as before.
 */
import type { BindMount } from "../../../container/index.js";
import { dirListing } from "./listing.js";
import { planMerge } from "./merge-plan.js";
import { type LayerOverlay, mountLayerOverlay } from "./overlay.js";
import { commitToStore, type LayerStore, openLayerStore } from "./store.js";
import { withoutUnchanged } from "./unchanged.js";

export { clearLayerStore, layerStoreDir } from "./store.js";

/** Where the build's containers see the store (the framework looks there). */
export const LAYER_CACHE_MOUNT = "/cnbkit/layer-cache";

/** What {@link openLayerCache} needs of the build. */
export interface LayerCacheInput {
  /** The build cache (mounted at /cache); the store is beside it. */
  buildCacheDir: string;
  /** The builder's CNB user, who owns the merged root. */
  owner: { uid: number; gid: number };
  /** `--cache-image`: its layers would miss the by-reference ones, so the store is off. */
  cacheImage: boolean;
  /** cnbkit's own environment (CNBKIT_LAYER_CACHE=off). */
  env?: Record<string, string | undefined>;
  /** Lines the user sees. */
  say: (line: string) => void;
  /** Lines only --verbose shows: whether the store is used, and why not. */
  debug: (line: string) => void;
}

/** One build's use of the store. */
export interface LayerCache {
  /** The bind mount for the creator's or the build phase's container; none when off. */
  mounts: BindMount[];
  /** What this build wrote there (the overlay's upper dir), for the secret check; none when off. */
  changes?: string;
  /** Saves this build's changes into the store: only after the lifecycle exited 0 and its layers passed the check. */
  commit(): Promise<void>;
  /** Drops what was not committed and unmounts; always, in a finally. */
  discard(): Promise<void>;
}

const OFF: LayerCache = { mounts: [], commit: async () => {}, discard: async () => {} };

/**
 * Why the store is not used for this build, or undefined when it is: CNBKIT_LAYER_CACHE=off
 * (to compare with the lifecycle's own cache), `--cache-image`, or not root (an overlay
 * mount needs it).
 */
export function layerCacheOffReason(
  input: Pick<LayerCacheInput, "cacheImage" | "env">,
  uid: number | undefined = process.getuid?.(),
): string | undefined {
  if ((input.env ?? process.env).CNBKIT_LAYER_CACHE === "off") return "CNBKIT_LAYER_CACHE=off";
  if (input.cacheImage) return "--cache-image holds every cache layer, so the lifecycle keeps them all";
  if (uid !== 0) return "not root (the overlay mount needs it)";
  return undefined;
}

/**
 * Opens the store of a build and mounts this build's overlay, or (said in one debug line)
 * does nothing at all when it is off or the mount is refused.
 *
 * @example
 * const layerCache = await openLayerCache({ buildCacheDir, owner: builder, cacheImage: false, say, debug });
 * try { await run(layerCache.mounts); await layerCache.commit(); } finally { await layerCache.discard(); }
 */
export async function openLayerCache(input: LayerCacheInput): Promise<LayerCache> {
  const off = layerCacheOffReason(input);
  if (off) {
    input.debug(`Cache layers by reference: off (${off})`);
    return OFF;
  }
  const store = await openLayerStore(input.buildCacheDir, input.owner, input.say);
  const overlay = await mountLayerOverlay(store, input.owner);
  if ("reason" in overlay) {
    input.debug(`Cache layers by reference: off (overlay mount failed: ${overlay.reason})`);
    return OFF;
  }
  input.debug(`Cache layers by reference: ${overlay.merged} at ${LAYER_CACHE_MOUNT}, over ${store.committed}`);
  return {
    mounts: [{ source: overlay.merged, destination: LAYER_CACHE_MOUNT }],
    changes: overlay.upper,
    commit: () => commit(store, overlay, input),
    discard: () => overlay.remove(),
  };
}

/**
 * Plans while the overlay is mounted (deletions are read off the merged view), unmounts,
 * applies. A failed commit is a warning, not a failed build: the image is good, and the
 * store is either as it was or (the marker left) wiped by the next build.
 */
async function commit(store: LayerStore, overlay: LayerOverlay, input: LayerCacheInput): Promise<void> {
  const started = performance.now();
  try {
    const planned = planMerge(dirListing(overlay.upper), dirListing(store.committed), dirListing(overlay.merged));
    const ops = withoutUnchanged(planned, overlay.upper, store.committed);
    overlay.unmount();
    await commitToStore(store, ops, overlay.upper);
    const ms = Math.round(performance.now() - started);
    const changes = ops.filter((op) => op.op !== "dir-attrs").length;
    input.debug(`Cache layers by reference: saved ${changes} change${changes === 1 ? "" : "s"} in ${ms} ms`);
  } catch (err) {
    input.say(`Warning: the cache layers kept by reference were not saved: ${(err as Error).message.split("\n")[0]}`);
  } finally {
    await overlay.remove();
  }
}

/**
 * Cache-only layers kept by reference: where they live when the platform offers a layer cache,
 * and which layers go there.
 *
 * The lifecycle restores a cached layer by untarring it and saves it by tarring it again, so
 * every warm build pays for the whole cache (Go's build cache, Maven's repository), however
 * little changed. A layer that is only cached (types cache, not build, not launch) never
 * reaches the image, so it need not go through the lifecycle at all: when the platform mounts
 * a layer cache (cnbkit's does, at {@link LAYER_CACHE_MOUNT}, an overlay it commits only after
 * a build that succeeds), such a layer lives there as `<root>/<bp>/<name>/` with its TOML
 * `<root>/<bp>/<name>.toml`, and nothing of it is written under `<layers>/<bp>/`. Without one
 * (pack, kpack, a stock platform) everything is as before. `Layers` (layers.ts) routes each
 * layer; this file holds only the rules it routes by.
 */
import { constants, accessSync, statSync } from "node:fs";
import { readdir, rm } from "node:fs/promises";
import { basename, join, resolve } from "node:path";
import type { LayerTypes } from "../cnb-files/index.js";

/** Where cnbkit's platform mounts the layer cache in the build container. */
export const LAYER_CACHE_MOUNT = "/cnbkit/layer-cache";

/**
 * The variable that overrides {@link LAYER_CACHE_MOUNT}: a path is the root (tests, other
 * platforms), `off` or empty turns by-reference caching off.
 */
export const LAYER_CACHE_ENV = "CNBKIT_LAYER_CACHE";

/**
 * The layer cache's root for this build, or null for none: `CNBKIT_LAYER_CACHE` when set
 * (a path, made absolute; `off` or empty: none), else {@link LAYER_CACHE_MOUNT} when it is a
 * writable directory. The build entry asks once per build and gives the answer to `Layers`
 * (`LayersOptions.layerCacheRoot`), so every layer of a build is routed alike.
 */
export function findLayerCacheRoot(env: Readonly<Record<string, string | undefined>>): string | null {
  const set = env[LAYER_CACHE_ENV];
  if (set !== undefined) return set.trim() === "" || set.trim() === "off" ? null : resolve(set);
  try {
    if (!statSync(LAYER_CACHE_MOUNT).isDirectory()) return null;
    accessSync(LAYER_CACHE_MOUNT, constants.W_OK);
    return LAYER_CACHE_MOUNT;
  } catch {
    // Not mounted (pack, kpack) or read-only: the lifecycle caches every layer, as before.
    return null;
  }
}

/**
 * True for a layer that only the cache holds (cache, not build, not launch), the kind that
 * goes by reference. `types` are the layer's effective types: `cached()`'s default of
 * `cache: true` already applied.
 */
export function isCacheOnly(types: Partial<LayerTypes>): boolean {
  return types.cache === true && types.build !== true && types.launch !== true;
}

/**
 * True for a layer kept by reference when the build has a layer cache: a cache-only layer
 * whose author did not set `byReference: false` (`CachedLayerOptions.byReference`, for a cache
 * hard-linked into another layer, which needs one mount). Every routing decision in `Layers`
 * (where a layer is looked up, kept, peeked at, filled, and which ones finish removes) asks this.
 */
export function goesByReference(types: Partial<LayerTypes>, byReference: boolean | undefined): boolean {
  return byReference !== false && isCacheOnly(types);
}

/**
 * `<root>/<bp>`: where this buildpack's by-reference layers live. `<bp>` is the basename of
 * its layers dir (the lifecycle's escaped buildpack id), so buildpacks never share names.
 */
export function byReferenceDir(root: string, layersDir: string): string {
  return join(root, basename(layersDir));
}

/**
 * Removes what `dir` (a buildpack's {@link byReferenceDir}) holds of layers not in `declared`:
 * their directories, TOMLs and SBOMs. The lifecycle drops the layers a build leaves
 * undeclared; by-reference layers follow the same rule, or a layer a build stopped using would
 * stay in the cache for ever.
 */
export async function removeUndeclared(dir: string, declared: ReadonlySet<string>): Promise<void> {
  let entries: string[];
  try {
    entries = await readdir(dir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return;
    throw err;
  }
  const owned = (entry: string) =>
    declared.has(entry) ||
    (entry.endsWith(".toml") && declared.has(entry.slice(0, -".toml".length))) ||
    [...declared].some((name) => entry.startsWith(`${name}.sbom.`));
  for (const entry of entries) if (!owned(entry)) await rm(join(dir, entry), { recursive: true, force: true });
}

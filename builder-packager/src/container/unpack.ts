/**
 * Unpacks an image (OCI layout or registry) into a root filesystem directory, cached by
 * manifest digest, so builds and `cnbkit run` can use it with runc.
 *
 * Layers are applied in order with OCI whiteouts (`.wh.<name>` deletes a lower entry,
 * `.wh..wh..opq` empties a lower directory), keeping owners, modes (setuid included),
 * mtimes, symlinks and hardlinks (we run as root). Every path is resolved inside the
 * rootfs the way runc and containerd do (a symlink can never lead outside it); entries
 * that name `..` or an absolute link target for a hardlink outside the rootfs are refused.
 *
 * The cache entry `<cache>/rootfs-by-digest/<algo>-<hex>/` holds `rootfs/` and the image
 * `config.json`. It is written in a temp dir and renamed into place when complete, under a
 * lock dir, so a crash never leaves a half-unpacked rootfs and parallel callers unpack once.
 * The cache is bounded (least recently used entries go, never one in use: `../cache/prune.ts`,
 * `CNBKIT_CACHE_MAX_ROOTFS`).
 *
 * An app image is its run image's layers with the app's on top, and every app built on one run
 * image shares them. So the run image's part (up to the lifecycle label's `runImage.topLayer`)
 * is its own cache entry, `chain-<algo>-<hex>` (the OCI chain ID of those layers), unpacked once;
 * an app's entry starts as a hardlink copy of it (`cp -al`: new directories, shared file inodes)
 * and only the app's layers are applied. That is safe because applying a layer never writes a
 * file in place: whatever is in an entry's way is removed first, so a shared inode is replaced,
 * never changed. Pruning takes app entries (one-offs, marked by a `run-image` file) before the
 * builders and run-image parts that every build and app shares.
 */
import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { chmod, mkdir, readFile } from "node:fs/promises";
import { createHash } from "node:crypto";
import { join } from "node:path";
import { promisify } from "node:util";
import { CnbError } from "@cnbkit/framework";
import { writeAtomic } from "@cnbkit/framework/fs";
import {
  cnbkitCacheDir,
  fillCacheEntry,
  markCacheEntryUsed,
  pruneCacheKind,
  releaseCacheEntry,
  useCacheEntry,
  withDirLock,
} from "../cache/index.js";
import {
  type Descriptor,
  digestHex,
  type ImageConfig,
  type ImageSource,
  openImageSource,
  type Platform,
  type ResolvedImage,
  type StoreOptions,
} from "../oci/index.js";
import { applyLayer } from "./apply-layer.js";

/** An unpacked image. */
export interface UnpackedImage {
  /** The root filesystem (treat as read-only: use a rootfs view to write). */
  rootfs: string;
  /** The image config. */
  config: ImageConfig;
  /** The manifest digest (the cache key). */
  digest: string;
  /** True when it came from the cache without unpacking. */
  cached: boolean;
  /**
   * Says this caller is done with the rootfs (its views released), so the entry may be
   * pruned again. Without it the entry stays in use until the process ends.
   */
  release(): Promise<void>;
}

/** Options of {@link unpackImage}. */
export interface UnpackOptions extends StoreOptions {
  /** Cache root (default `$CNBKIT_CACHE` or ~/.cache/cnbkit). */
  cacheDir?: string;
  /** Platform to pick from an index (default: the host's). */
  platform?: Platform;
  /** Progress lines ("Unpacking layer 2/5 ..."). */
  onProgress?: (line: string) => void;
  /**
   * Prune least recently used entries after making a new one (default true). A caller that
   * should not wait for that before using the rootfs passes false and calls
   * {@link pruneUnpackedImages} itself.
   */
  prune?: boolean;
  /** Aborting stops an unpack between layers (nothing half-written stays in the cache). */
  signal?: AbortSignal;
}

const execFileAsync = promisify(execFile);

/**
 * Unpacks `image` (a reference such as `oci:dir:tag` or `127.0.0.1:5000/app:1`, or an
 * opened source) into the rootfs cache and returns where it is. A second call for the same
 * manifest digest returns the cached tree at once.
 *
 * @example
 * const { rootfs, config } = await unpackImage("oci:out/app:latest");
 */
export async function unpackImage(image: string | ImageSource, options: UnpackOptions = {}): Promise<UnpackedImage> {
  const source = typeof image === "string" ? await openImageSource(image, options) : image;
  const resolved = await source.image(options.platform);
  const digest = resolved.manifest.digest;
  const root = join(options.cacheDir ?? cnbkitCacheDir(), "rootfs-by-digest");
  const key = entryName(digest);
  const target = join(root, key);
  const done = (cached: boolean) => unpackedEntry(root, digest, cached);
  // Hits and new entries are marked used (../cache/prune.ts), so pruning keeps the entries that
  // running builds and apps sit on and evicts the least recently used ones.
  if (await useCacheEntry(root, key, (dir) => existsSync(join(dir, "config.json")))) return done(true);
  await mkdir(root, { recursive: true });
  let unpacked = false;
  await withDirLock(`${target}.lock`, async () => {
    if (existsSync(join(target, "config.json"))) return markCacheEntryUsed(root, key);
    const layers = resolved.manifest.manifest.layers;
    const runLayers = runImageLayerCount(resolved.config);
    let base: { key: string; release(): Promise<void> } | undefined;
    try {
      await fillCacheEntry(root, key, async (tmp) => {
        if (runLayers > 0 && runLayers < layers.length) {
          base = await runImagePart(source, resolved, runLayers, root, options);
          await mkdir(tmp, { recursive: true });
          await hardlinkCopy(join(root, base.key, "rootfs"), join(tmp, "rootfs"));
        } else {
          await emptyRootfs(join(tmp, "rootfs"));
        }
        const from = base ? runLayers : 0;
        await applyLayers(
          source,
          layers,
          [from, layers.length],
          join(tmp, "rootfs"),
          options.onProgress,
          options.signal,
        );
        await writeAtomic(join(tmp, "config.json"), JSON.stringify(resolved.config));
        // An app image: a one-off that pruning takes before the builders and run images it shares.
        if (base) await writeAtomic(join(tmp, APP_MARK), base.key);
      });
      await markCacheEntryUsed(root, key);
      unpacked = true;
    } finally {
      await base?.release();
    }
  });
  if (unpacked && options.prune !== false) {
    await pruneUnpackedImages({ cacheDir: options.cacheDir, keep: digest, onProgress: options.onProgress });
  }
  return done(!unpacked);
}

/** The cache entry of `digest` under `root`, marked in use by the caller. */
async function unpackedEntry(root: string, digest: string, cached: boolean): Promise<UnpackedImage> {
  const key = entryName(digest);
  const target = join(root, key);
  let released = false;
  return {
    rootfs: join(target, "rootfs"),
    config: JSON.parse(await readFile(join(target, "config.json"), "utf8")) as ImageConfig,
    digest,
    cached,
    async release() {
      if (released) return;
      released = true;
      await releaseCacheEntry(root, key);
    },
  };
}

/**
 * The image of manifest `digest` when it is unpacked in the cache (marked in use; call
 * `release()`), else undefined: a build that may not pull (`--pull-policy never|if-not-present`)
 * uses it without asking the registry.
 *
 * @example
 * const builder = await openUnpacked("sha256:...", { cacheDir });
 */
export async function openUnpacked(
  digest: string,
  options: { cacheDir?: string } = {},
): Promise<UnpackedImage | undefined> {
  const root = join(options.cacheDir ?? cnbkitCacheDir(), "rootfs-by-digest");
  const key = entryName(digest);
  if (!(await useCacheEntry(root, key, (dir) => existsSync(join(dir, "config.json"))))) return undefined;
  return unpackedEntry(root, digest, true);
}

/**
 * Prunes the unpacked-image cache down to its bound (`CNBKIT_CACHE_MAX_ROOTFS`, ../cache/prune.ts),
 * never touching the image `keep` (a manifest digest) nor any entry in use. Never throws.
 *
 * @example
 * const app = await unpackImage(ref, { prune: false });
 * // ... start the container on app.rootfs, then:
 * await pruneUnpackedImages({ keep: app.digest, onProgress: console.error });
 */
export async function pruneUnpackedImages(
  options: { cacheDir?: string; keep?: string; onProgress?: (line: string) => void } = {},
): Promise<void> {
  const root = join(options.cacheDir ?? cnbkitCacheDir(), "rootfs-by-digest");
  const keep = options.keep && entryName(options.keep);
  const shared = (name: string) => !existsSync(join(root, name, APP_MARK));
  await pruneCacheKind("rootfs", root, { ...(keep ? { keep } : {}), shared, onProgress: options.onProgress });
}

/**
 * How many of an app image's layers are its run image's: up to and including the diffID the
 * lifecycle's metadata label names as `runImage.topLayer`; 0 for any other image.
 */
export function runImageLayerCount(config: ImageConfig): number {
  const label = config.config?.Labels?.["io.buildpacks.lifecycle.metadata"];
  if (!label) return 0;
  let top: unknown;
  try {
    top = (JSON.parse(label) as { runImage?: { topLayer?: unknown } }).runImage?.topLayer;
  } catch {
    return 0;
  }
  return typeof top === "string" ? (config.rootfs.diff_ids as readonly string[]).indexOf(top) + 1 : 0;
}

/**
 * The OCI chain ID of the first `count` layers: the first diffID, then
 * sha256(previous chain ID + " " + next diffID) for each layer above it.
 */
export function chainId(diffIds: readonly string[], count: number): string {
  let chain = diffIds[0] ?? "";
  for (const diffId of diffIds.slice(1, count)) {
    chain = `sha256:${createHash("sha256").update(`${chain} ${diffId}`).digest("hex")}`;
  }
  return chain;
}

/**
 * The cache entry of an app image's run-image part (its first `count` layers), unpacked now
 * unless another app on the same run image did it before; marked in use until `release()`.
 */
async function runImagePart(
  source: ImageSource,
  image: ResolvedImage,
  count: number,
  root: string,
  options: UnpackOptions,
): Promise<{ key: string; release(): Promise<void> }> {
  const key = `chain-${entryName(chainId(image.config.rootfs.diff_ids, count))}`;
  const dir = join(root, key);
  const release = () => releaseCacheEntry(root, key);
  if (await useCacheEntry(root, key, (d) => existsSync(join(d, "rootfs")))) return { key, release };
  await withDirLock(`${dir}.lock`, async () => {
    if (existsSync(join(dir, "rootfs"))) return markCacheEntryUsed(root, key);
    await fillCacheEntry(root, key, async (tmp) => {
      await emptyRootfs(join(tmp, "rootfs"));
      const layers = image.manifest.manifest.layers;
      await applyLayers(source, layers, [0, count], join(tmp, "rootfs"), options.onProgress, options.signal);
    });
    await markCacheEntryUsed(root, key);
  });
  return { key, release };
}

/** An empty root directory for an entry, mode 0755 whatever the umask. */
async function emptyRootfs(dir: string): Promise<void> {
  await mkdir(dir, { recursive: true });
  await chmod(dir, 0o755);
}

/**
 * `cp -al`: the tree's directories made anew, its files hardlinked (see the top of this file).
 * Asynchronous, since `cnbkit run` and test workers copy while other work goes on.
 */
async function hardlinkCopy(from: string, to: string): Promise<void> {
  await execFileAsync("cp", ["-a", "-l", from, to]).catch((err: Error & { stderr?: string }) => {
    throw new CnbError(`cannot copy the unpacked run image ${from}: ${err.stderr?.trim() || err.message}`);
  });
}

/** The file in an app image's entry that names its run-image entry (and marks it a one-off). */
const APP_MARK = "run-image";

/** The cache entry of a manifest digest: `sha256:ab..` is `sha256-ab..`. */
function entryName(digest: string): string {
  return `${digest.split(":")[0]}-${digestHex(digest)}`;
}

/** Applies `layers[from..to)` (bottom first) to `rootfs`; progress lines count all of `layers`. */
async function applyLayers(
  source: ImageSource,
  layers: readonly Descriptor[],
  [from, to]: [number, number],
  rootfs: string,
  onProgress?: (line: string) => void,
  signal?: AbortSignal,
): Promise<void> {
  for (const [i, layer] of layers.entries()) {
    if (i < from || i >= to) continue;
    if (signal?.aborted) throw new CnbError("unpacking stopped; nothing was cached");
    onProgress?.(`Unpacking layer ${i + 1}/${layers.length} ${layer.digest.slice(7, 19)} (${mib(layer.size)})`);
    await applyLayer(await source.blob(layer.digest, layer.size), layer, rootfs);
  }
}

function mib(n: number): string {
  return `${(n / 1024 / 1024).toFixed(1)} MiB`;
}

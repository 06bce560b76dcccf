/**
 * Compressed layer blobs kept by diffId, so packaging an unchanged buildpack again does not
 * gzip it again. A buildpack compiled to a Node single executable is a ~112 MB layer: gzip
 * takes ~3 s of it, hashing its tar ~0.3 s. The same tar always gzips to the same bytes
 * (`layer.ts`), so the blob made once for a diffId is the blob every later run would make.
 *
 * `<root>/<diffId hex>/` holds `blob` (the gzip bytes) and `layer.json` (digest, size,
 * diffId, and how it was compressed). A layer is hashed first; a hit is checked (size, then
 * the blob's sha256, remembered by inode, size and mtime in the entry's `.cnbkit-verified`
 * as for an output layout's blobs, `blob-check.ts`: rehashing 40 MiB on every hit cost
 * ~0.1 s a layer) and hardlinked into the output (copied across
 * filesystems); a miss is compressed once, under the entry's lock, into a `.tmp-*` dir that
 * is renamed into place. A broken entry (wrong size or digest, missing file, another
 * compression) is discarded and made again. The cache is bounded like cnbkit's other caches
 * (`../cache/prune.ts`, `CNBKIT_CACHE_MAX_LAYER_BLOBS`, default 40; 0 turns it off). A full
 * disk under the cache leaves no entry and the layer is written without it, with a warning.
 */
import { copyFile, link, mkdir, readdir, readFile, rename, rm, stat, writeFile } from "node:fs/promises";
import { join } from "node:path";
import {
  cacheBounds,
  cacheEntryLock,
  cnbkitCacheDir,
  formatBytes,
  markCacheEntryUsed,
  pruneCacheKind,
  useCacheEntry,
  withDirLock,
} from "../cache/index.js";
import { checkBlobFile } from "./blob-check.js";
import { type Digest, digestHex, isDigest } from "./digest.js";
import { MEDIA_TYPES } from "./image.js";
import { gzipCompression, type LayerBlobStore, type LayerDescriptor, type LayerSource, tempPath } from "./layer.js";

const BLOB = "blob";
const META = "layer.json";
/** How `layer.ts` compresses by default; an entry made another way is a miss (and is replaced). */
const COMPRESSION = gzipCompression();

/** Options of {@link LayerBlobCache}. */
export interface LayerBlobCacheOptions {
  /** The cache dir (default `<cnbkitCacheDir()>/layer-blobs`). */
  root?: string;
  /** Where `CNBKIT_CACHE` and `CNBKIT_CACHE_MAX_LAYER_BLOBS(_SIZE)` are read (default `process.env`). */
  env?: Record<string, string | undefined>;
  /** One line per reused, discarded or pruned entry. */
  onProgress?: (line: string) => void;
  /**
   * Layers with less file content than this are compressed every time (default 1 MiB): they
   * gzip in milliseconds, and as entries they would only push large ones out of the bound.
   */
  minBytes?: number;
}

/** What a {@link LayerBlobCache} did so far. */
export interface LayerBlobCacheStats {
  /** Layers whose blob came from the cache. */
  reused: number;
  /** Layers compressed and stored as new entries. */
  stored: number;
  /** Broken entries found and made again. */
  discarded: number;
}

/** What {@link readEntry} found: a whole entry, a broken one, or nothing. */
interface Entry {
  layer?: LayerDescriptor;
  problem?: string;
}

/**
 * A content-addressed cache of compressed layer blobs. Pass it as `cache` to `writeLayer` or
 * `layerFromDir`; it is worth it for large layers (buildpacks, the lifecycle), not for a
 * config file.
 *
 * @example
 * const cache = new LayerBlobCache({ onProgress: console.error });
 * await layerFromDir("stage/bp", { prefix: "cnb/buildpacks/acme_node/1.2.0", cache }, layout.blobDir);
 * // a second run: "Reusing compressed layer 3f9a0c1d2e4b (30.1 MiB) from the cache"; cache.stats.reused === 1
 */
export class LayerBlobCache implements LayerBlobStore {
  /** The cache dir: one `<diffId hex>/` entry per layer. */
  readonly root: string;
  /** Counters, for progress summaries and tests. */
  readonly stats: LayerBlobCacheStats = { reused: 0, stored: 0, discarded: 0 };
  private readonly env: Record<string, string | undefined>;
  private readonly say: (line: string) => void;
  private readonly enabled: boolean;
  private readonly minBytes: number;

  constructor(options: LayerBlobCacheOptions = {}) {
    this.env = options.env ?? process.env;
    this.say = options.onProgress ?? (() => {});
    this.root = options.root ?? join(cnbkitCacheDir(this.env), "layer-blobs");
    this.enabled = cacheBounds("layerBlobs", this.env, this.say).maxEntries !== 0;
    this.minBytes = options.minBytes ?? 1024 * 1024;
  }

  /** Puts the blob of `source` into `outDir` as `<digest hex>`: the cached one, or a new one it stores. */
  async layer(source: LayerSource, outDir: string): Promise<LayerDescriptor> {
    if (!this.enabled || source.contentSize < this.minBytes) return source.write(outDir);
    const diffId = await source.diffId();
    const key = digestHex(diffId);
    const dir = join(this.root, key);
    // A hit is marked in use under the entry's lock, so a concurrent prune leaves it until
    // this process ends; its digest is checked before it is placed.
    let found: Entry = {};
    const whole = async (d: string) => {
      found = await readEntry(d, diffId, source.compression ?? COMPRESSION);
      return found.layer !== undefined;
    };
    if ((await useCacheEntry(this.root, key, whole)) && found.layer) {
      if ((await checkBlobFile(dir, join(dir, BLOB), found.layer.digest)) === "ok") {
        await placeBlob(join(dir, BLOB), found.layer.digest, outDir);
        return this.reused(found.layer);
      }
    }
    let made: Awaited<ReturnType<LayerBlobCache["fill"]>>;
    try {
      await mkdir(this.root, { recursive: true });
      made = await withDirLock(cacheEntryLock(this.root, key), () => this.fill(source, diffId, outDir));
    } catch (err) {
      // The cache only saves time: its disk being full must not stop the layer. fill() left
      // no entry (its .tmp dir is gone), so nothing half-written is trusted later.
      if (!isDiskFull(err)) throw err;
      this.say(
        `warning: no space left for the layer cache in ${this.root}; writing layer ${key.slice(0, 12)} without it (free space there, or set CNBKIT_CACHE_MAX_LAYER_BLOBS=0)`,
      );
      return source.write(outDir);
    }
    if (made.placed) return made.layer;
    await placeBlob(join(dir, BLOB), made.layer.digest, outDir);
    if (!made.stored) return this.reused(made.layer); // another writer made it while we waited
    this.stats.stored++;
    await pruneCacheKind("layerBlobs", this.root, { keep: key, onProgress: this.say, env: this.env });
    return made.layer;
  }

  /**
   * Under the entry's lock: takes a whole entry (another writer's, made while we waited), or
   * discards a broken one and compresses `source` into a new one. `placed` says the blob is
   * already in `outDir` and nothing was cached (the files changed between hash and gzip).
   */
  private async fill(
    source: LayerSource,
    diffId: Digest,
    outDir: string,
  ): Promise<{ layer: LayerDescriptor; stored: boolean; placed?: boolean }> {
    const key = digestHex(diffId);
    const dir = join(this.root, key);
    const e = await readEntry(dir, diffId, source.compression ?? COMPRESSION);
    if (e.layer) {
      if ((await checkBlobFile(dir, join(dir, BLOB), e.layer.digest)) === "ok") {
        await markCacheEntryUsed(this.root, key);
        return { layer: e.layer, stored: false };
      }
      await this.discard(key, `its blob's sha256 is not ${e.layer.digest}`);
    } else if (e.problem) {
      await this.discard(key, e.problem);
    }
    // Nobody else writes this entry while we hold its lock: a `.tmp-<key>-*` is a crashed writer's.
    for (const name of await readdir(this.root)) {
      if (name.startsWith(`.tmp-${key}-`)) await rm(join(this.root, name), { recursive: true, force: true });
    }
    const tmp = join(this.root, `.tmp-${key}-${process.pid}-${Date.now()}`);
    try {
      const layer = await source.write(tmp);
      const blob = join(tmp, digestHex(layer.digest));
      if (layer.diffId !== diffId) {
        this.say(`warning: the files of layer ${key.slice(0, 12)} changed while it was written; not caching it`);
        await placeBlob(blob, layer.digest, outDir);
        return { layer, stored: false, placed: true };
      }
      await rename(blob, join(tmp, BLOB));
      const meta = {
        compression: source.compression ?? COMPRESSION,
        mediaType: layer.mediaType,
        digest: layer.digest,
        size: layer.size,
        diffId,
      };
      await writeFile(join(tmp, META), `${JSON.stringify(meta)}\n`);
      await rename(tmp, dir);
      await markCacheEntryUsed(this.root, key);
      return { layer, stored: true };
    } finally {
      await rm(tmp, { recursive: true, force: true });
    }
  }

  /** Removes entry `key` (the caller holds its lock), renaming it aside first as a prune does. */
  private async discard(key: string, problem: string): Promise<void> {
    this.stats.discarded++;
    this.say(`Discarding cached layer ${key.slice(0, 12)}: ${problem}; compressing it again`);
    const trash = join(this.root, `.trash-${key}-${process.pid}-${Date.now()}`);
    try {
      await rename(join(this.root, key), trash);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "ENOENT") throw err;
    }
    await rm(trash, { recursive: true, force: true });
  }

  private reused(layer: LayerDescriptor): LayerDescriptor {
    this.stats.reused++;
    this.say(
      `Reusing compressed layer ${digestHex(layer.digest).slice(0, 12)} (${formatBytes(layer.size)}) from the cache`,
    );
    return layer;
  }
}

/** A write that failed for want of room (a full disk or a quota). */
function isDiskFull(err: unknown): boolean {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  return code === "ENOSPC" || code === "EDQUOT";
}

/** The entry at `dir` for `diffId` when `layer.json` describes it and the blob has its size. */
async function readEntry(dir: string, diffId: Digest, compression: string): Promise<Entry> {
  let text: string;
  try {
    text = await readFile(join(dir, META), "utf8");
  } catch {
    const there = await stat(dir).then(
      () => true,
      () => false,
    );
    return there ? { problem: `${META} is missing` } : {};
  }
  let meta: Record<string, unknown>;
  try {
    meta = JSON.parse(text) as Record<string, unknown>;
  } catch {
    return { problem: `${META} is not JSON` };
  }
  const { digest, size } = meta;
  if (
    meta.compression !== compression ||
    meta.mediaType !== MEDIA_TYPES.layerGzip ||
    meta.diffId !== diffId ||
    typeof digest !== "string" ||
    !isDigest(digest) ||
    typeof size !== "number" ||
    !Number.isSafeInteger(size)
  ) {
    return { problem: `${META} does not describe this layer compressed as cnbkit compresses it` };
  }
  const actual = (await stat(join(dir, BLOB)).catch(() => undefined))?.size;
  if (actual !== size) {
    return {
      problem: actual === undefined ? "its blob is missing" : `its blob is ${actual} bytes, ${META} says ${size}`,
    };
  }
  return { layer: { mediaType: MEDIA_TYPES.layerGzip, digest, size, diffId } };
}

/**
 * Puts `blob` into `outDir` as `<digest hex>`: a hardlink (blobs are never written in place,
 * so sharing the inode is safe), or a copy through a temp name across filesystems.
 */
async function placeBlob(blob: string, digest: Digest, outDir: string): Promise<void> {
  await mkdir(outDir, { recursive: true });
  const dest = join(outDir, digestHex(digest));
  try {
    await link(blob, dest);
    return;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "EEXIST") return; // named by its digest: the same bytes
  }
  const tmp = tempPath(outDir);
  try {
    await copyFile(blob, tmp);
    await rename(tmp, dest);
  } finally {
    await rm(tmp, { force: true });
  }
}

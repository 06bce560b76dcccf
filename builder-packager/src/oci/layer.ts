/**
 * Reproducible, streamed layer blobs (gzip'd tars named by their digest).
 *
 * The same files give the same digest on any machine: entries sorted by path, uid/gid 0
 * unless given, empty uname/gname, mtime 1980-01-01T00:00:01Z, normalised modes, and gzip
 * with no name, no time and a fixed level and OS byte. Nothing is held in memory: the tar is
 * produced entry by entry, hashed (diffId), compressed, hashed again (digest) and written to
 * a temp file that is renamed to `<outDir>/<hex>` once complete.
 *
 * Compressing is the expensive part (~3 s for a 112 MB buildpack executable, ~0.3 s to only
 * hash its tar), so a caller may pass a {@link LayerBlobStore} (`layer-cache.ts`) that
 * hashes first and hands back the blob it compressed before for that diffId.
 */
import { createHash, randomBytes } from "node:crypto";
import { createWriteStream } from "node:fs";
import { lstat, mkdir, readdir, readlink, rename, rm } from "node:fs/promises";
import { join } from "node:path";
import { Readable, Transform, type TransformCallback } from "node:stream";
import { pipeline } from "node:stream/promises";
import { constants as zc, createGzip } from "node:zlib";
import { type Digest, digestHex, HashingStream } from "./digest.js";
import { MEDIA_TYPES } from "./image.js";
import { type LayerEntry, normalizeTarPath, type ParentDir, prepareEntries, tarStream } from "./tar.js";

export type { FileContent, LayerEntry, ParentDir } from "./tar.js";

/** The gzip level every layer uses unless told. Changing it changes every digest, so it is fixed. */
export const GZIP_LEVEL = 6;

/**
 * The gzip level of the layers `builder create` compresses from a lifecycle (~25 MB of Go
 * binaries): 0.4 s of CPU instead of 0.9 s at level 6, for a blob 9% larger (9.4 MiB
 * against 8.6 MiB). Fixed like {@link GZIP_LEVEL}: the same files give the same digest.
 */
export const FAST_GZIP_LEVEL = 1;

/** How a layer at `level` is compressed, as the layer cache records it (another way is a miss). */
export function gzipCompression(level: number = GZIP_LEVEL): string {
  return `gzip level ${level}, no name, mtime 0, OS 255`;
}

/** What a written layer is: its blob descriptor plus the diffId that goes in the image config. */
export interface LayerDescriptor {
  mediaType: typeof MEDIA_TYPES.layerGzip;
  /** sha256 of the gzip blob (its file name in outDir is the hex part). */
  digest: Digest;
  /** Size of the gzip blob in bytes. */
  size: number;
  /** sha256 of the uncompressed tar, for `rootfs.diff_ids`. */
  diffId: Digest;
}

/** Options for {@link writeLayer}. */
export interface WriteLayerOptions {
  /** Owner and mode for parent directories no entry names (default 0:0 0755). */
  parents?: (dirPath: string) => ParentDir | undefined;
  /** Called with the uncompressed bytes written so far (for progress), while compressing. */
  onProgress?: (bytes: number) => void;
  /**
   * Where the compressed blob may already be, by diffId (`LayerBlobCache` in layer-cache.ts). The
   * entries' content is then read twice on a miss (once to hash, once to compress), so a
   * `stream()` entry must give the same bytes on every call.
   */
  cache?: LayerBlobStore;
  /** The gzip level (default {@link GZIP_LEVEL}); each level gives its own, fixed, digest. */
  level?: number;
}

/**
 * A layer's reproducible tar, not yet compressed: what a {@link LayerBlobStore} gets, so it can
 * learn the diffId cheaply and compress only when it has no blob for it.
 */
export interface LayerSource {
  /** Bytes of file content in the tar, known before reading any (a store may skip small layers). */
  readonly contentSize: number;
  /** How {@link write} compresses ({@link gzipCompression}); a store keeps blobs made another way apart. */
  readonly compression?: string;
  /** sha256 of the uncompressed tar, computed without compressing (reads every entry once). */
  diffId(): Promise<Digest>;
  /** Compresses the tar into `dir` as `<dir>/<digest hex>` (via a temp name) and describes it. */
  write(dir: string): Promise<LayerDescriptor>;
}

/**
 * Supplies a layer's blob in `outDir` (as `<outDir>/<digest hex>`), from a cache or by
 * `source.write(outDir)`. The blob must be byte-identical to what `source.write` gives.
 */
export interface LayerBlobStore {
  layer(source: LayerSource, outDir: string): Promise<LayerDescriptor>;
}

/**
 * Rewrites gzip's OS byte (offset 9) to 255 ("unknown"), as Go's compress/gzip writes it, so
 * the blob does not depend on the zlib build (Unix 3, Windows 10). Node writes mtime 0 and
 * no file name already.
 */
class GzipHeaderFix extends Transform {
  private seen = 0;
  override _transform(chunk: Buffer, _e: BufferEncoding, cb: TransformCallback): void {
    if (this.seen <= 9 && this.seen + chunk.length > 9) {
      const c = Buffer.from(chunk);
      c[9 - this.seen] = 0xff;
      chunk = c;
    }
    this.seen += chunk.length;
    cb(null, chunk);
  }
}

class Counter extends Transform {
  bytes = 0;
  constructor(private readonly onProgress?: (bytes: number) => void) {
    super();
  }
  override _transform(chunk: Buffer, _e: BufferEncoding, cb: TransformCallback): void {
    this.bytes += chunk.length;
    this.onProgress?.(this.bytes);
    cb(null, chunk);
  }
}

/** A temp name inside `dir` that readers of the directory skip (dot-prefixed). */
export function tempPath(dir: string): string {
  return join(dir, `.tmp-${process.pid}-${randomBytes(6).toString("hex")}`);
}

/**
 * Writes a reproducible gzip layer of `entries` into `outDir` as `<outDir>/<sha256 hex>`.
 *
 * Entries may come in any order (they are sorted); missing parent directories are added.
 * File content is read only while it is written (and hashed, with `options.cache`).
 *
 * @example
 * const layer = await writeLayer([{ type: "file", path: "cnb/order.toml", size: 3, data: "a=1" }], layout.blobDir);
 * // layer.digest names the blob, layer.diffId goes into the config's rootfs.diff_ids
 */
export async function writeLayer(
  entries: AsyncIterable<LayerEntry> | Iterable<LayerEntry>,
  outDir: string,
  options: WriteLayerOptions = {},
): Promise<LayerDescriptor> {
  const list: LayerEntry[] = [];
  for await (const e of entries) list.push(e);
  const sorted = prepareEntries(list, options.parents);
  const source: LayerSource = {
    contentSize: sorted.reduce((n, e) => n + (e.type === "file" ? e.size : 0), 0),
    compression: gzipCompression(options.level),
    async diffId() {
      const hash = createHash("sha256");
      for await (const chunk of tarStream(sorted)) hash.update(chunk);
      return `sha256:${hash.digest("hex")}`;
    },
    write: (dir) => gzipLayer(sorted, dir, options.onProgress, options.level),
  };
  return options.cache ? options.cache.layer(source, outDir) : source.write(outDir);
}

/** Streams the tar of sorted `entries` through gzip into `<outDir>/<digest hex>`. */
async function gzipLayer(
  sorted: LayerEntry[],
  outDir: string,
  onProgress?: (bytes: number) => void,
  level = GZIP_LEVEL,
): Promise<LayerDescriptor> {
  await mkdir(outDir, { recursive: true });
  const tmp = tempPath(outDir);
  const tarHash = new HashingStream();
  const gzHash = new HashingStream();
  try {
    await pipeline(
      Readable.from(tarStream(sorted), { objectMode: false }),
      new Counter(onProgress),
      tarHash,
      createGzip({ level, memLevel: 8, strategy: zc.Z_DEFAULT_STRATEGY }),
      new GzipHeaderFix(),
      gzHash,
      createWriteStream(tmp),
    );
    const digest = gzHash.digest;
    await rename(tmp, join(outDir, digestHex(digest)));
    return { mediaType: MEDIA_TYPES.layerGzip, digest, size: gzHash.size, diffId: tarHash.digest };
  } catch (err) {
    await rm(tmp, { force: true });
    throw err;
  }
}

/** Options for {@link layerFromDir}. */
export interface LayerFromDirOptions {
  /** Where the directory's contents go inside the layer, e.g. `cnb/buildpacks/acme_node/1.0`. */
  prefix: string;
  /** Owner of every entry from the directory (default 0). */
  uid?: number;
  gid?: number;
  /** Mode for an entry; `path` is relative to `dir` ("" for the directory itself). Default: normalised. */
  modes?: (path: string, stat: { isDirectory(): boolean; isFile(): boolean; mode: number }) => number;
  /**
   * Owner and mode of the prefix's directories, outermost first: `parents[0]` is for `cnb`,
   * `parents[1]` for `cnb/buildpacks`, ... The last prefix directory is the source dir itself
   * and gets `uid`/`gid`/`modes`. Missing ones are 0:0 0755.
   */
  parents?: ParentDir[];
  /** Called with uncompressed bytes written so far, while compressing. */
  onProgress?: (bytes: number) => void;
  /** Where the compressed blob may already be, by diffId (see {@link WriteLayerOptions.cache}). */
  cache?: LayerBlobStore;
}

/** Normalised mode: dirs 0755, files 0755 if any exec bit is set, else 0644. */
export function normalizedMode(stat: { isDirectory(): boolean; mode: number }): number {
  if (stat.isDirectory()) return 0o755;
  return stat.mode & 0o111 ? 0o755 : 0o644;
}

/**
 * Packs a directory tree as a reproducible layer under `prefix`.
 *
 * Symlinks are kept as symlinks; files with the same inode inside the tree become one file
 * plus tar hardlinks (the first path in byte order carries the data). Sockets, fifos and
 * devices are refused.
 *
 * @example
 * await layerFromDir("out/bp", { prefix: "cnb/buildpacks/acme_node/1.2.0" }, layout.blobDir);
 * // the same, reusing the blob compressed for the same files before:
 * await layerFromDir("out/bp", { prefix: "cnb/buildpacks/acme_node/1.2.0", cache: new LayerBlobCache() }, layout.blobDir);
 */
export async function layerFromDir(
  dir: string,
  options: LayerFromDirOptions,
  outDir: string,
): Promise<LayerDescriptor> {
  const prefix = normalizeTarPath(options.prefix);
  const uid = options.uid ?? 0;
  const gid = options.gid ?? 0;
  const modeOf = options.modes ?? ((_p, st) => normalizedMode(st));
  const entries: LayerEntry[] = [];
  const inodes = new Map<string, { path: string; rel: string }[]>();

  const join2 = (rel: string) => (prefix === "" ? rel : rel === "" ? prefix : `${prefix}/${rel}`);

  async function walk(rel: string): Promise<void> {
    const abs = rel === "" ? dir : join(dir, rel);
    const st = await lstat(abs);
    const path = join2(rel);
    if (st.isDirectory()) {
      if (path !== "") entries.push({ type: "dir", path, mode: modeOf(rel, st), uid, gid });
      for (const name of await readdir(abs)) await walk(rel === "" ? name : `${rel}/${name}`);
    } else if (st.isSymbolicLink()) {
      entries.push({ type: "symlink", path, target: await readlink(abs), uid, gid });
    } else if (st.isFile()) {
      if (st.nlink > 1) {
        const key = `${st.dev}:${st.ino}`;
        const group = inodes.get(key) ?? [];
        group.push({ path, rel });
        inodes.set(key, group);
      }
      entries.push({ type: "file", path, size: st.size, sourcePath: abs, mode: modeOf(rel, st), uid, gid });
    } else {
      throw new Error(`${abs}: only files, directories and symlinks can go in a layer`);
    }
  }
  await walk("");

  // Hardlinks: the first path in byte order keeps the data; the others link to it.
  const byPath = new Map(entries.map((e, i) => [e.path, i]));
  for (const group of inodes.values()) {
    if (group.length < 2) continue;
    group.sort((a, b) => Buffer.compare(Buffer.from(a.path), Buffer.from(b.path)));
    const first = group[0]!;
    for (const other of group.slice(1)) {
      const i = byPath.get(other.path)!;
      const e = entries[i]!;
      entries[i] = { type: "hardlink", path: e.path, target: first.path, mode: e.mode, uid, gid };
    }
  }

  const prefixParts = prefix === "" ? [] : prefix.split("/");
  const parents = (dirPath: string): ParentDir | undefined => {
    const depth = dirPath.split("/").length - 1;
    if (depth < prefixParts.length) return options.parents?.[depth];
    return undefined;
  };
  return writeLayer(entries, outDir, { parents, onProgress: options.onProgress, cache: options.cache });
}

/**
 * The scan of layer-scan.ts for an image layer the exporter has just written from a
 * buildpack's layer directory, read from that directory (still there in the build's view)
 * instead of gunzipping its blob: Caddy's 57 MB binary is a read from the page cache and a
 * sha256, not a 0.2-0.3 s inflate, on every rebuild after an edit.
 *
 * The findings are the tar's because the bytes read are the tar's, proven: the tar the
 * exporter wrote (lifecycle layers/dir.go DirLayer) is made again from the dir, byte for
 * byte, and its sha256 must be the layer's diffID. How the exporter makes it:
 * - first the layer dir's parents (`/layers`, `/layers/<buildpack>`) with their own owners
 *   and modes: those headers and the layer dir's own are taken as they are from the blob's
 *   head (a few hundred bytes of gzip);
 * - then everything below the layer dir in its walk (../layer-dirs.ts), each header made by
 *   Go's tar.FileInfoHeader from the entry's lstat (mode = st_mode & 07777, setuid, setgid and
 *   sticky bits included; a symlink's target; a hard link as a file), its name the path in
 *   the build, uid and gid the exporter's user (the layer dir's header's), no user or group
 *   names, the mtime normalised (the layer dir's header's); Go's writer encodes each as USTAR
 *   when it can, as here, and pads each file to 512 bytes; two zero blocks end the tar.
 *
 * The headers and bytes hashed are the ones checked (layer-hygiene.ts) and searched, file by
 * file in the tar's order, so a secret found is in the same file. Anything else (a head that
 * is not those entries or not USTAR, an owner in the tar other than the CNB user, an entry
 * USTAR cannot hold, a device, a read error, another digest: a file changed after the
 * exporter read it) gives undefined, and the caller scans the blob.
 */
import { createHash, type Hash } from "node:crypto";
import { createReadStream, type Stats } from "node:fs";
import { lstat, open, readlink } from "node:fs/promises";
import { join } from "node:path";
import { constants, gunzipSync } from "node:zlib";
import tar from "tar-stream";
import { encodeHeader } from "../../../oci/index.js";
import { walkLayerDir } from "../layer-dirs.js";
import { type CnbOwner, type EntryHeader, entryHygiene, entryPath } from "./layer-hygiene.js";
import type { LayerScan } from "./layer-scan.js";
import { needleSearch } from "./needle-search.js";

/** Compressed bytes read for the tar's head: three directory headers deflate to far less. */
const HEAD_BYTES = 4096;
const BLOCK = 512;

/** A USTAR header as Go's tar writer fills it for the exporter (no user or group names, no device numbers). */
interface UstarHeader extends EntryHeader {
  type: "file" | "directory" | "symlink" | "fifo";
  mode: number;
  uid: number;
  gid: number;
  size: number;
  mtime: number;
  linkname: string;
}

/** The layer to read: its blob and diffID, and its buildpack's dir (`cnbkit_go/app`, as ../layer-dirs.ts names it) under `layersDir`. */
export interface DirLayer {
  blob: string;
  diffId: string;
  layersDir: string;
  dir: string;
}

/**
 * The {@link LayerScan} of `layer`, read from its dir; undefined when the dir does not make
 * the layer's tar again, byte for byte (scan the blob then).
 */
export async function scanLayerDir(
  layer: DirLayer,
  needles: readonly Buffer[],
  owner: CnbOwner,
): Promise<LayerScan | undefined> {
  try {
    const parts = layer.dir.split("/");
    const head = await tarHead(layer.blob, parts.length + 1);
    const names = ["layers", ...parts.map((_, i) => `layers/${parts.slice(0, i + 1).join("/")}`)];
    if (!head?.headers.every((h, i) => entryPath(h.name) === names[i] && h.type === "directory" && !h.size))
      return undefined;
    const top = head.headers.at(-1)!;
    const root = join(layer.layersDir, layer.dir);
    const st = await lstat(root);
    if (top.uid !== owner.uid || top.gid !== owner.gid || !st.isDirectory() || top.mode !== (st.mode & 0o7777))
      return undefined;
    const hash = createHash("sha256").update(head.bytes);
    const result: LayerScan = { hygiene: head.headers.flatMap((h) => entryHygiene(h, owner)), bytes: 0 };
    await walkLayerDir(root, async (rel, entry) => {
      const header = await entryHeader(join(root, rel), entry, { ...top, name: `${top.name}/${rel}` });
      const block = encodeHeader({ ...header, typeflag: TYPEFLAG[header.type] });
      if (block.length !== BLOCK) throw new Error("not USTAR"); // a PAX header first: Go names those its own way
      hash.update(block);
      result.hygiene.push(...entryHygiene(header, owner));
      if (header.type !== "file") return;
      const found = await hashAndSearch(join(root, rel), header.size, hash, result.secret ? [] : needles);
      result.bytes += header.size;
      if (found !== -1) result.secret = { needle: found, path: entryPath(header.name) };
    });
    hash.update(Buffer.alloc(2 * BLOCK));
    return `sha256:${hash.digest("hex")}` === layer.diffId ? result : undefined;
  } catch {
    return undefined;
  }
}

/** The header Go's tar.FileInfoHeader makes of `st`, with the exporter's owner and mtime from `base`. */
async function entryHeader(file: string, st: Stats, base: UstarHeader): Promise<UstarHeader> {
  const type = st.isFile()
    ? "file"
    : st.isDirectory()
      ? "directory"
      : st.isSymbolicLink()
        ? "symlink"
        : st.isFIFO()
          ? "fifo"
          : undefined;
  if (!type) throw new Error("a device"); // device numbers are not worth writing here
  return {
    name: base.name,
    type,
    mode: st.mode & 0o7777,
    uid: base.uid,
    gid: base.gid,
    size: type === "file" ? st.size : 0,
    mtime: base.mtime,
    linkname: type === "symlink" ? await readlink(file) : "",
  };
}

/** Feeds the `size` bytes of `file` and the tar's padding to `hash`; returns the first of `needles` they hold, or -1. */
async function hashAndSearch(file: string, size: number, hash: Hash, needles: readonly Buffer[]): Promise<number> {
  const search = needleSearch(needles);
  let found = -1;
  let read = 0;
  for await (const chunk of createReadStream(file, { highWaterMark: 256 * 1024 })) {
    const bytes = chunk as Buffer;
    hash.update(bytes);
    read += bytes.length;
    if (found === -1) found = search.push(bytes);
  }
  if (read !== size) throw new Error("changed while read");
  hash.update(Buffer.alloc(-size & (BLOCK - 1)));
  return found;
}

const TYPEFLAG: Record<UstarHeader["type"], string> = { file: "0", symlink: "2", directory: "5", fifo: "6" };

/**
 * The first `count` entries of the (gzip or plain) tar at `file` and their bytes, read from
 * its first {@link HEAD_BYTES} bytes; undefined unless each is one USTAR header block.
 */
async function tarHead(file: string, count: number): Promise<{ headers: UstarHeader[]; bytes: Buffer } | undefined> {
  const handle = await open(file, "r");
  let raw: Buffer;
  try {
    const buf = Buffer.alloc(HEAD_BYTES);
    raw = buf.subarray(0, (await handle.read(buf, 0, HEAD_BYTES, 0)).bytesRead);
  } finally {
    await handle.close();
  }
  // A truncated gzip stream inflates as far as it goes with a sync flush.
  const head = raw[0] === 0x1f && raw[1] === 0x8b ? gunzipSync(raw, { finishFlush: constants.Z_SYNC_FLUSH }) : raw;
  if (head.length < count * BLOCK) return undefined;
  const bytes = head.subarray(0, count * BLOCK);
  const headers = await firstHeaders(bytes);
  return headers.length === count ? { headers, bytes } : undefined;
}

/**
 * The directory headers of `bytes`, a tar's first header blocks (tar-stream checks each block's
 * checksum). A PAX or GNU extension header takes a block of its own, so its entry makes fewer
 * headers than blocks, and the caller scans the blob.
 */
function firstHeaders(bytes: Buffer): Promise<UstarHeader[]> {
  return new Promise((resolve, reject) => {
    const headers: UstarHeader[] = [];
    const extract = tar.extract();
    extract.on("entry", (h, stream, next) => {
      if (h.type === "directory" && !h.size && !h.pax)
        headers.push({
          name: h.name,
          type: "directory",
          mode: h.mode ?? 0,
          uid: h.uid ?? 0,
          gid: h.gid ?? 0,
          size: 0,
          mtime: Math.floor((h.mtime?.getTime() ?? 0) / 1000),
          linkname: "",
        });
      stream.on("end", next);
      stream.resume();
    });
    extract.on("finish", () => resolve(headers));
    extract.on("error", reject);
    // the head alone, ended as a tar is, so the extractor finishes rather than waits for more
    extract.end(Buffer.concat([bytes, Buffer.alloc(2 * BLOCK)]));
  });
}

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
import { walkLayerDir } from "../layer-dirs.js";
import { type CnbOwner, type EntryHeader, entryHygiene } from "./layer-hygiene.js";
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
    if (!head?.headers.every((h, i) => bare(h.name) === names[i] && h.type === "directory" && !h.size))
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
      const block = ustarBlock(header);
      if (!block) throw new Error("not USTAR");
      hash.update(block);
      result.hygiene.push(...entryHygiene(header, owner));
      if (header.type !== "file") return;
      const found = await hashAndSearch(join(root, rel), header.size, hash, result.secret ? [] : needles);
      result.bytes += header.size;
      if (found !== -1) result.secret = { needle: found, path: bare(header.name) };
    });
    hash.update(Buffer.alloc(2 * BLOCK));
    return `sha256:${hash.digest("hex")}` === layer.diffId ? result : undefined;
  } catch {
    return undefined;
  }
}

/** A path as layer-hygiene.ts compares it: no leading `/` or `./`, no trailing `/`. */
function bare(name: string): string {
  return name.replace(/^\.?\//, "").replace(/\/$/, "");
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

/** `h` as Go's tar writer encodes it in USTAR (writer.go writeUSTARHeader); undefined when USTAR cannot hold it. */
function ustarBlock(h: UstarHeader): Buffer | undefined {
  const path = ustarPath(h.name);
  const fits = (x: number, len: number) => x >= 0 && x < 8 ** (len - 1);
  if (!path || !isAscii(h.linkname) || h.linkname.length > 100) return undefined;
  if (![h.mode, h.uid, h.gid].every((x) => fits(x, 8)) || !fits(h.size, 12) || !fits(h.mtime, 12)) return undefined;
  const b = Buffer.alloc(BLOCK);
  const octal = (offset: number, len: number, x: number) => b.write(x.toString(8).padStart(len - 1, "0"), offset);
  b.write(path.name, 0, "latin1");
  octal(100, 8, h.mode);
  octal(108, 8, h.uid);
  octal(116, 8, h.gid);
  octal(124, 12, h.size);
  octal(136, 12, h.mtime);
  b.write(TYPEFLAG[h.type], 156);
  b.write(h.linkname, 157, "latin1");
  b.write("ustar\u000000", 257, "latin1");
  octal(329, 8, 0); // device major and minor
  octal(337, 8, 0);
  b.write(path.prefix, 345, "latin1");
  b.fill(" ", 148, 156);
  octal(
    148,
    7,
    b.reduce((sum, c) => sum + c, 0),
  );
  b[154] = 0;
  return b;
}

/** A name in USTAR's name and prefix fields, split as Go's splitUSTARPath does; undefined when it does not fit. */
function ustarPath(name: string): { name: string; prefix: string } | undefined {
  if (!isAscii(name)) return undefined;
  if (name.length <= 100) return { name, prefix: "" };
  let length = Math.min(name.length, 156);
  if (length === name.length && name.endsWith("/")) length--;
  const i = name.lastIndexOf("/", length - 1);
  const suffix = name.length - i - 1;
  if (i <= 0 || suffix > 100 || suffix === 0 || i > 155) return undefined;
  return { name: name.slice(i + 1), prefix: name.slice(0, i) };
}

function isAscii(s: string): boolean {
  return /^[\x01-\x7f]*$/.test(s);
}

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
  const tar = raw[0] === 0x1f && raw[1] === 0x8b ? gunzipSync(raw, { finishFlush: constants.Z_SYNC_FLUSH }) : raw;
  if (tar.length < count * BLOCK) return undefined;
  const headers: UstarHeader[] = [];
  for (let i = 0; i < count; i++) {
    const h = parseUstar(tar.subarray(i * BLOCK, (i + 1) * BLOCK));
    if (!h) return undefined;
    headers.push(h);
  }
  return { headers, bytes: tar.subarray(0, count * BLOCK) };
}

/** A USTAR directory header block, parsed; undefined for anything else (PAX, GNU, another type, a bad checksum). */
function parseUstar(b: Buffer): UstarHeader | undefined {
  const text = (offset: number, len: number) => {
    const s = b.subarray(offset, offset + len);
    const end = s.indexOf(0);
    return s.subarray(0, end === -1 ? len : end).toString("latin1");
  };
  const num = (offset: number, len: number) => Number.parseInt(text(offset, len) || "0", 8);
  if (text(257, 6) !== "ustar" || text(263, 2) !== "00" || text(156, 1) !== "5") return undefined;
  const sum = b.reduce((s, c, i) => s + (i >= 148 && i < 156 ? 32 : c), 0);
  if (num(148, 8) !== sum) return undefined;
  const prefix = text(345, 155);
  const name = prefix ? `${prefix}/${text(0, 100)}` : text(0, 100);
  return {
    name,
    type: "directory",
    mode: num(100, 8),
    uid: num(108, 8),
    gid: num(116, 8),
    size: num(124, 12),
    mtime: num(136, 12),
    linkname: "",
  };
}

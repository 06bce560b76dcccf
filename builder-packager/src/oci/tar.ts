/**
 * Deterministic tar encoding: headers, PAX records and the entry stream.
 *
 * We encode tar ourselves (ustar plus PAX extended headers for long or non-ASCII names,
 * big sizes and ids) so every byte is decided here: same entries in, same bytes out, on any
 * machine. Content is pulled lazily from each entry's source, so a tar of any size streams
 * with bounded memory.
 */
import { createReadStream } from "node:fs";

/** The fixed mtime of every entry in a reproducible tar: 1980-01-01T00:00:01Z (what pack and the lifecycle use). */
export const NORMALIZED_MTIME = new Date("1980-01-01T00:00:01Z");

/** Where a file entry's bytes come from: inline bytes, a file on disk (streamed), or a stream factory. */
export type FileContent =
  | { data: Uint8Array | string }
  | { sourcePath: string }
  | { stream: () => AsyncIterable<Uint8Array> };

interface EntryBase {
  /** Path inside the tar, relative, '/'-separated, no leading '/' (one is stripped if given). */
  path: string;
  /** Permission bits (e.g. 0o755). Defaults: dirs 0755, files 0644, symlinks 0777. */
  mode?: number;
  /** Owner; 0 unless given. */
  uid?: number;
  gid?: number;
}

/** One entry of a layer; `file` content is read only when the entry is written. */
export type LayerEntry =
  | (EntryBase & { type: "dir" })
  | (EntryBase & { type: "file"; size: number } & FileContent)
  | (EntryBase & { type: "symlink"; target: string })
  | (EntryBase & { type: "hardlink"; target: string });

const enc = new TextEncoder();

function octal(value: number, width: number): string {
  return value.toString(8).padStart(width - 1, "0");
}

function fits(value: number, width: number): boolean {
  return value >= 0 && value.toString(8).length <= width - 1;
}

function paxRecord(key: string, value: string): Buffer {
  const body = ` ${key}=${value}\n`;
  const bodyLen = Buffer.byteLength(body);
  let len = bodyLen + String(bodyLen).length;
  if (String(len).length !== String(bodyLen).length) len = bodyLen + String(len).length;
  return Buffer.from(`${len}${body}`);
}

/** One tar header's fields, as {@link encodeHeader} writes them. */
export interface RawHeader {
  name: string;
  mode: number;
  uid: number;
  gid: number;
  size: number;
  typeflag: string;
  linkname: string;
  /** Seconds since the epoch; {@link NORMALIZED_MTIME} when not given (every tar cnbkit writes). */
  mtime?: number;
}

function isAscii(s: string): boolean {
  return /^[\x00-\x7f]*$/.test(s);
}

function splitUstarName(name: string): { name: string; prefix: string } | undefined {
  if (!isAscii(name)) return undefined;
  if (name.length <= 100) return { name, prefix: "" };
  // Split at a '/' so that prefix <= 155 and name <= 100.
  for (let i = name.length - 1; i > 0; i--) {
    if (name[i] !== "/") continue;
    const prefix = name.slice(0, i);
    const rest = name.slice(i + 1);
    if (prefix.length <= 155 && rest.length <= 100 && rest.length > 0) return { name: rest, prefix };
  }
  return undefined;
}

function ustarBlock(h: RawHeader, prefix: string): Buffer {
  const buf = Buffer.alloc(512);
  buf.write(h.name, 0, 100, "utf8");
  buf.write(`${octal(h.mode, 8)}\0`, 100, "ascii");
  buf.write(`${octal(h.uid, 8)}\0`, 108, "ascii");
  buf.write(`${octal(h.gid, 8)}\0`, 116, "ascii");
  buf.write(`${octal(h.size, 12)}\0`, 124, "ascii");
  buf.write(`${octal(h.mtime ?? NORMALIZED_MTIME.getTime() / 1000, 12)}\0`, 136, "ascii");
  buf.write("        ", 148, "ascii");
  buf.write(h.typeflag, 156, "ascii");
  buf.write(h.linkname, 157, 100, "utf8");
  buf.write("ustar\0", 257, "ascii");
  buf.write("00", 263, "ascii");
  // uname/gname (265, 297) stay empty; devmajor/devminor are zero.
  buf.write(`${octal(0, 8)}\0`, 329, "ascii");
  buf.write(`${octal(0, 8)}\0`, 337, "ascii");
  buf.write(prefix, 345, 155, "utf8");
  let sum = 0;
  for (const b of buf) sum += b;
  buf.write(`${octal(sum, 7)}\0 `, 148, "ascii");
  return buf;
}

/**
 * Encodes one header (with a PAX extended header first when ustar cannot hold it). A header
 * ustar holds is one 512-byte block, byte for byte what Go's archive/tar writes for it (the
 * lifecycle's exporter): the layer check rebuilds the exporter's tars with it.
 */
export function encodeHeader(h: RawHeader): Buffer {
  const pax: Buffer[] = [];
  let name = h.name;
  let prefix = "";
  const split = splitUstarName(h.name);
  if (split) {
    name = split.name;
    prefix = split.prefix;
  } else {
    pax.push(paxRecord("path", h.name));
    name = h.name.replace(/[^\x20-\x7e]/g, "_").slice(0, 99);
  }
  let linkname = h.linkname;
  if (!isAscii(linkname) || linkname.length > 100) {
    pax.push(paxRecord("linkpath", linkname));
    linkname = linkname.replace(/[^\x20-\x7e]/g, "_").slice(0, 99);
  }
  let size = h.size;
  if (!fits(size, 12)) {
    pax.push(paxRecord("size", String(size)));
    size = 0;
  }
  let uid = h.uid;
  let gid = h.gid;
  if (!fits(uid, 8)) {
    pax.push(paxRecord("uid", String(uid)));
    uid = 0;
  }
  if (!fits(gid, 8)) {
    pax.push(paxRecord("gid", String(gid)));
    gid = 0;
  }
  const main = ustarBlock({ ...h, name, linkname, size, uid, gid }, prefix);
  if (pax.length === 0) return main;
  const body = Buffer.concat(pax);
  const paxName = `PaxHeaders/${name}`.slice(0, 100);
  const paxHeader = ustarBlock(
    { name: paxName, mode: 0o644, uid: 0, gid: 0, size: body.length, typeflag: "x", linkname: "" },
    "",
  );
  return Buffer.concat([paxHeader, body, padding(body.length), main]);
}

function padding(size: number): Buffer {
  const rest = size % 512;
  return rest === 0 ? Buffer.alloc(0) : Buffer.alloc(512 - rest);
}

/** Normalises a tar path: '/'-separated, no leading './' or '/', no trailing '/', rejects '..'. */
export function normalizeTarPath(p: string): string {
  const parts = p.split("/").filter((s) => s !== "" && s !== ".");
  if (parts.some((s) => s === "..")) throw new Error(`tar path "${p}" must not contain ".."`);
  return parts.join("/");
}

/** Byte-order comparison of two paths (UTF-8), the order every reproducible tar here uses. */
export function compareBytes(a: string, b: string): number {
  return Buffer.compare(enc.encode(a), enc.encode(b));
}

async function* fileBytes(e: LayerEntry & { type: "file" }): AsyncIterable<Uint8Array> {
  if ("data" in e) {
    yield typeof e.data === "string" ? Buffer.from(e.data) : e.data;
  } else if ("sourcePath" in e) {
    yield* createReadStream(e.sourcePath, { highWaterMark: 1 << 20 });
  } else {
    yield* e.stream();
  }
}

/**
 * Streams a tar of `entries`, in the given order, ending with the two zero blocks.
 * Entries must already be normalised and sorted (see {@link prepareEntries}).
 */
export async function* tarStream(entries: LayerEntry[]): AsyncGenerator<Buffer> {
  for (const e of entries) {
    const base = {
      name: e.type === "dir" ? `${e.path}/` : e.path,
      mode: e.mode ?? (e.type === "dir" ? 0o755 : e.type === "symlink" ? 0o777 : 0o644),
      uid: e.uid ?? 0,
      gid: e.gid ?? 0,
    };
    switch (e.type) {
      case "dir":
        yield encodeHeader({ ...base, size: 0, typeflag: "5", linkname: "" });
        break;
      case "symlink":
        yield encodeHeader({ ...base, size: 0, typeflag: "2", linkname: e.target });
        break;
      case "hardlink":
        yield encodeHeader({ ...base, size: 0, typeflag: "1", linkname: normalizeTarPath(e.target) });
        break;
      case "file": {
        yield encodeHeader({ ...base, size: e.size, typeflag: "0", linkname: "" });
        let written = 0;
        for await (const chunk of fileBytes(e)) {
          written += chunk.byteLength;
          if (written > e.size) throw new Error(`tar entry ${e.path}: content is longer than its size ${e.size}`);
          yield Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
        }
        if (written !== e.size)
          throw new Error(`tar entry ${e.path}: content is ${written} bytes, size says ${e.size}`);
        const pad = padding(e.size);
        if (pad.length) yield pad;
        break;
      }
    }
  }
  yield Buffer.alloc(1024);
}

/** Default owner and mode for parent directories that no entry names. */
export interface ParentDir {
  uid: number;
  gid: number;
  mode: number;
}

/**
 * Normalises paths, adds missing parent directories, rejects duplicates and sorts by path
 * (byte order), so the same set of entries always gives the same tar.
 *
 * `parents(path)` gives owner and mode for a directory that no entry names.
 */
export function prepareEntries(
  entries: LayerEntry[],
  parents?: (dirPath: string) => ParentDir | undefined,
): LayerEntry[] {
  const byPath = new Map<string, LayerEntry>();
  for (const e of entries) {
    const path = normalizeTarPath(e.path);
    if (path === "") continue;
    if (byPath.has(path)) throw new Error(`layer entry "${path}" appears twice`);
    byPath.set(path, { ...e, path });
  }
  for (const path of [...byPath.keys()]) {
    const parts = path.split("/");
    for (let i = 1; i < parts.length; i++) {
      const dir = parts.slice(0, i).join("/");
      if (byPath.has(dir)) continue;
      const p = parents?.(dir);
      byPath.set(dir, { type: "dir", path: dir, mode: p?.mode ?? 0o755, uid: p?.uid ?? 0, gid: p?.gid ?? 0 });
    }
  }
  return [...byPath.values()].sort((a, b) => compareBytes(a.path, b.path));
}

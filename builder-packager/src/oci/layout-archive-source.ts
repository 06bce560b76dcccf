/**
 * A `.cnb` (a tar of an OCI layout) read in place: its tar headers are walked by seeking
 * (no data read), the small files (oci-layout, index.json, manifests, configs) are written
 * to a scratch layout, and every large blob is served as a byte range of the tar file,
 * checked against its digest as it streams. `builder create` from five `.cnb` files wrote
 * ~200 MB of extracted blobs, then read them again to push them.
 */
import { createReadStream } from "node:fs";
import { mkdir, open, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { createHash } from "node:crypto";
import { type Readable, Transform } from "node:stream";
import { CnbError } from "@cnbkit/framework";
import { type Digest, isDigest } from "./digest.js";
import { type ImageSource, openImageSource } from "./image-store.js";
import { OciLayout } from "./layout.js";
import { normalizeTarPath } from "./tar.js";

/** `input` passed through, failing at its end (naming `what`) when its bytes do not hash to `digest`. */
function checkedStream(input: Readable, digest: Digest, what: string): Readable {
  const hash = createHash(digest.startsWith("sha512:") ? "sha512" : "sha256");
  const check = new Transform({
    transform(chunk: Buffer, _e, cb) {
      hash.update(chunk);
      cb(null, chunk);
    },
    flush(cb) {
      const actual = `${digest.slice(0, digest.indexOf(":"))}:${hash.digest("hex")}`;
      cb(actual === digest ? null : new CnbError(`${what} is corrupt (its bytes hash to ${actual})`));
    },
  });
  input.on("error", (e) => check.destroy(e));
  return input.pipe(check);
}

/** Blobs up to this size are written to the scratch layout; larger ones stay in the tar. */
const SMALL_BLOB = 1 << 20;

/** Where a regular file's bytes are in a tar. */
interface TarFile {
  offset: number;
  size: number;
}

/** A NUL-terminated ASCII field of a tar header. */
function field(h: Buffer, start: number, length: number): string {
  const raw = h.subarray(start, start + length);
  const end = raw.indexOf(0);
  return raw.subarray(0, end < 0 ? length : end).toString("utf8");
}

/**
 * True when a header's checksum field holds the sum of its bytes (the field itself counted as
 * spaces), unsigned or, as some old tars wrote it, signed. Anything else is not a tar header:
 * checking only that the field parses as octal let one random file in ~30 pass as a tar.
 */
function checksumOk(h: Buffer): boolean {
  const stored = Number.parseInt(field(h, 148, 8).trim(), 8);
  if (Number.isNaN(stored)) return false;
  let unsigned = 0;
  let signed = 0;
  for (let i = 0; i < 512; i++) {
    const b = i >= 148 && i < 156 ? 0x20 : (h[i] as number);
    unsigned += b;
    signed += b > 127 ? b - 256 : b;
  }
  return stored === unsigned || stored === signed;
}

/** A tar size field: octal, or base-256 when its top bit is set (GNU, for > 8 GiB). */
function sizeField(h: Buffer): number {
  if ((h[124] as number) & 0x80) {
    let n = 0;
    for (let i = 125; i < 136; i++) n = n * 256 + (h[i] as number);
    return n;
  }
  return Number.parseInt(field(h, 124, 12).trim() || "0", 8);
}

/** The `path` record of a PAX extended header, if any. */
function paxPath(data: Buffer): string | undefined {
  let at = 0;
  while (at < data.length) {
    const space = data.indexOf(0x20, at);
    const len = Number.parseInt(data.subarray(at, space).toString(), 10);
    if (!(len > 0)) return undefined;
    const record = data.subarray(space + 1, at + len - 1).toString("utf8");
    if (record.startsWith("path=")) return record.slice(5);
    at += len;
  }
  return undefined;
}

/**
 * The regular files of a tar by normalised path, from its headers alone (data is skipped by
 * seeking; only PAX and GNU long-name records are read). Refuses entries that escape.
 */
export async function tarIndex(tarFile: string): Promise<Map<string, TarFile>> {
  const fh = await open(tarFile, "r");
  try {
    const files = new Map<string, TarFile>();
    const size = (await fh.stat()).size;
    const h = Buffer.alloc(512);
    let at = 0;
    let longName: string | undefined;
    while (at + 512 <= size) {
      const { bytesRead } = await fh.read(h, 0, 512, at);
      if (bytesRead < 512 || h.every((b) => b === 0)) break;
      if (!checksumOk(h)) throw new CnbError(`${tarFile}: not a tar file`);
      const n = sizeField(h);
      const type = String.fromCharCode(h[156] as number);
      const dataAt = at + 512;
      at = dataAt + Math.ceil(n / 512) * 512;
      if (type === "x" || type === "L") {
        const data = Buffer.alloc(n);
        await fh.read(data, 0, n, dataAt);
        longName = type === "x" ? paxPath(data) : field(data, 0, n);
        continue;
      }
      const prefix = field(h, 345, 155);
      const name = longName ?? (prefix ? `${prefix}/${field(h, 0, 100)}` : field(h, 0, 100));
      longName = undefined;
      let rel: string;
      try {
        rel = normalizeTarPath(name);
      } catch {
        throw new CnbError(`${tarFile}: entry "${name}" escapes the layout`);
      }
      if (type === "0" || type === "\0") files.set(rel, { offset: dataAt, size: n });
      else if (type !== "5" && type !== "g") {
        throw new CnbError(`${tarFile}: entry "${name}" is not a file or directory; a layout holds only those`);
      }
    }
    return files;
  } finally {
    await fh.close();
  }
}

/**
 * The file is readable but not a tar of an OCI image layout (no `oci-layout` entry): a text
 * file, another archive. Its own class, so a caller that accepts other kinds of file (a
 * builder.toml uri may be a directory or a .cnb) can tell it from a broken .cnb.
 */
export class NotLayoutArchiveError extends CnbError {
  constructor(tarFile: string) {
    super(`${tarFile}: not a tar of an OCI image layout (no oci-layout file)`);
    this.name = "NotLayoutArchiveError";
  }
}

/**
 * Opens a layout tar (`.cnb`) as an image source without unpacking its large blobs: the
 * small files go to `scratchDir` (which must not exist yet), large blobs stream from the tar.
 *
 * @example
 * const src = await openLayoutArchive("nodejs.cnb", "/tmp/x/component-1");
 * const { config } = await src.image();
 */
export async function openLayoutArchive(tarFile: string, scratchDir: string): Promise<ImageSource> {
  const files = await tarIndex(tarFile);
  if (!files.has("oci-layout")) throw new NotLayoutArchiveError(tarFile);
  const large = new Map<string, TarFile>();
  const fh = await open(tarFile, "r");
  try {
    for (const [path, where] of files) {
      if (path.startsWith(".")) continue; // another tool's temp files, cnbkit's lock and bookkeeping
      const m = /^blobs\/(sha256|sha512)\/([a-f0-9]+)$/.exec(path);
      if (m && where.size > SMALL_BLOB) {
        large.set(`${m[1]}:${m[2]}`, where);
        continue;
      }
      const data = Buffer.alloc(where.size);
      await fh.read(data, 0, where.size, where.offset);
      await mkdir(dirname(join(scratchDir, path)), { recursive: true });
      await writeFile(join(scratchDir, path), data);
    }
  } finally {
    await fh.close();
  }
  await OciLayout.open(scratchDir);
  const small = await openImageSource(`oci:${scratchDir}`);
  return {
    ...small,
    image: (platform) => small.image(platform),
    async blob(digest: Digest, size?: number): Promise<Readable> {
      const where = large.get(digest);
      if (!where || !isDigest(digest)) return small.blob(digest, size);
      // 1 MiB reads: at the default 64 KiB, reads and socket writes of ~50 MB were ~1.4 s of CPU
      const raw = createReadStream(tarFile, {
        start: where.offset,
        end: where.offset + where.size - 1,
        highWaterMark: 1 << 20,
      });
      return checkedStream(raw, digest, `${tarFile}: blob ${digest}`);
    },
  };
}

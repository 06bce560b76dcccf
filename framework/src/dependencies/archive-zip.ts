/**
 * Zip reading for archive.ts: yauzl for the central directory, and each entry's data read
 * straight from the file (in one synchronous call when small, streamed in large pieces with
 * a native CRC-32 when not; archive.ts says what that saves), handed to the checked writer
 * (archive-sink.ts). Unix modes and symlinks come from the entries' external attributes.
 */
import { closeSync, createReadStream, openSync, readSync } from "node:fs";
import { type Readable, Transform } from "node:stream";
import { pipeline } from "node:stream/promises";
import * as zlib from "node:zlib";
import yauzl from "yauzl";
import { CHUNK_BYTES, FLUSH_BYTES, type Sink } from "./archive-sink.js";

/**
 * The data of a small, unencrypted, stored or deflated zip entry, read and inflated in one
 * synchronous call and checked against its size and CRC-32; undefined for any other entry,
 * which then streams through yauzl.
 */
function smallZipEntry(fd: number, entry: yauzl.Entry): Buffer | undefined {
  const method = entry.compressionMethod;
  const encrypted = (entry.generalPurposeBitFlag & 1) !== 0;
  if (encrypted || (method !== 0 && method !== 8) || entry.compressedSize > FLUSH_BYTES) return undefined;
  if (entry.uncompressedSize > FLUSH_BYTES) return undefined;
  const start = entryDataOffset(fd, entry);
  const raw = Buffer.alloc(entry.compressedSize);
  readFully(fd, raw, start);
  const data = method === 8 ? zlib.inflateRawSync(raw) : raw;
  if (data.length !== entry.uncompressedSize) {
    throw new Error(`${entry.fileName}: ${data.length} bytes, the zip says ${entry.uncompressedSize}`);
  }
  if (zlib.crc32(data) !== entry.crc32) throw new Error(`${entry.fileName}: CRC-32 mismatch`);
  return data;
}

/**
 * The data of a larger unencrypted, stored or deflated zip entry as a stream in
 * {@link CHUNK_BYTES} pieces, checked against its size and CRC-32 as it ends (the stream
 * errors on a mismatch); undefined for any other entry, which then streams through yauzl.
 */
function largeZipEntry(file: string, fd: number, entry: yauzl.Entry): Readable | undefined {
  const method = entry.compressionMethod;
  if ((entry.generalPurposeBitFlag & 1) !== 0 || (method !== 0 && method !== 8)) return undefined;
  if (entry.compressedSize === 0) return undefined;
  const start = entryDataOffset(fd, entry);
  const raw = createReadStream(file, { start, end: start + entry.compressedSize - 1, highWaterMark: CHUNK_BYTES });
  let crc = 0;
  let size = 0;
  const check = new Transform({
    transform(chunk: Buffer, _enc, done) {
      crc = zlib.crc32(chunk, crc);
      size += chunk.length;
      done(null, chunk);
    },
    flush(done) {
      if (size !== entry.uncompressedSize) {
        done(new Error(`${entry.fileName}: ${size} bytes, the zip says ${entry.uncompressedSize}`));
      } else if (crc !== entry.crc32) done(new Error(`${entry.fileName}: CRC-32 mismatch`));
      else done();
    },
  });
  const piped =
    method === 8 ? pipeline(raw, zlib.createInflateRaw({ chunkSize: CHUNK_BYTES }), check) : pipeline(raw, check);
  piped.catch((err: unknown) => check.destroy(err as Error));
  return check;
}

/** Where a zip entry's data starts: after its local header (30 bytes), name and extra field. */
function entryDataOffset(fd: number, entry: yauzl.Entry): number {
  const header = Buffer.alloc(30);
  readFully(fd, header, entry.relativeOffsetOfLocalHeader);
  if (header.readUInt32LE(0) !== 0x04034b50) throw new Error(`invalid local file header of ${entry.fileName}`);
  return entry.relativeOffsetOfLocalHeader + 30 + header.readUInt16LE(26) + header.readUInt16LE(28);
}

/** Fills `buf` from `fd` at `position`; a short read means the archive is truncated. */
function readFully(fd: number, buf: Buffer, position: number): void {
  let done = 0;
  while (done < buf.length) {
    const n = readSync(fd, buf, done, buf.length - done, position + done);
    if (n === 0) throw new Error("unexpected end of file");
    done += n;
  }
}

const S_IFMT = 0o170000;
const S_IFLNK = 0o120000;
const S_IFDIR = 0o040000;

/** Extracts a zip through `sink`: small entries read and inflated at once, larger ones streamed, both CRC-checked. */
export async function extractZip(file: string, sink: Sink): Promise<void> {
  const zip = await new Promise<yauzl.ZipFile>((resolve, reject) =>
    yauzl.open(file, { lazyEntries: true, autoClose: true }, (err, z) => (err ? reject(err) : resolve(z))),
  );
  const fd = openSync(file, "r");
  try {
    await readZipEntries(zip, file, fd, sink);
  } finally {
    closeSync(fd);
  }
}

function readZipEntries(zip: yauzl.ZipFile, file: string, fd: number, sink: Sink): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    let failed = false;
    const fail = (err: unknown) => {
      if (failed) return;
      failed = true;
      zip.close();
      const msg = err instanceof Error ? err.message : String(err);
      const m = /^(invalid relative path|absolute path): (.*)$/.exec(msg);
      if (m?.[2] !== undefined) {
        try {
          sink.rel(m[2]);
        } catch (mapped) {
          reject(mapped);
          return;
        }
      }
      reject(err);
    };
    zip.on("error", fail);
    zip.on("end", () => {
      if (!failed) resolve();
    });
    zip.on("entry", (entry: yauzl.Entry) => {
      handleZipEntry(zip, file, fd, entry, sink).then(
        () => zip.readEntry(),
        (err) => fail(err),
      );
    });
    zip.readEntry();
  });
}

async function handleZipEntry(
  zip: yauzl.ZipFile,
  file: string,
  fd: number,
  entry: yauzl.Entry,
  sink: Sink,
): Promise<void> {
  const madeByUnix = entry.versionMadeBy >> 8 === 3;
  const unixMode = madeByUnix ? (entry.externalFileAttributes >>> 16) & 0xffff : 0;
  const type = unixMode & S_IFMT;
  if (entry.fileName.endsWith("/") || type === S_IFDIR) {
    sink.dir(entry.fileName, unixMode & 0o777 || 0o755);
    return;
  }
  const small = type === S_IFLNK ? undefined : smallZipEntry(fd, entry);
  if (small) {
    await sink.file(entry.fileName, unixMode & 0o777 || 0o644, [small], entry.getLastModDate());
    return;
  }
  const large = type === S_IFLNK ? undefined : largeZipEntry(file, fd, entry);
  if (large) {
    await sink.file(entry.fileName, unixMode & 0o777 || 0o644, large, entry.getLastModDate());
    return;
  }
  const stream = await new Promise<Readable>((resolve, reject) =>
    zip.openReadStream(entry, (err, s) => (err ? reject(err) : resolve(s))),
  );
  if (type === S_IFLNK) {
    const chunks: Buffer[] = [];
    for await (const c of stream) chunks.push(c as Buffer);
    sink.symlink(entry.fileName, Buffer.concat(chunks).toString("utf8"));
    return;
  }
  await sink.file(entry.fileName, unixMode & 0o777 || 0o644, stream, entry.getLastModDate());
}

/**
 * Safe, streaming extraction of dependency archives: tar, tar.gz, tar.xz, tar.zst and zip.
 *
 * Every entry is checked before it touches the disk. Refused, with a {@link CnbError} naming
 * the archive and the entry: absolute paths, `..` path components, symlinks whose target
 * resolves outside the destination, entries written through a symlink, and hardlinks to
 * anything but a regular file extracted earlier. File permission bits and symlinks are kept
 * (setuid, setgid and sticky bits are dropped); devices and FIFOs are skipped.
 *
 * All-or-nothing: the archive is extracted into a temp directory beside `dest` (same file
 * system) and moved into place only when the whole archive extracted cleanly. If `dest` does
 * not exist it appears in one rename. If it exists (e.g. a layer directory), each top-level
 * entry is moved in, replacing an entry of the same name; a failure before that step (corrupt,
 * truncated or unsafe archive) leaves `dest` untouched and removes the temp directory.
 *
 * Decompression: gzip via node:zlib; zstd via zlib.createZstdDecompress when Node has it
 * (Node ≥ 22.15; buildpacks run on Node 24) and otherwise the `zstd -dc` system tool; xz via
 * the `xz -dc` system tool, because no well-kept pure-JS xz decoder exists. Tar parsing is
 * tar-stream; zip is yauzl.
 *
 * Speed: a runtime tarball has thousands of small entries, so the per-entry file system calls
 * (mkdir, open, write, chmod, utimes, close, symlink, link) are synchronous: a thread-pool
 * round trip per call made extracting Node.js 1.6-2.5x slower than `tar xzf`. Decompression
 * still runs on the thread pool, in parallel with the writes. Parent directories are created
 * once each (the staging directory is ours alone, so a Set knows what exists). File data is
 * written as it streams, at most {@link FLUSH_BYTES} at a time, so memory stays bounded.
 * A zip entry of at most that size is read and inflated in one synchronous call, its CRC-32
 * checked: yauzl's stream per entry (two thread-pool reads and an inflate stream) made
 * unpacking pip's wheel (513 entries) take ~300 ms, four times `unzip`. Larger entries stream
 * in {@link CHUNK_BYTES} pieces with the CRC-32 taken natively ({@link largeZipEntry}): through
 * yauzl's 16 KiB pieces and JavaScript CRC, uv's wheel (one 38 MB binary) took ~400 ms.
 */
import { spawn } from "node:child_process";
import {
  chmodSync,
  closeSync,
  createReadStream,
  fchmodSync,
  futimesSync,
  linkSync,
  lstatSync,
  mkdirSync,
  openSync,
  readSync,
  symlinkSync,
  unlinkSync,
  writevSync,
} from "node:fs";
import { lstat, mkdir, mkdtemp, open, readdir, rename, rm, stat, statfs } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import { type PassThrough, type Readable, Transform, type Writable } from "node:stream";
import { pipeline } from "node:stream/promises";
import * as zlib from "node:zlib";
import * as tar from "tar-stream";
import yauzl from "yauzl";
import { CnbError } from "../errors/index.js";

/** Archive formats {@link extract} understands. */
export type ArchiveFormat = "tar" | "tar.gz" | "tar.xz" | "tar.zst" | "zip";

/** Options for {@link extract}. */
export interface ExtractOptions {
  /** Leading path components to drop, like `tar --strip-components` (entries left empty are skipped). */
  strip?: number;
  /** The format; by default taken from the file name, else from the magic bytes. */
  format?: ArchiveFormat;
  /**
   * Paths (after `strip`) left out with everything under them, e.g. `["include"]` for a
   * runtime whose C headers are not wanted. Fewer files is most of an extraction's cost.
   * A hardlink to a left-out file is refused like any link to a file not extracted.
   */
  exclude?: string[];
}

/** The format implied by a file name, if any. */
export function formatFromName(file: string): ArchiveFormat | undefined {
  const f = file.toLowerCase();
  if (f.endsWith(".tar.gz") || f.endsWith(".tgz")) return "tar.gz";
  if (f.endsWith(".tar.xz") || f.endsWith(".txz")) return "tar.xz";
  if (f.endsWith(".tar.zst") || f.endsWith(".tzst") || f.endsWith(".tar.zstd")) return "tar.zst";
  if (f.endsWith(".tar")) return "tar";
  if (f.endsWith(".zip") || f.endsWith(".jar")) return "zip";
  return undefined;
}

/** The format found from a file's first bytes; plain tar when nothing else matches. */
export async function sniffFormat(file: string): Promise<ArchiveFormat> {
  const fh = await open(file, "r");
  try {
    const buf = Buffer.alloc(6);
    const { bytesRead } = await fh.read(buf, 0, 6, 0);
    const b = buf.subarray(0, bytesRead);
    if (b[0] === 0x1f && b[1] === 0x8b) return "tar.gz";
    if (b.subarray(0, 6).equals(Buffer.from([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00]))) return "tar.xz";
    if (b.subarray(0, 4).equals(Buffer.from([0x28, 0xb5, 0x2f, 0xfd]))) return "tar.zst";
    if (b[0] === 0x50 && b[1] === 0x4b && (b[2] === 3 || b[2] === 5)) return "zip";
    return "tar";
  } finally {
    await fh.close();
  }
}

/**
 * Extracts `file` into `dest` (created if missing). See the module notes for the guarantees.
 *
 * @example
 * await extract(await download(dep, tmp, opts), layer.path, { strip: 1 });
 * @throws CnbError naming the archive (and the entry) for unsafe, corrupt or truncated archives.
 */
export async function extract(file: string, dest: string, opts: ExtractOptions = {}): Promise<void> {
  const format = opts.format ?? formatFromName(file) ?? (await sniffFormat(file));
  const staging = await stagingDir(dest);
  try {
    const sink = new Sink(
      file,
      staging,
      opts.strip ?? 0,
      (opts.exclude ?? []).map((x) => x.replace(/^(\.?\/)+|\/+$/g, "")),
    );
    try {
      if (format === "zip") await extractZip(file, sink);
      else await extractTar(file, format, sink);
    } catch (err) {
      if (err instanceof CnbError) throw err;
      if ((err as NodeJS.ErrnoException | undefined)?.code === "ENOSPC") throw await diskFull(file, dest, err);
      throw new CnbError(`${file}: cannot extract ${format} archive: ${describe(err)}`, {
        hint: "The archive is truncated or corrupt; download it again and check its sha256.",
        cause: err,
      });
    }
    sink.verifyLinks();
    sink.finish();
    await moveInto(staging, dest);
  } finally {
    await rm(staging, { recursive: true, force: true });
  }
}

/** A full disk is not a corrupt archive: say where, and how big the archive is (it unpacks to more). */
async function diskFull(file: string, dest: string, err: unknown): Promise<CnbError> {
  const mib = (n: number) => `${(n / 1048576).toFixed(1)} MiB`;
  const size = await stat(file).then(
    (s) => s.size,
    () => undefined,
  );
  const fs = await statfs(dirname(dest)).catch(() => undefined);
  return new CnbError(
    `${dest}: no space left on device extracting ${basename(file)}${size === undefined ? "" : ` (${mib(size)} compressed, unpacks to more)`}${fs ? `; ${mib(fs.bavail * fs.bsize)} free there` : ""}`,
    { hint: "free space on that filesystem and build again", cause: err },
  );
}

function describe(err: unknown): string {
  const msg = err instanceof Error ? err.message : String(err);
  return (msg.split("\n")[0] ?? msg).replace(/\.$/, "");
}

/**
 * Where to unpack before moving into `dest`: inside `dest` when it is already a directory
 * (its parent may not be writable: the app dir /workspace sits in a root-owned /), else
 * beside it, where `dest` itself is about to be made.
 */
async function stagingDir(dest: string): Promise<string> {
  const st = await lstat(dest).catch(() => undefined);
  if (st?.isDirectory()) return mkdtemp(join(dest, ".cnbkit-extract-"));
  const parent = dirname(dest);
  await mkdir(parent, { recursive: true });
  return mkdtemp(join(parent, `.${basename(dest)}.extract-`));
}

async function moveInto(staging: string, dest: string): Promise<void> {
  let existing = true;
  try {
    await lstat(dest);
  } catch {
    existing = false;
  }
  if (!existing) {
    await rename(staging, dest);
    return;
  }
  for (const name of await readdir(staging)) {
    await rm(join(dest, name), { recursive: true, force: true });
    await rename(join(staging, name), join(dest, name));
  }
}

/** File data is gathered up to this size and written in one call; small files take one write. */
const FLUSH_BYTES = 1 << 20;
/** Read size for the archive file and output size of the decompressor (defaults are 64 and 16 KiB). */
const CHUNK_BYTES = 256 << 10;

/** Writes all of `chunks` to `fd`; a short write (rare on regular files) is continued. */
function writeAll(fd: number, chunks: Buffer[]): void {
  let bufs = chunks;
  while (bufs.length > 0) {
    let n = writevSync(fd, bufs);
    let i = 0;
    while (i < bufs.length && n >= (bufs[i] as Buffer).length) n -= (bufs[i++] as Buffer).length;
    bufs = bufs.slice(i);
    if (n > 0) bufs[0] = (bufs[0] as Buffer).subarray(n);
  }
}

/** Checks entries and writes them into the staging directory. */
class Sink {
  /** Symlinks created so far: relative path → target, to resolve paths as the kernel would. */
  private readonly links = new Map<string, string>();
  private readonly files = new Set<string>();
  /** Directory entries of the archive: relative path → mode, applied by {@link finish}. */
  private readonly dirs = new Map<string, number>();
  /** Every directory that exists under the root ("" is the root): entries' and implied parents. */
  private readonly made = new Set<string>([""]);

  constructor(
    private readonly archive: string,
    private readonly root: string,
    private readonly strip: number,
    private readonly exclude: readonly string[],
  ) {}

  private refuse(entry: string, why: string): never {
    throw new CnbError(`${this.archive}: entry "${entry}" ${why}`, {
      hint: "The archive is unsafe to extract; refusing it.",
    });
  }

  /**
   * The entry's path relative to the root after strip, or undefined when strip leaves nothing
   * or the path is excluded.
   */
  rel(name: string): string | undefined {
    if (name.startsWith("/") || /^[A-Za-z]:[\\/]/.test(name)) this.refuse(name, "has an absolute path");
    const parts = name.split(/[\\/]/).filter((p) => p !== "" && p !== ".");
    if (parts.includes("..")) this.refuse(name, 'has a ".." path component');
    const kept = parts.slice(this.strip);
    if (kept.length === 0) return undefined;
    const rel = kept.join("/");
    return this.exclude.some((x) => rel === x || rel.startsWith(`${x}/`)) ? undefined : rel;
  }

  /** Resolves a relative path through known symlinks; undefined when it leaves the root. */
  private resolve(parts: string[]): string[] | undefined {
    const out: string[] = [];
    const queue = [...parts];
    let hops = 0;
    while (queue.length > 0) {
      const c = queue.shift() as string;
      if (c === "" || c === ".") continue;
      if (c === "..") {
        if (out.length === 0) return undefined;
        out.pop();
        continue;
      }
      out.push(c);
      const target = this.links.get(out.join("/"));
      if (target !== undefined) {
        if (++hops > 40 || target.startsWith("/")) return undefined;
        out.pop();
        queue.unshift(...target.split("/"));
      }
    }
    return out;
  }

  /** Refuses when any parent of `rel` is a symlink (the write would go through it). */
  private checkParents(entry: string, rel: string): void {
    let i = rel.indexOf("/");
    while (i !== -1) {
      const prefix = rel.slice(0, i);
      if (this.links.has(prefix)) this.refuse(entry, `would be written through the symlink "${prefix}"`);
      if (this.files.has(prefix)) this.refuse(entry, `needs "${prefix}" to be a directory, but it is a file`);
      i = rel.indexOf("/", i + 1);
    }
  }

  /**
   * Creates `rel` and its missing parents. Only called after {@link checkParents}, so no
   * component is a file or symlink of ours, and nothing else writes under the staging root.
   */
  private ensureDir(rel: string): void {
    if (this.made.has(rel)) return;
    const slash = rel.lastIndexOf("/");
    this.ensureDir(slash === -1 ? "" : rel.slice(0, slash));
    try {
      mkdirSync(join(this.root, rel), 0o755);
    } catch (err) {
      // A case-insensitive file system folds "A" and "a" into one directory; that is fine.
      const e = err as NodeJS.ErrnoException;
      if (e.code !== "EEXIST" || !lstatSync(join(this.root, rel)).isDirectory()) throw err;
    }
    this.made.add(rel);
  }

  private prepare(entry: string, rel: string): string {
    this.checkParents(entry, rel);
    const slash = rel.lastIndexOf("/");
    this.ensureDir(slash === -1 ? "" : rel.slice(0, slash));
    const path = join(this.root, rel);
    if (this.links.has(rel) || this.files.has(rel)) {
      unlinkSync(path);
      this.links.delete(rel);
      this.files.delete(rel);
    } else if (this.made.has(rel)) {
      this.refuse(entry, "would replace a directory");
    }
    return path;
  }

  dir(entry: string, mode: number): void {
    const rel = this.rel(entry);
    if (rel === undefined) return;
    this.checkParents(entry, rel);
    if (this.links.has(rel)) this.refuse(entry, `would be written through the symlink "${rel}"`);
    if (this.files.has(rel)) this.refuse(entry, "would replace a file with a directory");
    this.ensureDir(rel);
    this.dirs.set(rel, mode & 0o777);
  }

  /** Writes a regular file from `data`, holding at most {@link FLUSH_BYTES} of it in memory. */
  async file(entry: string, mode: number, data: AsyncIterable<Buffer> | Iterable<Buffer>, mtime?: Date): Promise<void> {
    const rel = this.rel(entry);
    if (rel === undefined) {
      for await (const _ of data);
      return;
    }
    const path = this.prepare(entry, rel);
    const fd = openSync(path, "wx", 0o600);
    try {
      let pending: Buffer[] = [];
      let size = 0;
      for await (const chunk of data) {
        pending.push(chunk);
        size += chunk.length;
        if (size >= FLUSH_BYTES) {
          writeAll(fd, pending);
          pending = [];
          size = 0;
        }
      }
      writeAll(fd, pending);
      fchmodSync(fd, mode & 0o777);
      if (mtime && !Number.isNaN(mtime.getTime())) futimesSync(fd, mtime, mtime);
    } finally {
      closeSync(fd);
    }
    this.files.add(rel);
  }

  symlink(entry: string, target: string): void {
    const rel = this.rel(entry);
    if (rel === undefined) return;
    if (target === "" || target.startsWith("/"))
      this.refuse(entry, `is a symlink to "${target}", outside the destination`);
    const parts = [...rel.split("/").slice(0, -1), ...target.split("/")];
    if (this.resolve(parts) === undefined) {
      this.refuse(entry, `is a symlink to "${target}", outside the destination`);
    }
    const path = this.prepare(entry, rel);
    symlinkSync(target, path);
    this.links.set(rel, target);
  }

  hardlink(entry: string, target: string): void {
    const rel = this.rel(entry);
    if (rel === undefined) return;
    let targetRel: string | undefined;
    try {
      targetRel = this.rel(target);
    } catch {
      targetRel = undefined;
    }
    if (targetRel === undefined || !this.files.has(targetRel)) {
      this.refuse(entry, `is a hardlink to "${target}", which is not a file extracted from this archive`);
    }
    this.checkParents(entry, targetRel);
    const path = this.prepare(entry, rel);
    linkSync(join(this.root, targetRel), path);
    this.files.add(rel);
  }

  /**
   * Checks every symlink again with all links known: a link checked early could otherwise be
   * redirected outside by a symlink that a later entry creates on its path.
   */
  verifyLinks(): void {
    for (const [rel, target] of this.links) {
      if (this.resolve([...rel.split("/").slice(0, -1), ...target.split("/")]) === undefined) {
        this.refuse(rel, `is a symlink to "${target}", outside the destination`);
      }
    }
  }

  /** Applies directory modes last, so read-only directories did not block their contents. */
  finish(): void {
    const deepestFirst = [...this.dirs].sort(([a], [b]) => b.split("/").length - a.split("/").length);
    for (const [rel, mode] of deepestFirst) chmodSync(join(this.root, rel), mode | 0o700);
  }
}

/** A process whose stdout is the decompressed stream; rejects `done` on a non-zero exit. */
function tool(cmd: string, file: string): { out: Readable; done: Promise<void> } {
  const child = spawn(cmd, ["-dc", "--", file], { stdio: ["ignore", "pipe", "pipe"] });
  let stderr = "";
  child.stderr.setEncoding("utf8").on("data", (d: string) => {
    if (stderr.length < 4096) stderr += d;
  });
  const done = new Promise<void>((resolve, reject) => {
    child.on("error", (err: NodeJS.ErrnoException) =>
      reject(
        err.code === "ENOENT"
          ? new CnbError(`${file}: the "${cmd}" program is needed to extract this archive but is not installed`, {
              hint: `Install ${cmd} in the build image.`,
            })
          : err,
      ),
    );
    child.on("close", (code) => {
      if (code === 0) resolve();
      else {
        const last = stderr.trim().split("\n").at(-1) ?? "";
        const line = last.replace(`${cmd}: `, "").replace(`${file}: `, "") || `exit code ${code}`;
        reject(new Error(`${cmd}: ${line}`));
      }
    });
  });
  return { out: child.stdout, done };
}

async function extractTar(file: string, format: ArchiveFormat, sink: Sink): Promise<void> {
  let writeError: unknown; // a failed write (ENOSPC) reaches pipeline() only as "Premature close"
  try {
    await extractTarStream(file, format, sink, (err) => {
      writeError ??= err;
    });
  } catch (err) {
    throw writeError ?? err;
  }
}

async function extractTarStream(
  file: string,
  format: ArchiveFormat,
  sink: Sink,
  onEntryError: (err: unknown) => void,
): Promise<void> {
  const extractor = tar.extract();
  // tar-stream's streams are streamx streams, which node:stream's pipeline drives fine.
  const ex = extractor as unknown as Writable;
  // pipeline() reports the first error; streamx re-emits it on destroy, after pipeline let go.
  ex.on("error", () => {});
  extractor.on("entry", (header, stream, next) => {
    // A broken archive errors the entry stream too; the pipeline below reports it once.
    stream.on("error", () => {});
    handleTarEntry(header, stream as unknown as Readable, sink).then(
      () => next(),
      (err) => {
        onEntryError(err);
        stream.resume();
        ex.destroy(err as Error);
      },
    );
  });
  const zstd = (zlib as { createZstdDecompress?: (o: { chunkSize: number }) => NodeJS.ReadWriteStream })
    .createZstdDecompress;
  if (format === "tar.xz" || (format === "tar.zst" && !zstd)) {
    const t = tool(format === "tar.xz" ? "xz" : "zstd", file);
    const toolDone = t.done.catch((e) => e as Error);
    let parseError: unknown;
    try {
      await pipeline(t.out, ex);
    } catch (err) {
      parseError = err;
      t.out.destroy();
    }
    const toolError = await toolDone;
    if (parseError instanceof CnbError) throw parseError;
    if (toolError) throw toolError;
    if (parseError) throw parseError;
    return;
  }
  const src = createReadStream(file, { highWaterMark: CHUNK_BYTES });
  const decompress =
    format === "tar.gz"
      ? zlib.createGunzip({ chunkSize: CHUNK_BYTES })
      : format === "tar.zst" && zstd
        ? (zstd({ chunkSize: CHUNK_BYTES }) as unknown as PassThrough)
        : null;
  if (decompress === null) {
    await pipeline(src, ex);
    return;
  }
  // A decompressor can report a late error (e.g. "unexpected end of file") after pipeline has
  // already rejected with the first one; that one is already reported, so swallow the echo.
  decompress.on("error", () => {});
  await pipeline(src, decompress, ex);
}

async function handleTarEntry(header: tar.Header, stream: Readable, sink: Sink): Promise<void> {
  const mode = header.mode ?? 0o644;
  switch (header.type) {
    case "file":
    case "contiguous-file":
    case undefined:
      await sink.file(header.name, mode, stream, header.mtime);
      return;
    case "directory":
      sink.dir(header.name, mode || 0o755);
      break;
    case "symlink":
      sink.symlink(header.name, header.linkname ?? "");
      break;
    case "link":
      sink.hardlink(header.name, header.linkname ?? "");
      break;
    default:
      // devices, FIFOs, pax globals: nothing a dependency needs.
      break;
  }
  await drain(stream);
}

/** Reads a stream to its end and drops the data (cheaper per entry than a pipeline). */
function drain(stream: Readable): Promise<void> {
  return new Promise((resolve, reject) => {
    stream.on("end", resolve).on("close", resolve).on("error", reject).resume();
  });
}

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

async function extractZip(file: string, sink: Sink): Promise<void> {
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

/**
 * Safe, streaming extraction of dependency archives: tar, tar.gz, tar.xz, tar.zst, zip and a
 * Debian package's files (.deb: its data tar, read in place; archive-deb.ts).
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
 * The files: this one (formats, the all-or-nothing extract), archive-sink.ts (the checks and
 * the writes every entry goes through), archive-tar.ts and archive-zip.ts (the two readers).
 *
 * Speed: a runtime tarball has thousands of small entries, so the per-entry file system calls
 * (mkdir, open, write, chmod, utimes, close, symlink, link) are synchronous: a thread-pool
 * round trip per call made extracting Node.js 1.6-2.5x slower than `tar xzf`. Decompression
 * still runs on the thread pool, in parallel with the writes. Parent directories are created
 * once each (the staging directory is ours alone, so a Set knows what exists). File data is
 * written as it streams, at most FLUSH_BYTES (archive-sink.ts) at a time, so memory stays bounded.
 * A zip entry of at most that size is read and inflated in one synchronous call, its CRC-32
 * checked: yauzl's stream per entry (two thread-pool reads and an inflate stream) made
 * unpacking pip's wheel (513 entries) take ~300 ms, four times `unzip`. Larger entries stream
 * in CHUNK_BYTES pieces with the CRC-32 taken natively (archive-zip.ts's largeZipEntry): through
 * yauzl's 16 KiB pieces and JavaScript CRC, uv's wheel (one 38 MB binary) took ~400 ms.
 */
import { lstat, mkdir, mkdtemp, open, readdir, rename, rm, stat, statfs } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import { CnbError } from "../errors/index.js";
import { AR_MAGIC, debData } from "./archive-deb.js";
import { Sink } from "./archive-sink.js";
import { extractTar } from "./archive-tar.js";
import { extractZip } from "./archive-zip.js";

/** Archive formats {@link extract} understands; `deb` is a Debian package's data tar (archive-deb.ts). */
export type ArchiveFormat = "tar" | "tar.gz" | "tar.xz" | "tar.zst" | "zip" | "deb";

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
  if (f.endsWith(".deb")) return "deb";
  return undefined;
}

/** The format found from a file's first bytes; plain tar when nothing else matches. */
export async function sniffFormat(file: string): Promise<ArchiveFormat> {
  const fh = await open(file, "r");
  try {
    const buf = Buffer.alloc(8);
    const { bytesRead } = await fh.read(buf, 0, 8, 0);
    const b = buf.subarray(0, bytesRead);
    if (b.equals(AR_MAGIC)) return "deb";
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
      else if (format === "deb") {
        const data = await debData(file);
        await extractTar(file, data.format, sink, data);
      } else await extractTar(file, format, sink);
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

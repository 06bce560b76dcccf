/**
 * The checked writer of archive entries (archive.ts's guarantees live here): every entry of a
 * tar (archive-tar.ts) or zip (archive-zip.ts) goes through {@link Sink}, which refuses
 * absolute paths, `..` components, symlinks out of the destination, writes through a symlink
 * and hardlinks to anything but a file extracted earlier, and writes the rest with
 * synchronous calls (archive.ts says why).
 */
import {
  chmodSync,
  closeSync,
  fchmodSync,
  futimesSync,
  linkSync,
  lstatSync,
  mkdirSync,
  openSync,
  symlinkSync,
  unlinkSync,
  writevSync,
} from "node:fs";
import { join } from "node:path";
import { CnbError } from "../errors/index.js";

/** File data is gathered up to this size and written in one call; small files take one write. */
export const FLUSH_BYTES = 1 << 20;
/** Read size for the archive file and output size of the decompressor (defaults are 64 and 16 KiB). */
export const CHUNK_BYTES = 256 << 10;

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

/**
 * Checks entries and writes them into the staging directory: the one way an entry of either
 * format reaches the disk.
 */
export class Sink {
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

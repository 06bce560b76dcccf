/**
 * One digest of a directory tree, for the cache keys that depend on an app's sources (a
 * compiled binary, a bundle, a build tool's output): authors wrote their own 25-line walk,
 * each hashing a little differently; this is the one the framework itself keys on.
 */
import { createHash } from "node:crypto";
import { createReadStream } from "node:fs";
import { lstat, readdir, readFile, readlink } from "node:fs/promises";
import { join } from "node:path";
import { pipeline } from "node:stream/promises";

/** Options of {@link treeDigest}. */
export interface TreeDigestOptions {
  /**
   * Entries to leave out, with everything under them. A bare name (`node_modules`, `.git`)
   * is left out at any depth; a name with a slash is a path from `dir` (`/target` or
   * `build/tmp`), left out only there, for a tool's output directory whose name a source
   * directory may also have.
   */
  ignore?: readonly string[];
  /**
   * Called with each regular file read whole (up to 1 MiB) as it is hashed, so a caller that
   * also needs some files' contents (the Go buildpack's package clauses and import heads)
   * reads the tree once rather than twice. Larger files are streamed and not passed; links
   * are not followed, so not passed either. Calls come in no set order.
   */
  onFile?: (path: string, contents: Buffer) => void;
}

/**
 * sha256 (hex) over the files under `dir`: each file's relative path, whether it is
 * executable and its contents (streamed); a symbolic link by its target, never followed.
 * Directories count only through what they hold, and mtimes not at all, so a fresh checkout
 * of the same sources gives the same digest.
 *
 * @example
 * const sources = await treeDigest(ctx.app.dir, { ignore: ["/target", ".git", "node_modules"] });
 * const out = await ctx.layers.cached("bin", { types: { launch: true, cache: true }, key: { sources, go: dep.version }, fill });
 */
export async function treeDigest(dir: string, options: TreeDigestOptions = {}): Promise<string> {
  const names = new Set<string>();
  const paths: string[] = [];
  for (const entry of options.ignore ?? []) {
    const path = entry.replace(/^\/+|\/+$/g, "");
    if (entry.includes("/")) paths.push(path);
    else names.add(entry);
  }
  const skipped = (p: string) =>
    p.split("/").some((part) => names.has(part)) || paths.some((q) => p === q || p.startsWith(`${q}/`));
  const h = createHash("sha256");
  const all = (await walk(dir, "", skipped)).sort();
  // A few entries at a time, in order: a source tree is mostly small files, whose reads
  // wait on the disk more than they use the CPU (Caddy's 740 files: one at a time was most
  // of a Go rebuild's set-up).
  for (let i = 0; i < all.length; i += BATCH) {
    const lines = await Promise.all(all.slice(i, i + BATCH).map((path) => entryLine(dir, path, options.onFile)));
    for (const line of lines) if (line !== undefined) h.update(line);
  }
  return h.digest("hex");
}

/** How many entries {@link treeDigest} reads at once. */
const BATCH = 16;

/** Files up to this size are read whole; larger ones are streamed, so memory stays flat. */
const READ_WHOLE = 1 << 20;

/**
 * An entry's line in the digest: a file's path, mode bit and contents' sha256, a link's
 * target; else undefined. A file read whole goes to `onFile` too.
 */
async function entryLine(dir: string, path: string, onFile: TreeDigestOptions["onFile"]): Promise<string | undefined> {
  const full = join(dir, path);
  const s = await lstat(full);
  if (s.isSymbolicLink()) return `${path}\0-> ${await readlink(full)}\n`;
  if (!s.isFile()) return undefined;
  const file = createHash("sha256");
  if (s.size <= READ_WHOLE) {
    const contents = await readFile(full);
    file.update(contents);
    onFile?.(path, contents);
  } else await pipeline(createReadStream(full), file);
  return `${path}\0${(s.mode & 0o111) !== 0 ? "x" : "-"}${file.digest("hex")}\n`;
}

/**
 * Every entry's relative path under `dir`/`rel`, not descending into skipped entries or
 * links (layers' tree-changes.ts walks with it too; not in the fs index). Node 20's `readdir({ recursive: true })` follows links to directories (a link to
 * `/usr` walked all of it, and a link loop threw ELOOP), so the walk is done here.
 */
export async function walk(dir: string, rel = "", skipped: (p: string) => boolean = () => false): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(join(dir, rel), { withFileTypes: true })) {
    const path = rel ? `${rel}/${e.name}` : e.name;
    if (skipped(path)) continue;
    out.push(path);
    if (e.isDirectory()) out.push(...(await walk(dir, path, skipped)));
  }
  return out;
}

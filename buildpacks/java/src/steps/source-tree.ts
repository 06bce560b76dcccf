/**
 * The app's source tree as Maven and Gradle builds see it: every file, and each source
 * file's sha256 read in one walk, from which both the digest that keys the build output (an
 * unchanged tree skips the build, as Paketo's maven and gradle buildpacks do) and Maven's
 * kept target/ (maven-target.ts: which files an edit changed) are decided, so a build reads
 * each source once.
 */
import { createHash } from "node:crypto";
import { createReadStream } from "node:fs";
import { readdir, readFile, stat } from "node:fs/promises";
import { join, relative } from "node:path";
import { pipeline } from "node:stream/promises";

/** Top-level directories that never feed any build's output. */
const NEVER_SOURCES = [".git", ".idea", ".vscode", "node_modules"];

/** App-relative paths of every file under `dir`. */
export async function listFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true, recursive: true });
  return entries.filter((e) => e.isFile()).map((e) => relative(dir, join(e.parentPath, e.name)));
}

/** What a build knows of its sources, read once. */
export interface SourceTree {
  /**
   * The sha256 (hex) of each source file, by app-relative path: every
   * file but those under the top-level VCS, IDE and node_modules dirs and the tool's own
   * top-level output dirs.
   */
  readonly sha256: Readonly<Record<string, string>>;
  /** sha256 over each source's path and sha256, in sorted path order: the key of the build output. */
  readonly digest: string;
}

/** Reads one file and returns its contents' sha256 (hex); tests pass one that counts. */
export type HashFile = (path: string) => Promise<string>;

/** How many files {@link sourceTree} reads at once: small reads wait on the disk more than they use the CPU. */
const BATCH = 16;

/** Files up to this size are read whole; larger ones are streamed, so memory stays flat. */
const READ_WHOLE = 1 << 20;

/** The sha256 (hex) of the file at `path`: read whole when small (one read), else streamed. */
export async function fileSha256(path: string): Promise<string> {
  const h = createHash("sha256");
  if ((await stat(path)).size <= READ_WHOLE) h.update(await readFile(path));
  else await pipeline(createReadStream(path), h);
  return h.digest("hex");
}

/**
 * Reads the source tree of `dir` once: `files` lists it (readSourceApp), `outputs` are the
 * tool's own top-level output dirs (Maven's `target`, Gradle's `build` and `.gradle`), left
 * out with VCS and IDE dirs.
 *
 * The digest is the one this buildpack has always keyed `maven_build`/`gradle_build` on
 * (`path\0sha256\n` per file, sorted), so cached and arch-neutral builds stay valid across
 * this change. It is not the framework's `treeDigest` (`@cnbkit/framework/fs`), on purpose:
 * that one also hashes each file's executable bit and symbolic links, and leaves a bare name
 * (`node_modules`) out at any depth where this leaves it out at the top only, so its digest
 * of the same tree differs. Switching would change the key of every cached `maven_build`/
 * `gradle_build` layer, and each app's first build after a buildpack upgrade would run Maven
 * or Gradle again for nothing. Move to it with the next change that has to re-key these
 * layers anyway.
 */
export async function sourceTree(
  dir: string,
  files: readonly string[],
  outputs: readonly string[],
  hashFile: HashFile = fileSha256,
): Promise<SourceTree> {
  const skip = new Set([...NEVER_SOURCES, ...outputs]);
  const sources = files.filter((f) => !skip.has(f.split("/")[0] as string)).sort();
  const sha256: Record<string, string> = {};
  const tree = createHash("sha256");
  for (let i = 0; i < sources.length; i += BATCH) {
    const batch = sources.slice(i, i + BATCH);
    const digests = await Promise.all(batch.map((f) => hashFile(join(dir, f))));
    batch.forEach((f, j) => {
      sha256[f] = digests[j] as string;
      tree.update(`${f}\0${sha256[f]}\n`);
    });
  }
  return { sha256, digest: tree.digest("hex") };
}

/**
 * The app's source tree as Maven and Gradle builds see it: every file, and a digest of the
 * sources (paths and contents, streamed) that keys the build output, so an unchanged tree
 * skips the build (as Paketo's maven and gradle buildpacks do).
 */
import { createHash } from "node:crypto";
import { createReadStream } from "node:fs";
import { readdir } from "node:fs/promises";
import { join, relative } from "node:path";
import { pipeline } from "node:stream/promises";

/** Top-level directories that never feed any build's output. */
const NEVER_SOURCES = [".git", ".idea", ".vscode", "node_modules"];

/** App-relative paths of every file under `dir`. */
export async function listFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true, recursive: true });
  return entries.filter((e) => e.isFile()).map((e) => relative(dir, join(e.parentPath, e.name)));
}

/**
 * sha256 over the source tree's paths and contents; `files` lists the tree (readSourceApp),
 * `outputs` are the tool's own top-level output dirs (Maven's `target`, Gradle's `build` and
 * `.gradle`), left out with VCS and IDE dirs.
 *
 * Not the framework's `treeDigest` (`@cnbkit/framework/fs`), on purpose: that one also hashes
 * each file's executable bit and symbolic links, and leaves a bare name (`node_modules`) out
 * at any depth where this leaves it out at the top only, so its digest of the same tree
 * differs from this one. Switching would change the
 * key of every cached and arch-neutral `maven_build`/`gradle_build` layer, and each app's
 * first build after a buildpack upgrade would run Maven or Gradle again for nothing. Move
 * to it with the next change that has to re-key these layers anyway.
 */
export async function sourceDigest(dir: string, files: readonly string[], outputs: readonly string[]): Promise<string> {
  const skip = new Set([...NEVER_SOURCES, ...outputs]);
  const h = createHash("sha256");
  for (const f of files.filter((f) => !skip.has(f.split("/")[0] as string)).sort()) {
    const fileHash = createHash("sha256");
    await pipeline(createReadStream(join(dir, f)), fileHash);
    h.update(`${f}\0${fileHash.digest("hex")}\n`);
  }
  return h.digest("hex");
}

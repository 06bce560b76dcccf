/**
 * The harness's restore between builds, without copying layers whole: a three-build test of
 * a buildpack with a 250 MB toolchain spent most of its 85–126 s in `cp` (issue 72). Files
 * are hard-linked (one call each, no bytes; ~10x faster than `fs.cp` for 10,000 files), with
 * one caveat a test can opt out of: a build that rewrites a restored file in place (opens it
 * for writing, rather than writing a new file and renaming it over) changes the previous
 * run's copy too. The lifecycle gives each build its own copy; `restoreBy: "copy"` does too.
 */
import { chmod, copyFile, link, lstat, mkdir, readdir, readlink, symlink } from "node:fs/promises";
import { join } from "node:path";

/**
 * Recreates the tree at `from` under `to` (which must not exist): directories with their
 * modes, links as links, regular files hard-linked (copied when `copy` is set or the file
 * system refuses a link). Returns how many files were linked and copied.
 */
export async function linkTree(from: string, to: string, copy = false): Promise<{ linked: number; copied: number }> {
  const counts = { linked: 0, copied: 0 };
  await walk(from, to, copy, counts);
  return counts;
}

async function walk(from: string, to: string, copy: boolean, counts: { linked: number; copied: number }) {
  const s = await lstat(from);
  await mkdir(to);
  const entries = await readdir(from, { withFileTypes: true });
  // A directory's entries go a few at a time: libuv's four threads, not one call after another.
  for (let i = 0; i < entries.length; i += 16) {
    await Promise.all(
      entries.slice(i, i + 16).map(async (e) => {
        const src = join(from, e.name);
        const dest = join(to, e.name);
        if (e.isDirectory()) await walk(src, dest, copy, counts);
        else if (e.isSymbolicLink()) await symlink(await readlink(src), dest);
        else if (!e.isFile()) return;
        else if (!copy && (await tryLink(src, dest))) counts.linked++;
        else {
          await copyFile(src, dest);
          counts.copied++;
        }
      }),
    );
  }
  await chmod(to, s.mode & 0o7777);
}

/** A hard link, or false where the file system has none to give (another device, EPERM). */
async function tryLink(src: string, dest: string): Promise<boolean> {
  try {
    await link(src, dest);
    return true;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === "EXDEV" || code === "EPERM" || code === "EMLINK" || code === "ENOTSUP") return false;
    throw err;
  }
}

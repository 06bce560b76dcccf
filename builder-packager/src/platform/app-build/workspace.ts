/**
 * The per-build copy of the app source that the lifecycle sees as /workspace.
 *
 * The build works on a copy so buildpacks never write into the user's tree, and so the
 * files can be owned by the CNB user. project.toml (see project-descriptor.ts) decides what
 * is copied: `include` (only these) or `exclude` (all but these), gitignore patterns matched
 * by the `ignore` package (what git itself does, negations and all). An excluded file is
 * never read: exclusion happens while walking, before anything is copied.
 */
import { copyFile, lchown, lstat, mkdir, readdir, readlink, rmdir, symlink } from "node:fs/promises";
import { join } from "node:path";
import ignore from "ignore";
import type { ProjectDescriptor } from "./project-descriptor.js";

/** A gitignore matcher of '/'-separated relative paths (a directory's path is asked with isDir). */
export function gitignoreMatcher(patterns: string[]): (path: string, isDir: boolean) => boolean {
  const ig = ignore().add(patterns);
  return (path, isDir) => ig.ignores(isDir ? `${path}/` : path);
}

/**
 * Copies `appDir` to `dest` (created), applying project.toml's include/exclude, and makes
 * every copied entry owned by `uid:gid`. project.toml itself is always copied.
 */
export async function copyWorkspace(
  appDir: string,
  dest: string,
  project: ProjectDescriptor,
  owner: { uid: number; gid: number },
): Promise<number> {
  const inc = project.include ? gitignoreMatcher(project.include) : undefined;
  const exc = project.exclude ? gitignoreMatcher(project.exclude) : undefined;
  let count = 0;
  const walk = async (rel: string): Promise<void> => {
    const from = join(appDir, rel);
    for (const name of (await readdir(from)).sort()) {
      const r = rel === "" ? name : `${rel}/${name}`;
      const st = await lstat(join(from, name));
      const isDir = st.isDirectory();
      if (exc?.(r, isDir)) continue;
      // With include, a directory is entered when it or something under it may match.
      const included = !inc || r === "project.toml" || inc(r, isDir);
      if (!included && !isDir) continue;
      const to = join(dest, r);
      if (isDir) {
        if (!included) {
          const before = count;
          await mkdir(to);
          await walk(r);
          if (count === before) await rmdir(to);
          else await lchown(to, owner.uid, owner.gid);
          continue;
        }
        await mkdir(to, { mode: st.mode & 0o7777 });
        await lchown(to, owner.uid, owner.gid);
        // Exclude patterns match at every depth (a `*.secret` is any dir's), so an exclude
        // walk asks them of every entry; an included dir is copied whole.
        await (inc ? walkAll(r) : walk(r));
        continue;
      }
      await copyEntry(join(from, name), to, st);
      await lchown(to, owner.uid, owner.gid);
      count++;
    }
  };
  // Below an included directory everything is copied (excludes cannot coexist with includes).
  const walkAll = async (rel: string): Promise<void> => {
    for (const name of (await readdir(join(appDir, rel))).sort()) {
      const r = `${rel}/${name}`;
      const st = await lstat(join(appDir, r));
      const to = join(dest, r);
      if (st.isDirectory()) {
        await mkdir(to, { mode: st.mode & 0o7777 });
        await lchown(to, owner.uid, owner.gid);
        await walkAll(r);
      } else {
        await copyEntry(join(appDir, r), to, st);
        await lchown(to, owner.uid, owner.gid);
        count++;
      }
    }
  };
  await mkdir(dest, { recursive: true });
  await lchown(dest, owner.uid, owner.gid);
  await walk("");
  return count;
}

async function copyEntry(from: string, to: string, st: { isSymbolicLink(): boolean; isFile(): boolean }) {
  if (st.isSymbolicLink()) await symlink(await readlink(from), to);
  else if (st.isFile()) await copyFile(from, to);
}

/**
 * Filling one cache entry so that no reader ever sees half of it: the entry is made in a
 * `.tmp-<key>-<pid>-<time>` sibling and renamed into place only when complete. Callers hold
 * the entry's lock (../cache/dir-lock.ts), so any other temp dir of the same key was left by a
 * cnbkit that crashed, and is removed first.
 */
import { readdir, rename, rm } from "node:fs/promises";
import { join } from "node:path";

/** How to remove a temp dir: `rm -rf` unless the entry needs more (a rootfs may hold mounts). */
export type RemoveDir = (dir: string) => Promise<void>;

const removeDir: RemoveDir = (dir) => rm(dir, { recursive: true, force: true });

/**
 * Makes the entry `key` under `root` with `fill(tmp)`, then renames it into place; the temp dir
 * is gone afterwards whether `fill` succeeded or not. Call it with the entry's lock held.
 *
 * @returns the entry's path, `join(root, key)`.
 * @example
 * await withDirLock(`${target}.lock`, () => fillCacheEntry(root, key, (tmp) => buildRootfs(tmp, spec)));
 */
export async function fillCacheEntry(
  root: string,
  key: string,
  fill: (tmp: string) => Promise<void>,
  remove: RemoveDir = removeDir,
): Promise<string> {
  for (const name of await readdir(root)) {
    if (name.startsWith(`.tmp-${key}-`)) await remove(join(root, name));
  }
  const tmp = join(root, `.tmp-${key}-${process.pid}-${Date.now()}`);
  const target = join(root, key);
  try {
    await fill(tmp);
    await rename(tmp, target);
  } finally {
    await remove(tmp);
  }
  return target;
}

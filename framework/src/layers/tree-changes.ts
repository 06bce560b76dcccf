/**
 * What a step changed in a directory tree, kept so that another build can replay it: a
 * snapshot of the tree before the step, the entries it made or changed copied into a layer,
 * and the paths it removed listed. Layers.appOutput uses it so that a build script writing
 * into the app (a Node.js `build` writing dist/) runs once in a multi-platform build: the
 * native build keeps its changes, the emulated build replays them instead of running it
 * under qemu.
 *
 * A change is seen from `lstat` alone (kind, mode, size, mtime, inode), so a snapshot of a
 * large tree costs one stat per entry and no reads; symbolic links are kept as links, never
 * followed (a node_modules linked to a layer is not walked).
 */
import { chmod, copyFile, cp, lstat, mkdir, readlink, rm, symlink } from "node:fs/promises";
import { dirname, isAbsolute, join } from "node:path";
import { walk } from "../fs/tree-digest.js";

/** One entry's state, as far as telling a change goes. */
interface EntryState {
  kind: "file" | "dir" | "link" | "other";
  mode: number;
  size: bigint;
  mtimeNs: bigint;
  ino: bigint;
}

/** Every entry under a directory (relative posix paths), from {@link snapshotTree}. */
export type TreeSnapshot = ReadonlyMap<string, EntryState>;

/** What {@link keepChanges} kept: the paths to remove before the kept files are copied in. */
export interface TreeChanges {
  /** Paths the step removed, or replaced by another kind of entry (topmost only), sorted. */
  removed: string[];
  /** How many entries it made or changed (now copies in the layer). */
  changed: number;
}

/** Reads every entry under `dir` (not following links), for {@link keepChanges} to compare with. */
export async function snapshotTree(dir: string): Promise<TreeSnapshot> {
  // Not readdir's `recursive`: Node 20's follows links to directories, so a node_modules
  // linked to a layer was walked after all.
  const paths = await walk(dir);
  const states = new Map<string, EntryState>();
  // Bounded parallel lstat: a node_modules of 30,000 entries must not open 30,000 requests at once.
  for (let i = 0; i < paths.length; i += 256) {
    const batch = paths.slice(i, i + 256);
    const stats = await Promise.all(batch.map((p) => lstat(join(dir, p), { bigint: true }).catch(() => undefined)));
    batch.forEach((p, j) => {
      const s = stats[j];
      if (!s) return;
      const kind = s.isFile() ? "file" : s.isDirectory() ? "dir" : s.isSymbolicLink() ? "link" : "other";
      states.set(p, { kind, mode: Number(s.mode & 0o7777n), size: s.size, mtimeNs: s.mtimeNs, ino: s.ino });
    });
  }
  return states;
}

/**
 * Copies what changed under `dir` since `before` into `into` (an empty directory), at the
 * same relative paths, with their modes; links as links. Sockets and other special files are
 * left out. Returns the removed paths for {@link replayChanges}.
 */
export async function keepChanges(dir: string, before: TreeSnapshot, into: string): Promise<TreeChanges> {
  const after = await snapshotTree(dir);
  let changed = 0;
  for (const path of [...after.keys()].sort()) {
    const now = after.get(path) as EntryState;
    const was = before.get(path);
    if (was && !differs(was, now)) continue;
    const from = join(dir, path);
    const to = join(into, path);
    if (now.kind === "dir") {
      await mkdir(to, { recursive: true });
      await chmod(to, now.mode);
    } else if (now.kind === "file") {
      await mkdir(dirname(to), { recursive: true });
      await copyFile(from, to);
      await chmod(to, now.mode);
    } else if (now.kind === "link") {
      await mkdir(dirname(to), { recursive: true });
      await symlink(await readlink(from), to);
    } else continue;
    changed++;
  }
  const gone = [...before.entries()]
    .filter(([path, was]) => after.get(path)?.kind !== was.kind)
    .map(([path]) => path)
    .sort();
  // Only the topmost of what went: removing a directory removes what was in it.
  const removed = gone.filter((p, i) => !gone.slice(0, i).some((q) => p.startsWith(`${q}/`)));
  return { removed, changed };
}

/**
 * Replays changes {@link keepChanges} kept in `from` onto `dir`: removes `removed`, then
 * copies the kept entries in, over what is there. Each removed path must stay inside `dir`.
 */
export async function replayChanges(from: string, dir: string, removed: readonly string[]): Promise<void> {
  for (const path of removed) {
    if (path === "" || isAbsolute(path) || path.split("/").includes("..")) {
      throw new Error(`refusing to remove ${JSON.stringify(path)}: not a path inside the app`);
    }
    await rm(join(dir, path), { recursive: true, force: true });
  }
  await cp(from, dir, { recursive: true, force: true, verbatimSymlinks: true });
}

/**
 * The digest appOutput keys on: fs/tree-digest.ts's, the one the framework exports, so an
 * author's key and the framework's agree on what "the same sources" means.
 */
export { treeDigest } from "../fs/tree-digest.js";

/** A directory changes by its kind or mode; its new children are kept one by one. */
function differs(a: EntryState, b: EntryState): boolean {
  if (a.kind === "dir" && b.kind === "dir") return a.mode !== b.mode;
  return a.kind !== b.kind || a.mode !== b.mode || a.size !== b.size || a.mtimeNs !== b.mtimeNs || a.ino !== b.ino;
}

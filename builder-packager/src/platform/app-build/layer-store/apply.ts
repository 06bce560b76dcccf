/**
 * The apply step of a commit: a merge plan (merge-plan.ts) carried out on disk, upper's
 * entries renamed onto lower's. Upper and lower are on one filesystem (both in the store,
 * store.ts), so every file moves by rename, whatever its size: a commit costs what the build
 * changed.
 */
import type { Stats } from "node:fs";
import { chmod, chown, lstat, rename, rm, utimes } from "node:fs/promises";
import { join } from "node:path";
import type { MergeOp } from "./merge-plan.js";

/**
 * Applies `ops` with `upper` and `lower` as the roots of their paths. A dir's mode, owner
 * and times are read from upper before anything moves (moving its children out changes
 * its mtime) and set on lower after its children changed (which changes lower's mtime).
 *
 * @example
 * await applyMerge(planMerge(dirListing(upper), dirListing(lower), dirListing(merged)), upper, lower);
 */
export async function applyMerge(ops: readonly MergeOp[], upper: string, lower: string): Promise<void> {
  const at = (root: string, path: string) => (path === "" ? root : join(root, path));
  const dirAttrs = new Map<string, Stats>();
  for (const op of ops) if (op.op === "dir-attrs") dirAttrs.set(op.path, await lstat(at(upper, op.path)));
  for (const op of ops) {
    const to = at(lower, op.path);
    if (op.op === "remove") await rm(to, { recursive: true, force: true });
    else if (op.op === "move") {
      if (op.replace) await rm(to, { recursive: true, force: true });
      await rename(at(upper, op.path), to);
    } else {
      const st = dirAttrs.get(op.path)!;
      await chown(to, st.uid, st.gid);
      await chmod(to, st.mode & 0o7777);
      await utimes(to, st.atime, st.mtime);
    }
  }
}

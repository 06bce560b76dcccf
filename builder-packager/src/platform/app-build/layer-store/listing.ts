/**
 * A {@link Listing} of a real directory tree, for the merge plan: kinds from lstat (never
 * following a link, so a symlink to a dir is a symlink), overlayfs's whiteouts (char device
 * 0:0) told apart from other special files.
 */
import { lstatSync, readdirSync } from "node:fs";
import { join } from "node:path";
import type { Listing } from "./merge-plan.js";

/**
 * The listing of the tree at `root`. Synchronous on purpose: the plan reads one small dir
 * at a time, and a thread-pool round trip per lstat cost more than the lstat.
 */
export function dirListing(root: string): Listing {
  const abs = (path: string) => (path === "" ? root : join(root, path));
  return {
    kind(path) {
      let st: ReturnType<typeof lstatSync>;
      try {
        st = lstatSync(abs(path), { throwIfNoEntry: false });
      } catch {
        return undefined; // ENOTDIR: a parent is not a dir, so nothing is there
      }
      if (!st) return undefined;
      if (st.isDirectory()) return "dir";
      if (st.isFile()) return "file";
      if (st.isSymbolicLink()) return "symlink";
      if (st.isCharacterDevice() && st.rdev === 0) return "whiteout";
      return "other";
    },
    names(path) {
      try {
        return readdirSync(abs(path));
      } catch {
        return []; // not a dir, or gone: nothing below it to merge
      }
    },
  };
}

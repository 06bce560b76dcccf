/**
 * The moves of a merge plan that would change nothing: a small file the build wrote again with
 * the bytes, mode and owner it had. The framework rewrites a kept layer's TOML every build
 * (types are always rewritten), so the overlay's upper dir holds a copy of it even when the
 * build changed nothing there, and that one move made every rebuild's commit one with
 * content: the `merging` marker written and synced (store.ts), tens of milliseconds on a busy
 * disk, for a rename that leaves the store as it was.
 */
import { lstatSync, readFileSync, type Stats } from "node:fs";
import { join } from "node:path";
import type { MergeOp } from "./merge-plan.js";

/** Files larger than this are moved whatever their bytes: comparing them would cost what a rename saves. */
export const UNCHANGED_MAX_BYTES = 64 * 1024;

/**
 * `ops` without the moves of regular files (no bigger than {@link UNCHANGED_MAX_BYTES}) whose
 * upper copy has the lower one's bytes, mode, owner and group. Synchronous, as the plan's
 * listings are: a few small files, read one at a time.
 *
 * @example
 * const ops = withoutUnchanged(planMerge(up, low, merged), upperDir, lowerDir); // the TOML's move gone
 */
export function withoutUnchanged(ops: readonly MergeOp[], upper: string, lower: string): MergeOp[] {
  return ops.filter((op) => op.op !== "move" || op.replace || !sameFile(join(upper, op.path), join(lower, op.path)));
}

function sameFile(a: string, b: string): boolean {
  const sa = stat(a);
  const sb = stat(b);
  if (!sa?.isFile() || !sb?.isFile()) return false;
  if (sa.size !== sb.size || sa.size > UNCHANGED_MAX_BYTES) return false;
  if (sa.mode !== sb.mode || sa.uid !== sb.uid || sa.gid !== sb.gid) return false;
  try {
    return readFileSync(a).equals(readFileSync(b));
  } catch {
    return false; // unreadable: moved as any other change
  }
}

function stat(path: string): Stats | undefined {
  try {
    return lstatSync(path, { throwIfNoEntry: false });
  } catch {
    return undefined;
  }
}

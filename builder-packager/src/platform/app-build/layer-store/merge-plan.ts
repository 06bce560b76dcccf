/**
 * The merge plan: what committing a build's overlay upper dir onto the store's committed
 * (lower) dir takes, as a list of operations, decided from listings alone so it can be
 * tested without a mount.
 *
 * Deletions are read from the merged view rather than from overlayfs's own markers: for a
 * dir in both upper and lower, the names lower has and the merged view does not are the
 * deleted ones. That one rule covers whiteouts (a deleted name) and opaque dirs (a dir
 * removed and made again: merged shows only the upper's names) without reading xattrs, and
 * the mount's `redirect_dir=off,index=off,metacopy=off` leaves nothing else to interpret.
 */

/** What a path is, as far as the merge cares; `whiteout` is overlayfs's char device 0:0. */
export type EntryKind = "dir" | "file" | "symlink" | "whiteout" | "other";

/** A read-only view of one tree: what is at a path, and a dir's names. Paths are relative, "/"-separated, "" the root. */
export interface Listing {
  /** The kind of entry at `path`; undefined when there is none. */
  kind(path: string): EntryKind | undefined;
  /** The names in the dir at `path` (empty when it is not a dir). */
  names(path: string): readonly string[];
}

/** One step of a commit, applied in order (apply.ts). */
export type MergeOp =
  /** Delete `path` (and all below it) from lower: deleted in the build. */
  | { op: "remove"; path: string }
  /**
   * Rename upper's `path` onto lower's. `replace`: lower has something there a rename
   * cannot overwrite (a dir, or a non-dir where upper has a dir), so it is deleted first.
   */
  | { op: "move"; path: string; replace: boolean }
  /** Give lower's dir `path` the mode, owner and times of upper's (after its children changed). */
  | { op: "dir-attrs"; path: string };

/**
 * Plans the commit of `upper` onto `lower`, reading deletions off `merged` (the overlay of
 * the two, read while it is still mounted). Only upper and the lower dirs that upper also
 * has are listed: the cost follows what the build changed, not the size of the store.
 *
 * @example
 * planMerge(upper, lower, merged) // [{ op: "remove", path: "bp/old" }, { op: "move", path: "bp/new", replace: false }, { op: "dir-attrs", path: "bp" }, ...]
 */
export function planMerge(upper: Listing, lower: Listing, merged: Listing): MergeOp[] {
  const ops: MergeOp[] = [];
  planDir("", upper, lower, merged, ops);
  return ops;
}

function planDir(dir: string, upper: Listing, lower: Listing, merged: Listing, ops: MergeOp[]): void {
  const shown = new Set(merged.names(dir));
  for (const name of [...lower.names(dir)].sort()) {
    if (!shown.has(name)) ops.push({ op: "remove", path: join(dir, name) });
  }
  for (const name of [...upper.names(dir)].sort()) {
    const path = join(dir, name);
    const kind = upper.kind(path);
    // A whiteout's name is gone from merged: the loop above deleted it.
    if (kind === "whiteout" || kind === undefined) continue;
    const below = lower.kind(path);
    if (kind === "dir" && below === "dir") planDir(path, upper, lower, merged, ops);
    else ops.push({ op: "move", path, replace: below === "dir" || (below !== undefined && kind === "dir") });
  }
  ops.push({ op: "dir-attrs", path: dir });
}

function join(dir: string, name: string): string {
  return dir === "" ? name : `${dir}/${name}`;
}

/** A nested literal of a tree for {@link treeListing}: a dir is an object, anything else its kind. */
export interface Tree {
  [name: string]: Tree | Exclude<EntryKind, "dir">;
}

/**
 * A {@link Listing} of an in-memory tree: the merge plan's tests, and anyone planning from
 * listings read elsewhere.
 *
 * @example
 * treeListing({ bp: { "go-build.toml": "file", "go-build": { a: "file" } } }).names("bp") // ["go-build.toml", "go-build"]
 */
export function treeListing(tree: Tree): Listing {
  const at = (path: string): Tree | Exclude<EntryKind, "dir"> | undefined => {
    let node: Tree | Exclude<EntryKind, "dir"> | undefined = tree;
    for (const part of path === "" ? [] : path.split("/")) {
      node = typeof node === "object" ? node[part] : undefined;
    }
    return node;
  };
  return {
    kind: (path) => {
      const node = at(path);
      return typeof node === "object" ? "dir" : node;
    },
    names: (path) => {
      const node = at(path);
      return typeof node === "object" ? Object.keys(node) : [];
    },
  };
}

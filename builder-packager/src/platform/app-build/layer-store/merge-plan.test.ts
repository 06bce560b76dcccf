import { describe, expect, test } from "vitest";
import { type MergeOp, planMerge, type Tree, treeListing } from "./merge-plan.js";

/** The plan of upper over lower, with merged as overlayfs would show it. */
function plan(upper: Tree, lower: Tree, merged: Tree): MergeOp[] {
  return planMerge(treeListing(upper), treeListing(lower), treeListing(merged));
}

/** The plan without the dir-attrs steps, when a case is about the entries. */
function changes(upper: Tree, lower: Tree, merged: Tree): MergeOp[] {
  return plan(upper, lower, merged).filter((op) => op.op !== "dir-attrs");
}

describe("planMerge", () => {
  test("an unchanged store (empty upper) plans only the root's attributes", () => {
    expect(plan({}, { bp: { a: "file" } }, { bp: { a: "file" } })).toEqual([{ op: "dir-attrs", path: "" }]);
  });

  test("a file added in a dir lower has moves alone; the dir's attributes follow its children", () => {
    expect(plan({ bp: { new: "file" } }, { bp: { old: "file" } }, { bp: { new: "file", old: "file" } })).toEqual([
      { op: "move", path: "bp/new", replace: false },
      { op: "dir-attrs", path: "bp" },
      { op: "dir-attrs", path: "" },
    ]);
  });

  test("a new dir moves whole, without walking into it", () => {
    const upper: Tree = { bp: { "go-build": { "00": { a: "file" } }, "go-build.toml": "file" } };
    expect(changes(upper, {}, upper)).toEqual([{ op: "move", path: "bp", replace: false }]);
  });

  test("a changed file (copied up) replaces lower's by rename", () => {
    expect(changes({ bp: { a: "file" } }, { bp: { a: "file", b: "file" } }, { bp: { a: "file", b: "file" } })).toEqual([
      { op: "move", path: "bp/a", replace: false },
    ]);
  });

  test("a deleted file (whiteout) is removed from lower, the whiteout itself is not moved", () => {
    expect(changes({ bp: { a: "whiteout" } }, { bp: { a: "file", b: "file" } }, { bp: { b: "file" } })).toEqual([
      { op: "remove", path: "bp/a" },
    ]);
  });

  test("a deleted dir (whiteout) is removed whole", () => {
    const lower: Tree = { bp: { cache: { x: "file" }, keep: "file" } };
    expect(changes({ bp: { cache: "whiteout" } }, lower, { bp: { keep: "file" } })).toEqual([
      { op: "remove", path: "bp/cache" },
    ]);
  });

  test("a dir removed and made again (opaque) loses lower's names it does not have again", () => {
    const lower: Tree = { bp: { d: { old: "file", both: "file" } } };
    const upper: Tree = { bp: { d: { both: "file", fresh: "file" } } };
    expect(changes(upper, lower, upper)).toEqual([
      { op: "remove", path: "bp/d/old" },
      { op: "move", path: "bp/d/both", replace: false },
      { op: "move", path: "bp/d/fresh", replace: false },
    ]);
  });

  test("a file replaced by a dir: lower's file goes first", () => {
    const upper: Tree = { bp: { x: { inner: "file" } } };
    expect(changes(upper, { bp: { x: "file" } }, upper)).toEqual([{ op: "move", path: "bp/x", replace: true }]);
  });

  test("a dir replaced by a file: lower's dir goes first", () => {
    expect(changes({ bp: { x: "file" } }, { bp: { x: { inner: "file" } } }, { bp: { x: "file" } })).toEqual([
      { op: "move", path: "bp/x", replace: true },
    ]);
  });

  test("a dir replaced by a symlink: a link is never followed, lower's dir goes first", () => {
    expect(changes({ bp: { x: "symlink" } }, { bp: { x: { inner: "file" } } }, { bp: { x: "symlink" } })).toEqual([
      { op: "move", path: "bp/x", replace: true },
    ]);
  });

  test("a symlink over a file, and a file over a symlink, are renames that replace in place", () => {
    const upper: Tree = { bp: { a: "symlink", b: "file" } };
    expect(changes(upper, { bp: { a: "file", b: "symlink" } }, upper)).toEqual([
      { op: "move", path: "bp/a", replace: false },
      { op: "move", path: "bp/b", replace: false },
    ]);
  });

  test("a dir whose mode alone changed (copied up, nothing below) keeps lower's children and takes the new attributes", () => {
    const lower: Tree = { bp: { d: { a: "file" } } };
    expect(plan({ bp: { d: {} } }, lower, lower)).toEqual([
      { op: "dir-attrs", path: "bp/d" },
      { op: "dir-attrs", path: "bp" },
      { op: "dir-attrs", path: "" },
    ]);
  });

  test("deep changes recurse only through dirs both sides have", () => {
    const lower: Tree = { bp: { l: { a: { b: { old: "file" } } } } };
    const upper: Tree = { bp: { l: { a: { b: { old: "whiteout", new: "file" } } } } };
    expect(changes(upper, lower, { bp: { l: { a: { b: { new: "file" } } } } })).toEqual([
      { op: "remove", path: "bp/l/a/b/old" },
      { op: "move", path: "bp/l/a/b/new", replace: false },
    ]);
  });
});

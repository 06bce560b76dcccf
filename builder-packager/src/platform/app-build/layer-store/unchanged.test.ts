import { chmod, mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, expect, test } from "vitest";
import type { MergeOp } from "./merge-plan.js";
import { UNCHANGED_MAX_BYTES, withoutUnchanged } from "./unchanged.js";

let tmp: string;
beforeEach(async () => {
  tmp = await mkdtemp(join(tmpdir(), "cnbkit-unchanged-"));
  await mkdir(join(tmp, "upper/bp"), { recursive: true });
  await mkdir(join(tmp, "lower/bp"), { recursive: true });
});
afterEach(async () => {
  await rm(tmp, { recursive: true, force: true });
});

/** Writes `path` with `text` in both trees (upper's text `upperText` when given). */
async function both(path: string, text: string | Buffer, upperText: string | Buffer = text): Promise<void> {
  await writeFile(join(tmp, "lower", path), text);
  await writeFile(join(tmp, "upper", path), upperText);
}

const move = (path: string, replace = false): MergeOp => ({ op: "move", path, replace });

test("a small file written again with the same bytes, mode and owner is no move; every other op stays", async () => {
  await both("bp/same.toml", "[types]\ncache = true\n");
  await both("bp/changed.toml", "[types]\ncache = true\n", "[types]\ncache = false\n");
  await both("bp/mode", "x");
  await chmod(join(tmp, "upper/bp/mode"), 0o600);
  await writeFile(join(tmp, "upper/bp/new"), "n");
  const big = Buffer.alloc(UNCHANGED_MAX_BYTES + 1, 1);
  await both("bp/big", big);
  const ops: MergeOp[] = [
    { op: "remove", path: "bp/gone" },
    move("bp/same.toml"),
    move("bp/changed.toml"),
    move("bp/mode"),
    move("bp/new"),
    move("bp/big"),
    { op: "dir-attrs", path: "bp" },
    { op: "dir-attrs", path: "" },
  ];
  expect(withoutUnchanged(ops, join(tmp, "upper"), join(tmp, "lower"))).toEqual(
    ops.filter((op) => op.path !== "bp/same.toml"),
  );
});

test("a move that replaces (a dir where a file was) stays, whatever the bytes", async () => {
  await both("bp/same.toml", "t");
  expect(withoutUnchanged([move("bp/same.toml", true)], join(tmp, "upper"), join(tmp, "lower"))).toHaveLength(1);
});

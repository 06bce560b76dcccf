import { existsSync } from "node:fs";
import { mkdir, readdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { expect, test } from "vitest";
import { tempDirPerTest } from "../../../test/support/temp-dir.js";
import { fillCacheEntry } from "./fill-entry.js";

let root: string;
tempDirPerTest("fill-entry", (d) => {
  root = d;
});

test("an entry appears whole, and a crashed writer's temp dir of the same key is removed", async () => {
  await mkdir(join(root, ".tmp-k1-999-1"), { recursive: true });
  await mkdir(join(root, ".tmp-other-999-1"), { recursive: true });
  const path = await fillCacheEntry(root, "k1", async (tmp) => {
    await mkdir(tmp);
    await writeFile(join(tmp, "file"), "content");
  });
  expect(path).toBe(join(root, "k1"));
  expect(await readFile(join(path, "file"), "utf8")).toBe("content");
  expect((await readdir(root)).sort()).toEqual([".tmp-other-999-1", "k1"]);
});

test("a fill that fails leaves neither the entry nor its temp dir", async () => {
  await expect(
    fillCacheEntry(root, "k2", async (tmp) => {
      await mkdir(tmp);
      throw new Error("debootstrap failed");
    }),
  ).rejects.toThrow("debootstrap failed");
  expect(existsSync(join(root, "k2"))).toBe(false);
  expect(await readdir(root)).toEqual([]);
});

import { stat, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { expect, test } from "vitest";
import { tempDirPerFile } from "../../../test/support/temp-dir.js";
import { lockBuildCache } from "./build-cache-lock.js";

let root = "";
tempDirPerFile("build-cache-lock", (d) => {
  root = d;
});

test("a cache dir whose folder is not there yet: the folder is made and the lock taken beside the cache", async () => {
  const cache = join(root, "out", "app", "cache");
  const lock = await lockBuildCache(cache);
  expect((await stat(join(root, "out", "app", "cache.build.lock"))).isDirectory()).toBe(true);
  await lock.release();
  await expect(stat(join(root, "out", "app", "cache.build.lock"))).rejects.toThrow(/ENOENT/);
});

test("a folder that cannot be made is one line naming it", async () => {
  await writeFile(join(root, "a-file"), "");
  const cache = join(root, "a-file", "cache");
  await expect(lockBuildCache(cache)).rejects.toThrow(
    `build cache ${cache}: its folder ${join(root, "a-file")} cannot be made (EEXIST)`,
  );
});

import { readdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { expect, test } from "vitest";
import { tempDirPerTest } from "../../../test/support/temp-dir.js";
import { memoByContent } from "./content-memo.js";

let cacheDir: string;
tempDirPerTest("memo", (d) => {
  cacheDir = d;
});

const isNumber = (json: unknown) => (typeof json === "number" ? json : undefined);

test("a value is made once per key, and a broken or foreign entry is made again", async () => {
  let made = 0;
  const memo = (key: string) =>
    memoByContent({ kind: "facts", key, cacheDir, check: isNumber, make: async () => ++made });
  expect(await memo("a")).toBe(1);
  expect(await memo("a")).toBe(1);
  expect(await memo("b")).toBe(2);
  await writeFile(join(cacheDir, "facts", "a.json"), "{not json");
  expect(await memo("a")).toBe(3);
  await writeFile(join(cacheDir, "facts", "a.json"), '"a string"');
  expect(await memo("a")).toBe(4);
  expect((await readdir(join(cacheDir, "facts"))).sort()).toEqual(["a.json", "b.json"]);
});

test("a kind keeps its newest 100 entries", async () => {
  for (let i = 0; i < 103; i++)
    await memoByContent({ kind: "many", key: `k${i}`, cacheDir, check: isNumber, make: async () => i });
  const names = await readdir(join(cacheDir, "many"));
  expect(names).toHaveLength(100);
  expect(names).toContain("k102.json");
});

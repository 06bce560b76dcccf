import { copyFile, mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, expect, test } from "vitest";
import { compareGlibc, debianReleasesFor, glibcNeed } from "./glibc-need.js";

const dirs: string[] = [];
afterAll(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

test("glibc versions compare by number, and a need picks the Debian releases that meet it", () => {
  expect(["2.42", "2.9", "2.38", "2.2.5"].sort(compareGlibc)).toEqual(["2.2.5", "2.9", "2.38", "2.42"]);
  expect([debianReleasesFor("2.35"), debianReleasesFor("2.38"), debianReleasesFor("2.42")]).toEqual([
    ["12", "13"],
    ["13"],
    [],
  ]);
});

test("a tree's need is its neediest ELF file's; other files are skipped", async () => {
  const tree = await mkdtemp(join(tmpdir(), "cnbkit-glibc-need-"));
  dirs.push(tree);
  await mkdir(join(tree, "bin"));
  await copyFile("/bin/true", join(tree, "bin", "true"));
  await writeFile(join(tree, "bin", "script"), "#!/bin/sh\n");
  const need = await glibcNeed(tree);
  expect(need?.file).toBe("bin/true");
  expect(need?.version).toMatch(/^2\.\d+$/);
  await rm(join(tree, "bin", "true"));
  expect(await glibcNeed(tree)).toBeUndefined();
});

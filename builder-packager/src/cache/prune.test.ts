import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { link, mkdir, mkdtemp, readdir, readFile, rm, stat, utimes, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, beforeEach, expect, test } from "vitest";
import {
  cacheBounds,
  cacheEntryLock,
  diskUsage,
  formatBytes,
  markCacheEntryUsed,
  pruneCache,
  pruneCacheKind,
  releaseCacheEntry,
  useCacheEntry,
} from "./prune.js";

let work = "";
let root = "";
let other: ChildProcess; // a live process other than this one
let deadPid = 0;
let n = 0;

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), "cnbkit-cache-prune-"));
  other = spawn("sleep", ["600"], { stdio: "ignore" });
  deadPid = spawnSync("true").pid ?? 0;
});
afterAll(async () => {
  if (other.pid) process.kill(other.pid, "SIGKILL");
  await rm(work, { recursive: true, force: true });
});
beforeEach(async () => {
  root = join(work, `cache-${++n}`);
  await mkdir(root);
});

/** An entry last used `ageS` seconds ago, holding one file of `bytes` bytes. */
async function entry(name: string, ageS: number, bytes = 10): Promise<void> {
  await mkdir(join(root, name));
  await writeFile(join(root, name, "data"), Buffer.alloc(bytes, 1));
  const t = new Date(Date.now() - ageS * 1000);
  await utimes(join(root, name), t, t);
}

/** A marker as another process leaves it (`.in-use/<name>.<pid>`). */
async function usedBy(name: string, pid: number, identity = ""): Promise<void> {
  await mkdir(join(root, ".in-use"), { recursive: true });
  await writeFile(join(root, ".in-use", `${name}.${pid}`), identity);
}

const listing = async () => (await readdir(root)).sort();

test("evicts the least recently used entries beyond the count, oldest first", async () => {
  for (const [name, age] of [
    ["e", 10],
    ["a", 50],
    ["c", 30],
    ["b", 40],
    ["d", 20],
  ] as const)
    await entry(name, age);
  const r = await pruneCache(root, { maxEntries: 3 });
  expect(r.evicted).toEqual(["a", "b"]);
  expect(await listing()).toEqual(["c", "d", "e"]);
  // Using an entry makes it the most recent: it survives the next prune, the idle ones go.
  await markCacheEntryUsed(root, "c");
  await rm(join(root, ".in-use"), { recursive: true }); // as after this process ended
  const again = await pruneCache(root, { maxEntries: 1 });
  expect(again.evicted).toEqual(["d", "e"]);
  expect(await listing()).toEqual(["c"]);
});

test("idle one-offs go before shared entries, however recently each was used", async () => {
  // A builder used a minute ago, a run image's layers two minutes ago; three app images since.
  for (const [name, age] of [
    ["builder", 60],
    ["run-layers", 120],
    ["app1", 30],
    ["app2", 20],
    ["app3", 10],
  ] as const)
    await entry(name, age);
  const shared = (name: string) => !name.startsWith("app");
  const r = await pruneCache(root, { maxEntries: 3, shared });
  expect(r.evicted.sort()).toEqual(["app1", "app2"]);
  expect(await listing()).toEqual(["app3", "builder", "run-layers"]);
  // Without the hint it is plain LRU: the builder and the run image's layers would have gone.
  const plain = await pruneCache(root, { maxEntries: 1 });
  expect(plain.evicted.sort()).toEqual(["builder", "run-layers"]);
});

test("keeps an entry in use by a live process, counts it, and drops markers of dead ones", async () => {
  await entry("old-in-use", 100);
  await entry("old-idle", 90);
  await entry("dead-user", 80);
  await entry("new", 1);
  await usedBy("old-in-use", other.pid as number);
  await usedBy("dead-user", deadPid);
  const r = await pruneCache(root, { maxEntries: 2 });
  // The entry in use fills one slot, so only the newest idle one stays beside it.
  expect(r.evicted).toEqual(["old-idle", "dead-user"]);
  expect(await listing()).toEqual([".in-use", "new", "old-in-use"]);
  expect(await readdir(join(root, ".in-use"))).toEqual([`old-in-use.${other.pid}`]);
});

test("a marker whose pid now belongs to another process (after a reboot) does not pin", async () => {
  await entry("stale", 100);
  await entry("new", 1);
  await usedBy("stale", other.pid as number, "some-other-boot 12345");
  const r = await pruneCache(root, { maxEntries: 1 });
  expect(r.evicted).toEqual(["stale"]);
});

test("never removes the entry just made or one this process uses, even beyond the bound", async () => {
  await entry("made", 100);
  await entry("mine", 90);
  await entry("newer", 1);
  await markCacheEntryUsed(root, "mine");
  const t = new Date(Date.now() - 90_000);
  await utimes(join(root, "mine"), t, t); // old, but this process still uses it
  const r = await pruneCache(root, { maxEntries: 0, keep: "made" });
  expect(r.evicted).toEqual(["newer"]);
  expect(await listing()).toEqual([".in-use", "made", "mine"]);
});

test("bounds by disk usage and reports the bytes freed", async () => {
  const mib = 1024 * 1024;
  await entry("a", 40, mib);
  await entry("b", 30, mib);
  await entry("c", 20, mib);
  await entry("d", 10, mib);
  const each = diskUsage(join(root, "a"));
  expect(each).toBeGreaterThanOrEqual(mib);
  expect(each).toBeLessThan(mib + 64 * 1024);
  const r = await pruneCache(root, { maxBytes: Math.floor(2.5 * each) });
  expect(r.evicted).toEqual(["a", "b"]);
  expect(r.bytes).toBe(2 * each);
  expect(await listing()).toEqual(["c", "d"]);
});

test("disk usage counts a hardlinked file once, as du does", async () => {
  await entry("h", 1, 256 * 1024);
  const before = diskUsage(join(root, "h"));
  await link(join(root, "h", "data"), join(root, "h", "again"));
  expect(diskUsage(join(root, "h"))).toBe(before);
});

test("removes crash leftovers of dead processes and leaves live ones alone", async () => {
  await entry("x", 1);
  const live = other.pid as number;
  for (const name of [`.trash-a-${deadPid}-1`, `.trash-b-${live}-1`, `.tmp-c-${deadPid}-2`, `.tmp-d-${live}-2`]) {
    await mkdir(join(root, name, "rootfs/usr"), { recursive: true });
  }
  await mkdir(join(root, "stale.lock"));
  await writeFile(join(root, "stale.lock", "pid"), `${deadPid}\n`);
  await mkdir(join(root, "held.lock"));
  await writeFile(join(root, "held.lock", "pid"), `${live}\n`);
  const r = await pruneCache(root, { maxEntries: 5 });
  expect(r.evicted).toEqual([]);
  expect(r.leftovers).toBe(3);
  expect(await listing()).toEqual([`.tmp-d-${live}-2`, `.trash-b-${live}-1`, "held.lock", "x"]);
});

test("an entry whose lock another process holds is skipped, not waited for", async () => {
  await entry("busy", 100);
  await entry("new", 1);
  await mkdir(cacheEntryLock(root, "busy"));
  await writeFile(join(cacheEntryLock(root, "busy"), "pid"), `${other.pid}\n`);
  const t0 = Date.now();
  const r = await pruneCache(root, { maxEntries: 1 });
  expect(Date.now() - t0).toBeLessThan(400);
  expect(r.evicted).toEqual([]);
  expect(existsSync(join(root, "busy"))).toBe(true);
});

test("useCacheEntry marks a hit and leaves a miss untouched", async () => {
  const present = (dir: string) => existsSync(join(dir, "data"));
  expect(await useCacheEntry(root, "missing", present)).toBe(false);
  expect(await listing()).toEqual([]);
  await entry("hit", 3600);
  const before = (await stat(join(root, "hit"))).mtimeMs;
  expect(await useCacheEntry(root, "hit", present)).toBe(true);
  expect((await stat(join(root, "hit"))).mtimeMs).toBeGreaterThan(before + 3000_000);
  expect(await readdir(join(root, ".in-use"))).toEqual([`hit.${process.pid}`]);
  expect(existsSync(cacheEntryLock(root, "hit"))).toBe(false);
});

test("an entry is this process's until its last use is released, then a prune may take it", async () => {
  await entry("twice", 100);
  await entry("newer", 1);
  await markCacheEntryUsed(root, "twice"); // two uses, e.g. two runs of one image
  await markCacheEntryUsed(root, "twice");
  const t = new Date(Date.now() - 100_000);
  await utimes(join(root, "twice"), t, t);
  await releaseCacheEntry(root, "twice");
  expect((await pruneCache(root, { maxEntries: 1 })).evicted).toEqual(["newer"]); // one use left
  await releaseCacheEntry(root, "twice");
  expect(await readdir(join(root, ".in-use"))).toEqual([]);
  expect(existsSync(cacheEntryLock(root, "twice"))).toBe(false);
  expect((await pruneCache(root, { maxEntries: 0 })).evicted).toEqual(["twice"]);
});

test("bounds come from the environment; a bad value warns and keeps the default", () => {
  expect(cacheBounds("rootfs", {})).toEqual({ maxEntries: 10 });
  expect(cacheBounds("sea", {})).toEqual({ maxEntries: 12 });
  expect(cacheBounds("buildCaches", { CNBKIT_CACHE_MAX_BUILD_CACHES: "3" })).toEqual({ maxEntries: 3 });
  expect(cacheBounds("rootfs", { CNBKIT_CACHE_MAX_ROOTFS_SIZE: "1.5G" })).toEqual({
    maxEntries: 10,
    maxBytes: 1.5 * 1024 ** 3,
  });
  expect(cacheBounds("sea", { CNBKIT_CACHE_MAX_SEA_SIZE: "500MiB" }).maxBytes).toBe(500 * 1024 ** 2);
  const warnings: string[] = [];
  const b = cacheBounds("rootfs", { CNBKIT_CACHE_MAX_ROOTFS: "six", CNBKIT_CACHE_MAX_ROOTFS_SIZE: "lots" }, (l) =>
    warnings.push(l),
  );
  expect(b).toEqual({ maxEntries: 10 });
  expect(warnings).toHaveLength(2);
  expect(warnings[0]).toMatch(/^CNBKIT_CACHE_MAX_ROOTFS=six is not a whole number/);
});

test("pruneCacheKind says what it pruned in one line", async () => {
  const mib = 1024 * 1024;
  await entry("old1", 30, mib);
  await entry("old2", 20, mib);
  await entry("new", 1);
  const lines: string[] = [];
  const r = await pruneCacheKind("rootfs", root, {
    keep: "new",
    env: { CNBKIT_CACHE_MAX_ROOTFS: "1" },
    onProgress: (l) => lines.push(l),
  });
  expect(r?.evicted).toEqual(["old1", "old2"]);
  expect(lines).toEqual([`Pruned 2 unpacked images (${formatBytes(r?.bytes ?? 0)}) from the cache`]);
  expect(lines[0]).toMatch(/\(2\.0 MiB\)/);
  // Nothing to prune: nothing said.
  lines.length = 0;
  await pruneCacheKind("rootfs", root, { keep: "new", env: {}, onProgress: (l) => lines.push(l) });
  expect(lines).toEqual([]);
});

test("a build cache used in the last hour is never pruned, even beyond the bound; older ones are", async () => {
  await entry("hour-old", 61 * 60);
  await entry("day-old", 24 * 3600);
  await entry("used-5-min-ago", 5 * 60);
  await entry("used-59-min-ago", 59 * 60);
  await entry("this-build", 1);
  const lines: string[] = [];
  const r = await pruneCacheKind("buildCaches", root, {
    keep: "this-build",
    env: { CNBKIT_CACHE_MAX_BUILD_CACHES: "1" },
    onProgress: (l) => lines.push(l),
  });
  expect(r?.evicted).toEqual(["day-old", "hour-old"]);
  expect(await listing()).toEqual(["this-build", "used-59-min-ago", "used-5-min-ago"].sort());
  // Other kinds keep their strict bound.
  await pruneCacheKind("rootfs", root, { keep: "this-build", env: { CNBKIT_CACHE_MAX_ROOTFS: "1" } });
  expect(await listing()).toEqual(["this-build"]);
});

test("abi: the per-layer ABI facts (files, not dirs) are a kind, least recently used first; files being written and dirs are not entries", async () => {
  const fact = async (name: string, ageS: number) => {
    await writeFile(join(root, name), "{}");
    const t = new Date(Date.now() - ageS * 1000);
    await utimes(join(root, name), t, t);
  };
  await fact("1-all-amd64-aaa.json", 300);
  await fact("1-all-amd64-bbb.json", 200);
  await fact("1-all-amd64-ccc.json", 100);
  await fact("1-all-amd64-new.json", 1);
  await fact("1-all-amd64-ddd.json.tmp-123-abc", 900); // writeAtomic's, in flight
  await mkdir(join(root, "not-an-entry"));
  const lines: string[] = [];
  const r = await pruneCacheKind("abi", root, {
    keep: "1-all-amd64-new.json",
    env: { CNBKIT_CACHE_MAX_ABI: "2" },
    onProgress: (l) => lines.push(l),
  });
  expect(r?.evicted).toEqual(["1-all-amd64-aaa.json", "1-all-amd64-bbb.json"]);
  expect(lines).toEqual([expect.stringMatching(/^Pruned 2 layers' ABI facts \(\d+(\.\d+)? KiB\) from the cache$/)]);
  expect(await listing()).toEqual(
    ["1-all-amd64-ccc.json", "1-all-amd64-ddd.json.tmp-123-abc", "1-all-amd64-new.json", "not-an-entry"].sort(),
  );
  expect(cacheBounds("abi", {})).toEqual({ maxEntries: 20_000 });
});

test("a build cache's layer store (`<name>.layers`) is no entry: it counts toward its cache's size and goes with it; one left without its cache goes too", async () => {
  await entry("old", 100, 10);
  await entry("old.layers", 100, 9000);
  await entry("new", 10, 10);
  await entry("new.layers", 10, 10);
  await entry("orphan.layers", 5, 10);
  const size = (name: string) => diskUsage(join(root, name)) + diskUsage(join(root, `${name}.layers`));
  const [oldSize, newSize] = [size("old"), size("new")];
  // Room for both caches alone, not for old's store too.
  const r = await pruneCache(root, { maxBytes: newSize + diskUsage(join(root, "old")), companion: ".layers" });
  expect(r.evicted).toEqual(["old"]);
  expect(r.bytes).toBe(oldSize);
  expect(r.leftovers).toBe(1);
  expect(await listing()).toEqual(["new", "new.layers"]);
});

test.skipIf(process.getuid?.() !== 0)(
  "a store a dead build left an overlay mounted in is unmounted before it goes with its cache",
  async () => {
    await entry("old", 100);
    const left = join(root, "old.layers", `cnbkit-layers-${deadPid}-x`);
    const dirs = ["lower", "upper", "work", "merged"].map((d) => join(left, d));
    for (const d of dirs) await mkdir(d, { recursive: true });
    const [lower, upper, work, merged] = dirs;
    const mount = spawnSync("mount", [
      "-t",
      "overlay",
      "overlay",
      "-o",
      `lowerdir=${lower},upperdir=${upper},workdir=${work}`,
      merged!,
    ]);
    expect(mount.status).toBe(0);
    const r = await pruneCache(root, { maxEntries: 0, companion: ".layers" });
    expect(r.evicted).toEqual(["old"]);
    expect(await readFile("/proc/self/mountinfo", "utf8")).not.toContain(left);
    expect(await listing()).toEqual([]);
  },
);

test("formatBytes", () => {
  expect(formatBytes(10)).toBe("10 B");
  expect(formatBytes(12 * 1024)).toBe("12 KiB");
  expect(formatBytes(85 * 1024 * 1024)).toBe("85.0 MiB");
  expect(formatBytes(1.2 * 1024 ** 3)).toBe("1.2 GiB");
});

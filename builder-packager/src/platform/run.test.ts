/**
 * runApp and the unpacked-image cache, with real runc and cnbkit's run image: a run holds
 * its image only while it runs, a new image prunes idle images only over the bound and never
 * one that runs, and a run stopped while its image is unpacked starts nothing.
 */
import { mkdtemp, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, beforeEach, expect, test } from "vitest";
import { ensureBaseImages } from "../base/index.js";
import { type RunningApp, runApp } from "./run.js";
import { sleeperImages } from "./test-fixtures.js";

let work = "";
let images: Record<string, string> = {};
let saved: string | undefined;

beforeAll(async () => {
  const { run } = await ensureBaseImages({ onProgress: () => {} });
  work = await mkdtemp(join(tmpdir(), "cnbkit-run-test-"));
  images = await sleeperImages(run.ref, join(work, "images"), ["a", "b", "c"]);
}, 600_000);
afterAll(async () => {
  if (work) await rm(work, { recursive: true, force: true });
});
beforeEach(() => {
  saved = process.env.CNBKIT_CACHE_MAX_ROOTFS;
  process.env.CNBKIT_CACHE_MAX_ROOTFS = "1";
});
afterEach(() => {
  if (saved === undefined) delete process.env.CNBKIT_CACHE_MAX_ROOTFS;
  else process.env.CNBKIT_CACHE_MAX_ROOTFS = saved;
});

/** Starts `image` with its own cache `cache` and resolves once its process printed "up". */
async function started(image: string, cache: string, lines: string[]): Promise<RunningApp> {
  let up = () => {};
  const isUp = new Promise<void>((res) => {
    up = res;
  });
  const app = await runApp({
    image,
    cnbkitCache: cache,
    onOutput: (l) => {
      lines.push(l);
      if (l.startsWith("up ")) up();
    },
  });
  await Promise.race([
    isUp,
    app.exited.then((code) => {
      throw new Error(`${image} exited (${code}) before it was up:\n${lines.join("\n")}`);
    }),
  ]);
  return app;
}

/** The unpacked images in `cache`, and this process's in-use markers. */
async function cacheState(cache: string): Promise<{ entries: string[]; ours: number }> {
  const root = join(cache, "rootfs-by-digest");
  const names = await readdir(root).catch(() => [] as string[]);
  const marks = await readdir(join(root, ".in-use")).catch(() => [] as string[]);
  return {
    entries: names.filter((n) => !n.startsWith(".") && !n.endsWith(".lock")).sort(),
    ours: marks.filter((m) => m.endsWith(`.${process.pid}`)).length,
  };
}

test("a run holds its image only while it runs; over the bound a new run prunes idle images, never a running one", async () => {
  const cache = join(work, "cache-bound");
  const la: string[] = [];
  const lb: string[] = [];
  const lc: string[] = [];
  const a = await started(images.a as string, cache, la);
  const b = await started(images.b as string, cache, lb);
  expect(await cacheState(cache)).toMatchObject({ ours: 2 });
  await a.stop();
  await b.stop(); // resolves after b's prune: two entries over a bound of one, but both ran
  expect(lb.filter((l) => l.startsWith("Pruned"))).toEqual([]);
  const after = await cacheState(cache);
  expect(after.entries).toHaveLength(2);
  // Released when they ended. Before, this process kept both in use until it exited, so
  // they counted against the bound and could never be pruned while it lived.
  expect(after.ours).toBe(0);

  const c = await started(images.c as string, cache, lc);
  await c.stop();
  expect(lc.filter((l) => l.startsWith("Pruned"))).toEqual([
    expect.stringMatching(/^Pruned 2 unpacked images \(\d+\.\d MiB\) from the cache$/),
  ]);
  const last = await cacheState(cache);
  expect(last.entries).toHaveLength(1);
  expect(last.ours).toBe(0);
}, 300_000);

test("a run of a cached image prunes nothing, even over the bound", async () => {
  const cache = join(work, "cache-hit");
  for (const image of [images.a, images.b] as string[]) await (await started(image, cache, [])).stop();
  expect((await cacheState(cache)).entries).toHaveLength(1);
  const lines: string[] = [];
  await (await started(images.b as string, cache, lines)).stop();
  expect(lines.filter((l) => /^(Pruned|Unpacking)/.test(l))).toEqual([]);
}, 300_000);

test("stopped while its image is unpacked, a run starts nothing and caches nothing half-unpacked", async () => {
  const cache = join(work, "cache-stop");
  const ac = new AbortController();
  const lines: string[] = [];
  const err = await runApp({
    image: images.a as string,
    cnbkitCache: cache,
    signal: ac.signal,
    onOutput: (l) => {
      lines.push(l);
      if (l.startsWith("Unpacking layer 1/")) ac.abort();
    },
  }).catch((e: Error) => e);
  expect(err).toBeInstanceOf(Error);
  expect((err as Error).message).toBe("unpacking stopped; nothing was cached");
  expect(lines.some((l) => l.startsWith("up "))).toBe(false);
  const root = join(cache, "rootfs-by-digest");
  expect((await readdir(root)).filter((n) => n !== ".in-use")).toEqual([]);
  // Stopped before it began: one line, nothing unpacked.
  await expect(runApp({ image: images.a as string, cnbkitCache: cache, signal: AbortSignal.abort() })).rejects.toThrow(
    "run stopped before the app started",
  );
}, 300_000);

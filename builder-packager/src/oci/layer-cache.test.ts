import { execFile, spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdir, mkdtemp, readdir, readFile, rm, stat, truncate, utimes, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, onTestFinished, test } from "vitest";
import { digestHex } from "./digest.js";
import { type LayerDescriptor, type LayerEntry, writeLayer } from "./layer.js";
import { bundleTestScript } from "./test-bundle.js";
import { noise, noiseStream, peakRssGrowth } from "./test-memory.js";
import { LayerBlobCache, type LayerBlobCacheOptions } from "./layer-cache.js";

const run = promisify(execFile);
let work: string;
let n = 0;
beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), "oci-layer-cache-"));
});
afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

/** A fresh dir under the test's temp dir. */
async function fresh(name: string): Promise<string> {
  const dir = join(work, `${name}-${++n}`);
  await mkdir(dir, { recursive: true });
  return dir;
}

/** `size` bytes of xorshift noise (gzip has real work to do), the same bytes for the same seed. */
/** A small layer: a 64 KiB file plus a dir and a symlink. */
function entries(seed = 1): LayerEntry[] {
  const data = noise(64 * 1024, seed);
  return [
    { type: "dir", path: "cnb/buildpacks/acme_x/1.0.0/bin", mode: 0o755 },
    { type: "file", path: "cnb/buildpacks/acme_x/1.0.0/bin/main", size: data.length, data, mode: 0o755 },
    { type: "symlink", path: "cnb/buildpacks/acme_x/1.0.0/bin/build", target: "main" },
  ];
}

/** A cache over `root` that caches small layers too and records its progress lines. */
function cacheAt(root: string, opts: LayerBlobCacheOptions = {}): { cache: LayerBlobCache; lines: string[] } {
  const lines: string[] = [];
  const cache = new LayerBlobCache({ root, minBytes: 0, env: {}, onProgress: (l) => lines.push(l), ...opts });
  return { cache, lines };
}

const sha256 = async (path: string) =>
  `sha256:${createHash("sha256")
    .update(await readFile(path))
    .digest("hex")}`;

/** The layer as `writeLayer` writes it with no cache: what every cached run must equal. */
async function uncached(seed = 1): Promise<{ layer: LayerDescriptor; bytes: Buffer }> {
  const out = await fresh("uncached");
  const layer = await writeLayer(entries(seed), out);
  return { layer, bytes: await readFile(join(out, digestHex(layer.digest))) };
}

describe("LayerBlobCache", () => {
  test("a second write reuses the cached blob: same descriptor and bytes as without a cache, hardlinked out", async () => {
    const plain = await uncached();
    const root = await fresh("cache");
    const { cache, lines } = cacheAt(root);
    const first = await writeLayer(entries(), await fresh("out"), { cache });
    expect(first).toEqual(plain.layer);
    expect(cache.stats).toEqual({ reused: 0, stored: 1, discarded: 0 });

    const out = await fresh("out");
    const second = await writeLayer(entries(), out, { cache });
    expect(second).toEqual(plain.layer);
    expect(cache.stats).toEqual({ reused: 1, stored: 1, discarded: 0 });
    expect(lines).toEqual([
      `Reusing compressed layer ${digestHex(plain.layer.digest).slice(0, 12)} (${Math.round(plain.layer.size / 1024)} KiB) from the cache`,
    ]);
    const blob = join(out, digestHex(second.digest));
    expect(await readFile(blob)).toEqual(plain.bytes);
    // The entry: <diffId hex>/{blob, layer.json}; the output blob is the same inode.
    const entry = join(root, digestHex(plain.layer.diffId));
    expect((await readdir(entry)).sort()).toEqual(["blob", "layer.json"]);
    expect((await stat(blob)).ino).toBe((await stat(join(entry, "blob"))).ino);
    expect(JSON.parse(await readFile(join(entry, "layer.json"), "utf8"))).toMatchObject({
      digest: plain.layer.digest,
      size: plain.layer.size,
      diffId: plain.layer.diffId,
    });
    expect((await readdir(root)).filter((x) => x.startsWith(".tmp-") || x.endsWith(".lock"))).toEqual([]);
  });

  test("another layer is another entry; small layers (below minBytes) and CNBKIT_CACHE_MAX_LAYER_BLOBS=0 skip the cache", async () => {
    const root = await fresh("cache");
    const { cache } = cacheAt(root);
    await writeLayer(entries(1), await fresh("out"), { cache });
    await writeLayer(entries(2), await fresh("out"), { cache });
    expect(cache.stats.stored).toBe(2);

    const small = cacheAt(await fresh("cache"), { minBytes: 1024 * 1024 });
    expect(await writeLayer(entries(), await fresh("out"), { cache: small.cache })).toEqual((await uncached()).layer);
    expect(await readdir(small.cache.root)).toEqual([]);

    const off = cacheAt(await fresh("cache"), { env: { CNBKIT_CACHE_MAX_LAYER_BLOBS: "0" } });
    expect(await writeLayer(entries(), await fresh("out"), { cache: off.cache })).toEqual((await uncached()).layer);
    expect(await readdir(off.cache.root)).toEqual([]);
    expect(off.cache.stats).toEqual({ reused: 0, stored: 0, discarded: 0 });

    expect(new LayerBlobCache({ env: { CNBKIT_CACHE: "/srv/c" } }).root).toBe("/srv/c/layer-blobs");
  });

  test("an entry with a wrong size, a wrong digest or no layer.json is discarded and made again", async () => {
    const plain = await uncached();
    const key = digestHex(plain.layer.diffId);
    const breakages: [string, (entry: string) => Promise<void>, RegExp][] = [
      ["truncated", (e) => truncate(join(e, "blob"), 100), /its blob is 100 bytes, layer\.json says \d+/],
      [
        "flipped byte",
        async (e) => {
          const b = await readFile(join(e, "blob"));
          b[b.length - 20] = (b[b.length - 20] ?? 0) ^ 0xff;
          await writeFile(join(e, "blob"), b);
        },
        new RegExp(`its blob's sha256 is not ${plain.layer.digest}`),
      ],
      ["no layer.json", (e) => rm(join(e, "layer.json")), /layer\.json is missing/],
      [
        "another compression",
        async (e) => {
          const meta = JSON.parse(await readFile(join(e, "layer.json"), "utf8"));
          await writeFile(join(e, "layer.json"), JSON.stringify({ ...meta, compression: "zstd" }));
        },
        /layer\.json does not describe this layer/,
      ],
    ];
    for (const [name, breakIt, reason] of breakages) {
      const root = await fresh("cache");
      await writeLayer(entries(), await fresh("out"), { cache: cacheAt(root).cache });
      await breakIt(join(root, key));
      const { cache, lines } = cacheAt(root);
      const out = await fresh("out");
      const layer = await writeLayer(entries(), out, { cache });
      expect(layer, name).toEqual(plain.layer);
      expect(cache.stats, name).toEqual({ reused: 0, stored: 1, discarded: 1 });
      expect(lines[0], name).toMatch(/^Discarding cached layer [0-9a-f]{12}: /);
      expect(lines[0], name).toMatch(reason);
      expect(await readFile(join(out, digestHex(layer.digest))), name).toEqual(plain.bytes);
      expect(await sha256(join(root, key, "blob")), name).toBe(plain.layer.digest);
      expect((await readdir(root)).filter((x) => x.startsWith(".")).sort(), name).toEqual([".in-use"]);
    }
  });

  test("two writers of one layer at once compress it once and both get the same blob", async () => {
    const plain = await uncached();
    const root = await fresh("cache");
    const a = cacheAt(root);
    const b = cacheAt(root);
    const outs = [await fresh("out"), await fresh("out")];
    const [la, lb] = await Promise.all([
      writeLayer(entries(), outs[0] as string, { cache: a.cache }),
      writeLayer(entries(), outs[1] as string, { cache: b.cache }),
    ]);
    expect(la).toEqual(plain.layer);
    expect(lb).toEqual(plain.layer);
    expect(a.cache.stats.stored + b.cache.stats.stored).toBe(1);
    expect(a.cache.stats.reused + b.cache.stats.reused).toBe(1);
    for (const out of outs) expect(await readFile(join(out, digestHex(plain.layer.digest)))).toEqual(plain.bytes);
    expect((await readdir(root)).sort()).toEqual([".in-use", digestHex(plain.layer.diffId)]);
  });

  test("two processes writing one layer at once compress it once", async () => {
    const size = 16 * 1024 * 1024;
    const file = join(await fresh("src"), "data.bin");
    await writeFile(file, noise(size));
    const script = join(await fresh("script"), "writer.ts");
    await writeFile(
      script,
      `import { writeLayer } from ${JSON.stringify(join(import.meta.dirname, "layer.js"))};
import { LayerBlobCache } from ${JSON.stringify(join(import.meta.dirname, "layer-cache.js"))};
const [root, out, file] = process.argv.slice(2);
const cache = new LayerBlobCache({ root, env: {} });
const layer = await writeLayer([{ type: "file", path: "data.bin", size: ${size}, sourcePath: file }], out, { cache });
console.log(JSON.stringify({ layer, stats: cache.stats }));
`,
    );
    const bundle = await bundleTestScript(script, script.replace(/\.ts$/, ".mjs"));
    const root = await fresh("cache");
    const outs = [await fresh("out"), await fresh("out")];
    const results = await Promise.all(
      outs.map(async (out) => {
        const { stdout } = await run(process.execPath, [bundle, root, out, file]);
        return JSON.parse(stdout) as { layer: LayerDescriptor; stats: LayerBlobCache["stats"] };
      }),
    );
    const plain = await writeLayer([{ type: "file", path: "data.bin", size, sourcePath: file }], await fresh("out"));
    for (const r of results) expect(r.layer).toEqual(plain);
    expect(results.map((r) => r.stats.stored).sort()).toEqual([0, 1]);
    expect(results.map((r) => r.stats.reused).sort()).toEqual([0, 1]);
    for (const out of outs) expect(await sha256(join(out, digestHex(plain.digest)))).toBe(plain.digest);
    expect((await readdir(root)).sort()).toEqual([".in-use", digestHex(plain.diffId)]);
  });

  test("a writer that crashed (stale lock, half-written .tmp dir) does not block the next one", async () => {
    const plain = await uncached();
    const key = digestHex(plain.layer.diffId);
    const root = await fresh("cache");
    const dead = (await new Promise<number>((resolve) => {
      const child = execFile("true");
      child.on("exit", () => resolve(child.pid as number));
    })) as number;
    await mkdir(join(root, `${key}.lock`), { recursive: true });
    await writeFile(join(root, `${key}.lock`, "pid"), `${dead}\n`);
    const tmp = join(root, `.tmp-${key}-${dead}-1700000000000`);
    await mkdir(tmp);
    await writeFile(join(tmp, "half"), "gzip bytes that never finished");
    const { cache } = cacheAt(root);
    expect(await writeLayer(entries(), await fresh("out"), { cache })).toEqual(plain.layer);
    expect(cache.stats.stored).toBe(1);
    expect((await readdir(root)).sort()).toEqual([".in-use", key]);
  });

  test("a full disk under the cache (a small tmpfs): no entry left there, the layer written whole without it; cached once there is room", async () => {
    const root = await fresh("disk");
    const m = spawnSync("mount", ["-t", "tmpfs", "-o", "size=256k", "tmpfs", root], { encoding: "utf8" });
    expect(m.status, m.stderr).toBe(0);
    onTestFinished(() => {
      spawnSync("umount", [root]);
    });
    const size = 1024 * 1024; // noise: gzip cannot make it fit
    const big: LayerEntry[] = [{ type: "file", path: "big.bin", size, data: noise(size, 7) }];
    const plain = await writeLayer(big, await fresh("out"));
    const out = await fresh("out");
    const { cache, lines } = cacheAt(root);
    expect(await writeLayer(big, out, { cache })).toEqual(plain);
    expect(await sha256(join(out, digestHex(plain.digest)))).toBe(plain.digest);
    expect(lines).toEqual([
      `warning: no space left for the layer cache in ${root}; writing layer ${digestHex(plain.diffId).slice(0, 12)} without it (free space there, or set CNBKIT_CACHE_MAX_LAYER_BLOBS=0)`,
    ]);
    expect(cache.stats.stored).toBe(0);
    expect((await readdir(root)).filter((x) => x !== ".in-use")).toEqual([]);
    spawnSync("mount", ["-o", "remount,size=4m", root]);
    const { cache: roomy } = cacheAt(root);
    expect(await writeLayer(big, await fresh("out"), { cache: roomy })).toEqual(plain);
    expect(roomy.stats.stored).toBe(1);
    expect((await readdir(root)).sort()).toEqual([".in-use", digestHex(plain.diffId)]);
  });

  test("a new entry prunes the least recently used ones beyond CNBKIT_CACHE_MAX_LAYER_BLOBS", async () => {
    const root = await fresh("cache");
    const env = { CNBKIT_CACHE_MAX_LAYER_BLOBS: "2" };
    const made: LayerDescriptor[] = [];
    for (const seed of [1, 2])
      made.push(await writeLayer(entries(seed), await fresh("out"), { cache: cacheAt(root, { env }).cache }));
    // As after that process ended: nothing in use, the first entry the older one.
    await rm(join(root, ".in-use"), { recursive: true });
    for (const [i, l] of made.entries()) {
      const t = new Date(Date.now() - (2 - i) * 3_600_000);
      await utimes(join(root, digestHex(l.diffId)), t, t);
    }
    const { cache, lines } = cacheAt(root, { env });
    const third = await writeLayer(entries(3), await fresh("out"), { cache });
    expect(lines).toEqual([expect.stringMatching(/^Pruned 1 compressed layer \(\d+ KiB\) from the cache$/)]);
    expect((await readdir(root)).filter((x) => !x.startsWith(".")).sort()).toEqual(
      [digestHex((made[1] as LayerDescriptor).diffId), digestHex(third.diffId)].sort(),
    );
  });

  test("a 200 MB layer, compressed into the cache and then reused, streams with bounded memory", async () => {
    const size = 200 * 1024 * 1024;
    const big: LayerEntry[] = [{ type: "file", path: "big.bin", size, stream: () => noiseStream(size) }];
    const { cache } = cacheAt(await fresh("cache"));
    const outs = [await fresh("out"), await fresh("out")];
    const {
      result: [first, second],
      beforeMb,
      deltaMb: delta,
    } = await peakRssGrowth(async () => [
      await writeLayer(big, outs[0] as string, { cache }),
      await writeLayer(big, outs[1] as string, { cache }),
    ]);
    console.log(`200 MB layer via the cache: rss before ${beforeMb.toFixed(0)} MB, peak delta ${delta.toFixed(1)} MB`);
    expect(second).toEqual(first);
    expect(cache.stats).toEqual({ reused: 1, stored: 1, discarded: 0 });
    expect((await stat(join(outs[1] as string, digestHex(second.digest)))).size).toBe(second.size);
    expect(delta).toBeLessThan(200);
    await rm(cache.root, { recursive: true });
  });
});

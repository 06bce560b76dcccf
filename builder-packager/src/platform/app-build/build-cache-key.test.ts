import { mkdir, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, expect, test } from "vitest";
import { buildCacheName, legacyBuildCacheName } from "./build-cache-key.js";
import type { BuildBuilder } from "./builder.js";
import { type BuildCacheRequest, useBuildCache } from "./inputs.js";

let work = "";
beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), "cnbkit-cache-key-"));
});
afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

const builder = (id: string, architecture = "amd64"): BuildBuilder =>
  ({
    id,
    uid: process.getuid?.() ?? 0,
    gid: process.getgid?.() ?? 0,
    platform: { os: "linux", architecture },
  }) as unknown as BuildBuilder;

/** One build's use of the default cache: its dir and what it said. */
async function use(
  cache: string,
  app: string,
  output: string,
  b: BuildBuilder,
  extra: Partial<BuildCacheRequest> = {},
) {
  const lines: string[] = [];
  const opts: BuildCacheRequest = { image: output, ...extra };
  const c = await useBuildCache(opts, cache, app, b, (l) => lines.push(l));
  await mkdir(join(c.dir, "committed"), { recursive: true }); // as the lifecycle leaves it
  await c.done();
  return { dir: c.dir, lines };
}

test("an author's loop keeps the build cache: keyed on app, output image and platform, not the builder, as pack keys it", async () => {
  const cache = join(work, "k1");
  const app = join(work, "app");
  const out = `oci:${join(work, "out")}:latest`;
  const first = await use(cache, app, out, builder("sha256:aaa"));
  expect(first.lines).toEqual([
    `New build cache for this app and ${out} (linux/amd64): the first build of this app here`,
  ]);
  // Re-package, builder create, build: another builder digest, the same cache, nothing said.
  const second = await use(cache, app, out, builder("sha256:bbb"));
  expect(second.dir).toBe(first.dir);
  expect(second.lines).toEqual([]);

  // Each reason a new cache starts is said.
  const other = `oci:${join(work, "out2")}:latest`;
  expect((await use(cache, app, other, builder("sha256:bbb"))).lines).toEqual([
    `New build cache for this app and ${other} (linux/amd64): the output image changed (${out} → ${other})`,
  ]);
  const arm = await use(cache, app, other, builder("sha256:bbb", "arm64"));
  expect(arm.lines).toEqual([
    `New build cache for this app and ${other} (linux/arm64): the platform changed (linux/amd64 → linux/arm64)`,
  ]);
  await rm(arm.dir, { recursive: true });
  expect((await use(cache, app, other, builder("sha256:bbb", "arm64"))).lines[0]).toMatch(/: the last one was pruned/);
  // A --clear-cache build said why already; a --cache-dir is the user's and never announced.
  expect((await use(cache, app, out, builder("sha256:ccc"), { clearCache: true })).lines).not.toContainEqual(
    expect.stringMatching(/^New build cache/),
  );
  expect((await use(cache, app, out, builder("x"), { cacheDir: join(work, "mine") })).lines).toEqual([]);
});

test("a cache under the old key (app and builder) is named as the reason a new one starts", async () => {
  const cache = join(work, "k2");
  const inputs = { appDir: join(work, "app"), image: "oci:/o", platform: "linux/amd64", builder: "sha256:old" };
  await mkdir(join(cache, "build-cache", legacyBuildCacheName(inputs)), { recursive: true });
  const r = await use(cache, inputs.appDir, inputs.image, builder("sha256:old"));
  expect(r.dir).toBe(join(cache, "build-cache", buildCacheName(inputs)));
  expect(r.lines[0]).toMatch(/keyed on the app and output image now, not the builder/);
});

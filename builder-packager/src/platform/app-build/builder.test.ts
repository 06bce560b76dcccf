/**
 * The builder a build runs in is never pruned while the build holds it, whatever the bound
 * on unpacked images, and is idle again (prunable) once the build releases it.
 */
import { existsSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, expect, test } from "vitest";
import { copyImage, imageConfig, OciLayout, openImageSink, openImageSource, writeLayer } from "../../oci/index.js";
import { startRegistry } from "../../oci/test-registry.js";
import { openRunImage, resolveBuilder, runImageRef } from "./builder.js";
import { pruneUnpackedImages, unpackImage } from "../../container/index.js";

let work = "";
let layoutDir = "";

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), "cnbkit-build-builder-"));
  layoutDir = join(work, "images");
  const layout = await OciLayout.create(layoutDir);
  // A builder as far as a build looks before it runs: a creator, a run.toml, a CNB user.
  const runToml = '[[images]]\nimage = "oci:run"\n';
  const builderLayer = await writeLayer(
    [
      { type: "file", path: "cnb/lifecycle/creator", size: 3, data: "#!\n", mode: 0o755 },
      { type: "file", path: "cnb/run.toml", size: runToml.length, data: runToml },
    ],
    layout.blobDir,
  );
  await layout.writeImage({
    config: imageConfig({
      architecture: "amd64",
      diffIds: [builderLayer.diffId],
      config: { Env: ["CNB_USER_ID=1002", "CNB_GROUP_ID=1003"] },
    }),
    layers: [builderLayer],
    tag: "builder",
  });
  const appLayer = await writeLayer([{ type: "file", path: "app", size: 1, data: "a" }], layout.blobDir);
  await layout.writeImage({
    config: imageConfig({ architecture: "amd64", diffIds: [appLayer.diffId] }),
    layers: [appLayer],
    tag: "other",
  });
});
afterAll(async () => {
  if (work) await rm(work, { recursive: true, force: true });
});

test("a held builder survives a prune down to one entry; released, it is the one pruned", async () => {
  const cache = join(work, "cache");
  const saved = process.env.CNBKIT_CACHE_MAX_ROOTFS;
  process.env.CNBKIT_CACHE_MAX_ROOTFS = "1";
  try {
    const builder = await resolveBuilder({ builder: `oci:${layoutDir}:builder` }, cache, () => {});
    expect([builder.uid, builder.gid]).toEqual([1002, 1003]);
    expect(await runImageRef(builder, "b", undefined)).toBe("oci:run");
    expect(await runImageRef(builder, "b", "oci:mine")).toBe("oci:mine");

    // Another image unpacked meanwhile (a `cnbkit run` in another process, say) prunes to
    // its bound: the builder in use stays.
    const lines: string[] = [];
    const other = await unpackImage(`oci:${layoutDir}:other`, { cacheDir: cache, onProgress: (l) => lines.push(l) });
    expect(existsSync(join(builder.rootfs, "cnb/lifecycle/creator"))).toBe(true);
    expect(lines.filter((l) => l.startsWith("Pruned"))).toEqual([]);

    await builder.release();
    await pruneUnpackedImages({ cacheDir: cache, keep: other.digest, onProgress: (l) => lines.push(l) });
    expect(lines.filter((l) => l.startsWith("Pruned"))).toEqual([
      expect.stringMatching(/^Pruned 1 unpacked image \(\d+ KiB\) from the cache$/),
    ]);
    expect(existsSync(builder.rootfs)).toBe(false);
    await other.release();
  } finally {
    if (saved === undefined) delete process.env.CNBKIT_CACHE_MAX_ROOTFS;
    else process.env.CNBKIT_CACHE_MAX_ROOTFS = saved;
  }
});

test("a run image of another architecture than the builder's is one line naming both", async () => {
  const builder = await resolveBuilder({ builder: `oci:${layoutDir}:builder` }, join(work, "cache-arch"), () => {});
  try {
    const arm = { ...builder, architecture: "arm64" };
    await expect(openRunImage(arm, "oci:b", `oci:${layoutDir}:other`)).rejects.toThrow(
      `run image oci:${layoutDir}:other is linux/amd64, but builder oci:b is linux/arm64`,
    );
  } finally {
    await builder.release();
  }
});

test("--pull-policy: if-not-present and never use the builder pulled before, always asks the registry", async () => {
  const registry = await startRegistry();
  let stopped = false;
  try {
    const ref = `${registry.host}/acme/builder:1`;
    await copyImage(await openImageSource(`oci:${layoutDir}:builder`), await openImageSink(ref), { tag: "1" });
    const cache = join(work, "cache-pull");
    await expect(resolveBuilder({ builder: ref, pullPolicy: "never" }, cache, () => {})).rejects.toThrow(
      `builder ${ref} is not on this machine and --pull-policy is never`,
    );
    const pulled = await resolveBuilder({ builder: ref }, cache, () => {});
    await pulled.release();
    await registry.stop();
    stopped = true;
    // The registry is gone: only the remembered pull can serve these.
    for (const pullPolicy of ["if-not-present", "never"] as const) {
      const again = await resolveBuilder({ builder: ref, pullPolicy }, cache, () => {});
      expect(again.id).toBe(pulled.id);
      await again.release();
    }
    await expect(resolveBuilder({ builder: ref, pullPolicy: "always" }, cache, () => {})).rejects.toThrow(
      /cannot reach registry .*connection refused/,
    );
    const builder = await resolveBuilder({ builder: `oci:${layoutDir}:builder` }, cache, () => {});
    await expect(openRunImage(builder, "b", `${registry.host}/acme/run:1`, "never")).rejects.toThrow(
      `run image ${registry.host}/acme/run:1 is a registry image and --pull-policy is never`,
    );
    await builder.release();
  } finally {
    if (!stopped) await registry.stop();
  }
});

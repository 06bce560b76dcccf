import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdir, mkdtemp, readdir, readFile, readlink, rm, stat, utimes } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { randomBytes } from "node:crypto";
import { createReadStream } from "node:fs";
import { afterAll, beforeAll, expect, onTestFinished, test } from "vitest";
import { ensureBaseImages } from "../base/index.js";
import { imageConfig, OciLayout, writeLayer } from "../oci/index.js";
import { applyLayer } from "./apply-layer.js";
import { pruneUnpackedImages, unpackImage } from "./unpack.js";

let work = "";
let cacheDir = "";
let layoutDir = "";

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), "cnbkit-unpack-"));
  cacheDir = join(work, "cache");
  layoutDir = join(work, "layout");
  const layout = await OciLayout.create(layoutDir);
  const l1 = await writeLayer(
    [
      { type: "file", path: "a/f1", size: 2, data: "f1" },
      { type: "file", path: "a/f2", size: 2, data: "f2" },
      { type: "file", path: "b/x", size: 1, data: "x" },
      { type: "file", path: "bin/suid", size: 1, data: "s", mode: 0o4755, uid: 1000, gid: 1001 },
      { type: "dir", path: "home/cnb", uid: 1000, gid: 1000, mode: 0o750 },
      { type: "symlink", path: "link", target: "a/f1" },
      { type: "symlink", path: "escape", target: "/" },
      { type: "hardlink", path: "hard", target: "a/f2" },
    ],
    layout.blobDir,
  );
  const l2 = await writeLayer(
    [
      { type: "file", path: "a/.wh.f1", size: 0, data: "" },
      { type: "file", path: "b/.wh..wh..opq", size: 0, data: "" },
      { type: "file", path: "b/y", size: 1, data: "y" },
    ],
    layout.blobDir,
  );
  const config = imageConfig({ architecture: "amd64", diffIds: [l1.diffId, l2.diffId] });
  await layout.writeImage({ config, layers: [l1, l2], tag: "t" });
});
afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

test("applies layers with whiteouts, owners, modes and links, and caches by digest", async () => {
  const lines: string[] = [];
  const first = await unpackImage(`oci:${layoutDir}:t`, { cacheDir, onProgress: (l) => lines.push(l) });
  const r = first.rootfs;
  expect(first.cached).toBe(false);
  expect(lines).toHaveLength(2);
  expect(existsSync(join(r, "a/f1"))).toBe(false);
  expect(await readFile(join(r, "a/f2"), "utf8")).toBe("f2");
  expect(existsSync(join(r, "b/x"))).toBe(false); // opaque dir dropped the lower entry
  expect(await readFile(join(r, "b/y"), "utf8")).toBe("y");
  const suid = await stat(join(r, "bin/suid"));
  expect([suid.uid, suid.gid, suid.mode & 0o7777]).toEqual([1000, 1001, 0o4755]);
  const home = await stat(join(r, "home/cnb"));
  expect([home.uid, home.mode & 0o7777]).toEqual([1000, 0o750]);
  expect(await readlink(join(r, "link"))).toBe("a/f1");
  expect((await stat(join(r, "hard"))).ino).toBe((await stat(join(r, "a/f2"))).ino);
  expect(first.config.rootfs.diff_ids).toHaveLength(2);

  // Both the new entry and a hit are marked used, for the cache's LRU pruning.
  const root = join(cacheDir, "rootfs-by-digest");
  const key = first.digest.replace(":", "-");
  expect(await readdir(join(root, ".in-use"))).toEqual([`${key}.${process.pid}`]);
  const longAgo = new Date(Date.now() - 86_400_000);
  await utimes(join(root, key), longAgo, longAgo);

  const again = await unpackImage(`oci:${layoutDir}:t`, { cacheDir });
  expect(again.cached).toBe(true);
  expect(again.rootfs).toBe(first.rootfs);
  expect(again.digest).toBe(first.digest);
  expect((await stat(join(root, key))).mtimeMs).toBeGreaterThan(Date.now() - 60_000);
});

test("apps on one run image share its unpacked layers: unpacked once, hardlinked, and an app's layers never change them", async () => {
  const dir = join(work, "cache-apps");
  const layout = await OciLayout.open(layoutDir);
  // The "run image": two layers. Each app adds one on top that deletes, replaces and adds files.
  const run1 = await writeLayer(
    [
      { type: "file", path: "etc/os-release", size: 6, data: "trixie" },
      { type: "file", path: "usr/lib/libx.so", size: 4, data: "libx" },
      { type: "dir", path: "workspace", uid: 1000, gid: 1000, mode: 0o755 },
    ],
    layout.blobDir,
  );
  const run2 = await writeLayer([{ type: "file", path: "etc/motd", size: 5, data: "hello" }], layout.blobDir);
  const apps: Record<string, Awaited<ReturnType<typeof writeLayer>>> = {
    a: await writeLayer(
      [
        { type: "file", path: "etc/.wh.motd", size: 0, data: "" },
        { type: "file", path: "usr/lib/libx.so", size: 6, data: "libx-a", mode: 0o600 },
        { type: "dir", path: "workspace", uid: 1000, gid: 1000, mode: 0o700 },
        { type: "file", path: "workspace/app.js", size: 5, data: "app a", uid: 1000, gid: 1000 },
      ],
      layout.blobDir,
    ),
    b: await writeLayer([{ type: "file", path: "workspace/app.js", size: 5, data: "app b" }], layout.blobDir),
  };
  for (const [tag, app] of Object.entries(apps)) {
    const diffIds = [run1.diffId, run2.diffId, app.diffId];
    const metadata = JSON.stringify({ runImage: { topLayer: run2.diffId, reference: "run" } });
    const config = imageConfig({
      architecture: "amd64",
      diffIds,
      config: { Labels: { "io.buildpacks.lifecycle.metadata": metadata } },
    });
    await layout.writeImage({ config, layers: [run1, run2, app], tag });
  }

  const lines: string[] = [];
  const a = await unpackImage(`oci:${layoutDir}:a`, { cacheDir: dir, onProgress: (l) => lines.push(l) });
  expect(lines.filter((l) => l.startsWith("Unpacking"))).toHaveLength(3);
  lines.length = 0;
  const b = await unpackImage(`oci:${layoutDir}:b`, { cacheDir: dir, onProgress: (l) => lines.push(l) });
  // Only b's own layer: the run image's two came from the first unpack.
  expect(lines.filter((l) => l.startsWith("Unpacking"))).toEqual([expect.stringMatching(/^Unpacking layer 3\/3 /)]);

  expect(existsSync(join(a.rootfs, "etc/motd"))).toBe(false);
  expect(await readFile(join(a.rootfs, "usr/lib/libx.so"), "utf8")).toBe("libx-a");
  expect((await stat(join(a.rootfs, "usr/lib/libx.so"))).mode & 0o777).toBe(0o600);
  expect(await readFile(join(a.rootfs, "workspace/app.js"), "utf8")).toBe("app a");
  // b sees the run image as it was: a's deletion and replacement did not reach the shared files.
  expect(await readFile(join(b.rootfs, "etc/motd"), "utf8")).toBe("hello");
  expect(await readFile(join(b.rootfs, "usr/lib/libx.so"), "utf8")).toBe("libx");
  expect((await stat(join(b.rootfs, "usr/lib/libx.so"))).mode & 0o777).toBe(0o644);
  expect(await readFile(join(b.rootfs, "workspace/app.js"), "utf8")).toBe("app b");
  // An unchanged run-image file is one inode in both trees (a hardlink, not a copy).
  expect((await stat(join(b.rootfs, "etc/os-release"))).ino).toBe((await stat(join(a.rootfs, "etc/os-release"))).ino);
  expect((await stat(join(a.rootfs, "workspace"))).mode & 0o777).toBe(0o700);

  // The shared tree itself is the run image's, whatever the apps' layers did to their copies.
  const root = join(dir, "rootfs-by-digest");
  const chains = (await readdir(root)).filter((n) => n.startsWith("chain-"));
  expect(chains).toHaveLength(1);
  const shared = join(root, chains[0] as string, "rootfs");
  expect(await readFile(join(shared, "etc/motd"), "utf8")).toBe("hello");
  expect(await readFile(join(shared, "usr/lib/libx.so"), "utf8")).toBe("libx");
  expect((await stat(join(shared, "workspace"))).mode & 0o777).toBe(0o755);
  expect((await stat(join(shared, "workspace"))).uid).toBe(1000);
  await a.release();
  await b.release();

  // Pruning takes the apps (one-offs) before the run image's layers they share, though the
  // shared entry was used before them.
  const saved = process.env.CNBKIT_CACHE_MAX_ROOTFS;
  process.env.CNBKIT_CACHE_MAX_ROOTFS = "1";
  try {
    await pruneUnpackedImages({ cacheDir: dir });
  } finally {
    if (saved === undefined) delete process.env.CNBKIT_CACHE_MAX_ROOTFS;
    else process.env.CNBKIT_CACHE_MAX_ROOTFS = saved;
  }
  expect((await readdir(root)).filter((n) => !n.startsWith("."))).toEqual(chains);
});

test("a new entry prunes the least recently used unpacked images beyond CNBKIT_CACHE_MAX_ROOTFS", async () => {
  const dir = join(work, "cache-prune");
  const root = join(dir, "rootfs-by-digest");
  for (const [i, name] of ["sha256-old1", "sha256-old2"].entries()) {
    await mkdir(join(root, name, "rootfs"), { recursive: true });
    const t = new Date(Date.now() - (i + 1) * 3_600_000);
    await utimes(join(root, name), t, t);
  }
  const saved = process.env.CNBKIT_CACHE_MAX_ROOTFS;
  process.env.CNBKIT_CACHE_MAX_ROOTFS = "2";
  try {
    const lines: string[] = [];
    const u = await unpackImage(`oci:${layoutDir}:t`, { cacheDir: dir, onProgress: (l) => lines.push(l) });
    expect(lines.at(-1)).toMatch(/^Pruned 1 unpacked image \(\d+ KiB\) from the cache$/);
    expect((await readdir(root)).sort()).toEqual([".in-use", u.digest.replace(":", "-"), "sha256-old1"]);
  } finally {
    if (saved === undefined) delete process.env.CNBKIT_CACHE_MAX_ROOTFS;
    else process.env.CNBKIT_CACHE_MAX_ROOTFS = saved;
  }
});

test("parallel callers unpack one digest once", async () => {
  const dir = join(work, "cache2");
  const all = await Promise.all([1, 2, 3].map(() => unpackImage(`oci:${layoutDir}:t`, { cacheDir: dir })));
  expect(all.filter((u) => !u.cached)).toHaveLength(1);
  expect(new Set(all.map((u) => u.rootfs)).size).toBe(1);
});

test("an entry written through an absolute symlink lands inside the rootfs, not on the host", async () => {
  const dir = join(work, "abs");
  const layout = await OciLayout.create(dir);
  const l1 = await writeLayer([{ type: "symlink", path: "escape", target: "/" }], layout.blobDir);
  // writeLayer would emit "escape/" as a dir entry; tar(1) names only the file, as a hostile layer would.
  const name = `cnbkit-inside-${process.pid}`;
  const src = join(work, "abssrc");
  spawnSync("mkdir", ["-p", `${src}/escape/tmp`]);
  spawnSync("sh", [
    "-c",
    `echo in > ${src}/escape/tmp/${name} && cd ${src} && tar -cf ${work}/abs.tar escape/tmp/${name}`,
  ]);
  const l2 = await layout.putBlob(
    { path: join(work, "abs.tar") },
    { mediaType: "application/vnd.oci.image.layer.v1.tar" },
  );
  const config = imageConfig({ architecture: "amd64", diffIds: [l1.diffId, l2.digest] });
  await layout.writeImage({ config, layers: [l1, l2], tag: "t" });
  const { rootfs } = await unpackImage(`oci:${dir}:t`, { cacheDir: join(work, "cache4") });
  expect(await readFile(join(rootfs, "tmp", name), "utf8")).toBe("in\n");
  expect(existsSync(join("/tmp", name))).toBe(false);
});

test("refuses a layer entry that escapes with ..", async () => {
  const evil = join(work, "evil");
  const layout = await OciLayout.create(evil);
  // writeLayer normalizes paths, so write the tar by hand with tar(1).
  const src = join(work, "evilsrc");
  spawnSync("mkdir", ["-p", `${src}/d`]);
  spawnSync("sh", ["-c", `echo x > ${src}/x && cd ${src}/d && tar -cf ${work}/evil.tar --absolute-names ../x`]);
  const blob = await layout.putBlob(
    { path: join(work, "evil.tar") },
    { mediaType: "application/vnd.oci.image.layer.v1.tar" },
  );
  const config = imageConfig({ architecture: "amd64", diffIds: [blob.digest] });
  await layout.writeImage({ config, layers: [blob], tag: "t" });
  await expect(unpackImage(`oci:${evil}:t`, { cacheDir: join(work, "cache3") })).rejects.toThrow(
    /escapes the root filesystem/,
  );
  // Nothing half-unpacked is left in the cache.
  expect(await readdir(join(work, "cache3/rootfs-by-digest"))).toEqual([]);
});

test("unpacks cnbkit's run image exactly as umoci does (paths, owners, modes, types, link targets)", async () => {
  const { run } = await ensureBaseImages({ onProgress: () => {} });
  const dir = join(work, "vs-umoci");
  const t0 = Date.now();
  const ours = await unpackImage(run.ref, { cacheDir: join(dir, "cache") });
  console.log(`unpack of the run image: ${Date.now() - t0} ms`);
  const t1 = Date.now();
  const u = spawnSync("umoci", ["raw", "unpack", "--image", run.ref.slice(4), join(dir, "umoci")], {
    encoding: "utf8",
  });
  console.log(`umoci raw unpack of the same: ${Date.now() - t1} ms`);
  expect(u.status).toBe(0);
  const listing = (root: string) =>
    spawnSync("sh", ["-c", `cd '${root}' && find . -printf '%p %U %G %m %y %l\\n' | LC_ALL=C sort`], {
      encoding: "utf8",
      maxBuffer: 256 * 1024 * 1024,
    }).stdout;
  const mine = listing(ours.rootfs);
  expect(mine.split("\n").length).toBeGreaterThan(1000);
  expect(mine).toBe(listing(join(dir, "umoci")));
}, 300_000);

test("a full disk while unpacking: one line naming the file, its size and the free room", async () => {
  const disk = await mkdtemp(join(work, "disk-"));
  const m = spawnSync("mount", ["-t", "tmpfs", "-o", "size=1m", "tmpfs", disk], { encoding: "utf8" });
  expect(m.status, m.stderr).toBe(0);
  onTestFinished(() => {
    spawnSync("umount", [disk]);
  });
  const data = randomBytes(3 * 1024 * 1024);
  const blobs = await mkdtemp(join(work, "blobs-"));
  const layer = await writeLayer([{ type: "file", path: "usr/lib/big.so", size: data.length, data }], blobs);
  const rootfs = join(disk, "rootfs");
  await mkdir(rootfs);
  const blob = createReadStream(join(blobs, layer.digest.slice("sha256:".length)));
  const err = await applyLayer(blob, layer, rootfs).catch((e: Error) => e);
  expect((err as Error).message).toMatch(
    new RegExp(
      `^unpacking layer ${layer.digest} into ${rootfs}: writing /usr/lib/big\\.so: no space left on device \\(3\\.0 MiB needed, \\d+ (B|KiB) free on the filesystem of ${rootfs}\\)$`,
    ),
  );
});

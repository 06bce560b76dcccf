import { spawnSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { chmod, lstat, mkdir, mkdtemp, readFile, readdir, readlink, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, test } from "vitest";
import { mountOverlay } from "../../../container/index.js";
import { type LayerCache, layerCacheOffReason, layerStoreDir, openLayerCache } from "./index.js";

const OWNER = { uid: 1000, gid: 1000 };
const asRoot = process.getuid?.() === 0;

let tmp: string;
let cacheDir: string;
let said: string[];

beforeEach(async () => {
  tmp = await mkdtemp(join(tmpdir(), "cnbkit-layer-store-"));
  cacheDir = join(tmp, "build-cache");
  said = [];
});

afterEach(async () => {
  // Whatever a failed assertion left mounted goes before the dir.
  const mounts = readFileSync("/proc/self/mountinfo", "utf8")
    .split("\n")
    .map((l) => l.split(" ")[4] ?? "");
  for (const m of mounts.filter((m) => m.startsWith(`${tmp}/`))) spawnSync("umount", ["-l", m]);
  await rm(tmp, { recursive: true, force: true });
});

function open(): Promise<LayerCache> {
  return openLayerCache({
    buildCacheDir: cacheDir,
    owner: OWNER,
    cacheImage: false,
    env: {},
    say: (l) => said.push(l),
    debug: (l) => said.push(l),
  });
}

function merged(cache: LayerCache): string {
  expect(cache.mounts).toHaveLength(1);
  expect(cache.mounts[0]!.destination).toBe("/cnbkit/layer-cache");
  return cache.mounts[0]!.source;
}

const committed = () => join(layerStoreDir(cacheDir), "committed");

/** Every path under `dir` with its kind, mode and content or target, for comparing trees. */
async function tree(dir: string, at = ""): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const name of (await readdir(join(dir, at))).sort()) {
    const path = at ? `${at}/${name}` : name;
    const st = await lstat(join(dir, path));
    const mode = (st.mode & 0o7777).toString(8);
    if (st.isDirectory()) {
      out[path] = `dir ${mode}`;
      Object.assign(out, await tree(dir, path));
    } else if (st.isSymbolicLink()) out[path] = `link ${await readlink(join(dir, path))}`;
    else out[path] = `file ${mode} ${await readFile(join(dir, path), "utf8")}`;
  }
  return out;
}

/** What a first build writes: a layer dir with files, its TOML, a link, odd modes. */
async function firstBuild(root: string): Promise<void> {
  await mkdir(join(root, "bp/go-build/00"), { recursive: true });
  await writeFile(join(root, "bp/go-build/00/a"), "a1");
  await writeFile(join(root, "bp/go-build/00/b"), "b1");
  await writeFile(join(root, "bp/go-build.toml"), "[types]\ncache = true\n");
  await mkdir(join(root, "bp/go-mod/pkg"), { recursive: true });
  await writeFile(join(root, "bp/go-mod/pkg/mod.go"), "package mod");
  await symlink("../go-build/00/a", join(root, "bp/go-mod/link"));
  await writeFile(join(root, "bp/go-mod/secret"), "s");
  await chmod(join(root, "bp/go-mod/secret"), 0o600);
}

describe.skipIf(!asRoot)("the layer store, with a real overlay mount", () => {
  test("a committed build's writes are read back through the next build's mount, and its edits commit too", async () => {
    const first = await open();
    const root = merged(first);
    expect((await lstat(root)).uid).toBe(OWNER.uid);
    await firstBuild(root);
    await first.commit();
    await first.discard();
    const after1 = await tree(committed());
    expect(after1["bp/go-build/00/a"]).toBe("file 644 a1");
    expect(after1["bp/go-mod/link"]).toBe("link ../go-build/00/a");
    expect(after1["bp/go-mod/secret"]).toBe("file 600 s");
    expect((await lstat(committed())).uid).toBe(OWNER.uid);
    expect(await readdir(layerStoreDir(cacheDir))).toEqual(["committed"]); // the build's own dir is gone

    const second = await open();
    const root2 = merged(second);
    expect(await tree(root2)).toEqual(after1);
    // A changed file, a deleted one, a dir removed and made again, a file turned dir, a dir turned file, a mode.
    await writeFile(join(root2, "bp/go-build/00/a"), "a2");
    await rm(join(root2, "bp/go-build/00/b"));
    await rm(join(root2, "bp/go-mod/pkg"), { recursive: true });
    await mkdir(join(root2, "bp/go-mod/pkg"));
    await writeFile(join(root2, "bp/go-mod/pkg/other.go"), "package other");
    await rm(join(root2, "bp/go-mod/secret"));
    await mkdir(join(root2, "bp/go-mod/secret"));
    await rm(join(root2, "bp/go-build.toml"));
    await mkdir(join(root2, "bp/go-build.toml"));
    await rm(join(root2, "bp/go-build.toml"), { recursive: true });
    await writeFile(join(root2, "bp/go-build.toml"), "[types]\ncache = true\nx = 1\n");
    await chmod(join(root2, "bp/go-build/00"), 0o700);
    await chmod(join(root2, "bp/go-mod/pkg/other.go"), 0o755);
    const seen = await tree(root2);
    await second.commit();
    await second.discard();
    expect(await tree(committed())).toEqual(seen);
    expect(seen["bp/go-mod/pkg/mod.go"]).toBeUndefined();
    expect(seen["bp/go-build/00"]).toBe("dir 700");
  });

  test("a rebuild that writes its layer's TOML again with the same bytes commits no change", async () => {
    const first = await open();
    await firstBuild(merged(first));
    await first.commit();
    await first.discard();
    const before = await tree(committed());
    const toml = join(committed(), "bp/go-build.toml");
    const inode = (await lstat(toml)).ino;

    const again = await open();
    // As the framework does for a kept layer: the TOML rewritten (a copy-up in upper), nothing else.
    await writeFile(join(merged(again), "bp/go-build.toml"), "[types]\ncache = true\n");
    said = [];
    await again.commit();
    await again.discard();
    expect(said.join("\n")).toMatch(/saved 0 changes/);
    expect(await tree(committed())).toEqual(before);
    expect((await lstat(toml)).ino).toBe(inode); // the committed file stayed; upper's copy went with the overlay
    expect(await readdir(layerStoreDir(cacheDir))).toEqual(["committed"]);
  });

  test("the overlay is mounted volatile: its unmount does not sync the whole disk", async () => {
    const cache = await open();
    try {
      const line = readFileSync("/proc/self/mountinfo", "utf8")
        .split("\n")
        .find((l) => l.split(" ")[4] === merged(cache));
      // Newer kernels show it as fsync=volatile.
      expect(line).toMatch(/[ ,=]volatile\b/);
    } finally {
      await cache.discard();
    }
  });

  test("a build that does not commit (failed, stalled, aborted) leaves the store as it was", async () => {
    const first = await open();
    await firstBuild(merged(first));
    await first.commit();
    await first.discard();
    const before = await tree(committed());

    const failed = await open();
    const root = merged(failed);
    await writeFile(join(root, "bp/go-build/00/a"), "half-written");
    await rm(join(root, "bp/go-mod"), { recursive: true });
    await failed.discard();
    expect(await tree(committed())).toEqual(before);
    expect(await readdir(layerStoreDir(cacheDir))).toEqual(["committed"]);
  });

  test("a store with a `merging` marker (a commit that died) is wiped, and said", async () => {
    const first = await open();
    await firstBuild(merged(first));
    await first.commit();
    await first.discard();
    await writeFile(join(layerStoreDir(cacheDir), "merging"), "");

    const next = await open();
    expect(await readdir(merged(next))).toEqual([]);
    expect(said.join("\n")).toMatch(/were being saved when a build stopped: starting them afresh/);
    await next.discard();
    expect(existsSync(join(layerStoreDir(cacheDir), "merging"))).toBe(false);
  });

  test("a dead build's overlay and upper dir in the store are unmounted and removed", async () => {
    const store = layerStoreDir(cacheDir);
    const dead = spawnSync("true").pid!; // exited: its pid names a dead owner
    const left = join(store, `cnbkit-layers-${dead}-x`);
    const dirs = {
      lower: join(tmp, "lower"),
      upper: join(left, "upper"),
      work: join(left, "work"),
      merged: join(left, "merged"),
    };
    await Promise.all(Object.values(dirs).map((d) => mkdir(d, { recursive: true })));
    expect(mountOverlay(dirs)).toEqual({ ok: true });

    const next = await open();
    expect(existsSync(left)).toBe(false);
    expect(readFileSync("/proc/self/mountinfo", "utf8")).not.toContain(dirs.merged);
    await next.discard();
  });
});

describe("layerCacheOffReason", () => {
  test("on as root, with nothing saying off", () => {
    expect(layerCacheOffReason({ cacheImage: false, env: {} }, 0)).toBeUndefined();
  });
  test("off by CNBKIT_LAYER_CACHE=off, with --cache-image, and when not root", () => {
    expect(layerCacheOffReason({ cacheImage: false, env: { CNBKIT_LAYER_CACHE: "off" } }, 0)).toBe(
      "CNBKIT_LAYER_CACHE=off",
    );
    expect(layerCacheOffReason({ cacheImage: true, env: {} }, 0)).toMatch(/--cache-image/);
    expect(layerCacheOffReason({ cacheImage: false, env: {} }, 1000)).toMatch(/not root/);
  });
  test("off means no mount and no store", async () => {
    const off = await openLayerCache({
      buildCacheDir: cacheDir,
      owner: OWNER,
      cacheImage: true,
      env: {},
      say: (l) => said.push(l),
      debug: (l) => said.push(l),
    });
    expect(off.mounts).toEqual([]);
    expect(existsSync(layerStoreDir(cacheDir))).toBe(false);
    expect(said).toEqual([
      "Cache layers by reference: off (--cache-image holds every cache layer, so the lifecycle keeps them all)",
    ]);
  });
});

import { existsSync } from "node:fs";
import { mkdir, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, test } from "vitest";
import { parseLayerToml, stringifyToml } from "../cnb-files/index.js";
import { buildpack } from "../contract/main.js";
import { createLogger } from "../log/index.js";
import { runBuild } from "../testing/index.js";
import { tempDirPerTest } from "../testing/test-temp-dir.js";
import { findLayerCacheRoot, goesByReference, isCacheOnly, LAYER_CACHE_MOUNT } from "./by-reference.js";
import { Layers } from "./layers.js";

let tmp: string;
tempDirPerTest("byref", (d) => {
  tmp = d;
});
/** `<layers>/<bp>` as the lifecycle names it, and the layer cache's root. */
const layersDir = () => join(tmp, "layers", "acme_go");
const root = () => join(tmp, "layer-cache");
const byRefDir = () => join(root(), "acme_go");

let lines: string[] = [];
const layers = (cacheRoot: string | null) => {
  lines = [];
  return new Layers(layersDir(), {
    log: createLogger({ sink: (l) => lines.push(l), color: false, env: {} }),
    sbomFormats: ["application/vnd.cyclonedx+json"],
    self: async () => join(tmp, "self-program"),
    layerCacheRoot: cacheRoot,
  });
};

/** Between builds: the lifecycle keeps a layers-dir cache layer's files and drops `[types]`; by reference, nothing happens. */
async function betweenBuilds(byReference: boolean): Promise<void> {
  if (byReference) return;
  for (const f of await readdir(layersDir())) {
    if (!f.endsWith(".toml")) continue;
    const path = join(layersDir(), f);
    const t = parseLayerToml(await readFile(path, "utf8"), path);
    await writeFile(path, stringifyToml({ metadata: t.metadata }));
  }
}

const goBuild = (go: string, fill: () => void = () => {}) => ({
  types: { cache: true },
  key: { go },
  async fill(l: { path: string }) {
    fill();
    await writeFile(join(l.path, "entry"), go);
  },
});

describe("root discovery", () => {
  test("CNBKIT_LAYER_CACHE names the root (made absolute); off or empty turns it off; unset, the mount if writable", () => {
    expect(findLayerCacheRoot({ CNBKIT_LAYER_CACHE: "/x/cache" })).toBe("/x/cache");
    expect(findLayerCacheRoot({ CNBKIT_LAYER_CACHE: "rel" })).toBe(join(process.cwd(), "rel"));
    expect(findLayerCacheRoot({ CNBKIT_LAYER_CACHE: "off" })).toBeNull();
    expect(findLayerCacheRoot({ CNBKIT_LAYER_CACHE: "" })).toBeNull();
    // This machine mounts none (tests run as root, so existing would mean writable).
    expect(findLayerCacheRoot({})).toBe(existsSync(LAYER_CACHE_MOUNT) ? LAYER_CACHE_MOUNT : null);
  });

  test("only cache-only types go by reference", () => {
    expect(isCacheOnly({ cache: true })).toBe(true);
    expect(isCacheOnly({ cache: true, build: false, launch: false })).toBe(true);
    expect(isCacheOnly({ cache: true, build: true })).toBe(false);
    expect(isCacheOnly({ cache: true, launch: true })).toBe(false);
    expect(isCacheOnly({ cache: false })).toBe(false);
    expect(isCacheOnly({})).toBe(false);
  });

  test("byReference: false keeps a cache-only layer out; true or left out changes nothing for other types", () => {
    expect(goesByReference({ cache: true }, undefined)).toBe(true);
    expect(goesByReference({ cache: true }, true)).toBe(true);
    expect(goesByReference({ cache: true }, false)).toBe(false);
    expect(goesByReference({ cache: true, launch: true }, true)).toBe(false);
  });
});

test("keptByReferenceIn is <root>/<bp> with a layer cache, undefined without one", () => {
  expect(layers(root()).keptByReferenceIn).toBe(byRefDir());
  expect(layers(null).keptByReferenceIn).toBeUndefined();
});

describe.each([
  { mode: "in the layers dir (no layer cache)", byReference: false },
  { mode: "by reference", byReference: true },
])("a cache-only layer $mode", ({ byReference }) => {
  const cacheRoot = () => (byReference ? root() : null);
  const home = () => (byReference ? byRefDir() : layersDir());

  test("new, restored, reset because the key changed, reset because the contents are missing: same states and lines", async () => {
    let fills = 0;
    const count = () => {
      fills++;
    };
    const first = layers(cacheRoot());
    const layer = await first.cached("go-build", goBuild("1.26.10", count));
    await first.finish();
    expect(layer.state).toEqual({ kind: "new" });
    expect(layer.path).toBe(join(home(), "go-build"));
    expect(layer.byReference).toBe(byReference);
    const toml = parseLayerToml(await readFile(join(home(), "go-build.toml"), "utf8"), "t");
    expect(toml.types).toEqual({ cache: true, build: false, launch: false });
    expect(toml.metadata).toEqual({ "cache-key": { go: "1.26.10" } });

    await betweenBuilds(byReference);
    const second = layers(cacheRoot());
    expect((await second.cached("go-build", goBuild("1.26.10", count))).state.kind).toBe("restored");
    expect(lines).toEqual(["    Reusing go-build (key unchanged)"]);
    await second.finish();

    await betweenBuilds(byReference);
    const third = layers(cacheRoot());
    expect((await third.cached("go-build", goBuild("1.26.11", count))).state).toEqual({
      kind: "reset",
      reason: "go 1.26.10 → 1.26.11",
    });
    expect(lines).toEqual(["    Rebuilding go-build: go 1.26.10 → 1.26.11"]);
    expect(await readFile(join(home(), "go-build", "entry"), "utf8")).toBe("1.26.11");
    await third.finish();

    await betweenBuilds(byReference);
    await rm(join(home(), "go-build"), { recursive: true });
    const fourth = layers(cacheRoot());
    expect((await fourth.cached("go-build", goBuild("1.26.11", count))).state).toEqual({
      kind: "reset",
      reason: "contents were not restored",
    });
    await fourth.finish();
    expect(fills).toBe(3);
    // By reference, the lifecycle is never told: nothing of the layer under <layers>/<bp>/.
    if (byReference) expect(existsSync(layersDir()) ? await readdir(layersDir()) : []).toEqual([]);
  });

  test("keep, peek and remove", async () => {
    const first = layers(cacheRoot());
    await first.cached("go-mod", goBuild("1"));
    await first.finish();
    await betweenBuilds(byReference);

    const second = layers(cacheRoot());
    expect(await second.peek("go-mod", { types: { cache: true }, key: { go: "1" } })).toMatchObject({
      kind: "restored",
    });
    expect(await second.peek("go-mod", { types: { cache: true }, key: { go: "2" } })).toMatchObject({
      kind: "reset",
    });
    expect(second.all()).toEqual([]);
    const kept = await second.keep("go-mod", { types: { cache: true }, key: { go: "1" } });
    expect(kept?.path).toBe(join(home(), "go-mod"));
    await second.finish();
    expect(await readFile(join(home(), "go-mod", "entry"), "utf8")).toBe("1");
    expect(existsSync(join(home(), "go-mod.toml"))).toBe(true);

    await betweenBuilds(byReference);
    const third = layers(cacheRoot());
    expect(await third.keep("go-mod", { types: { cache: true }, key: { go: "2" } })).toBeUndefined();
    await third.remove("go-mod");
    await third.finish();
    expect(existsSync(join(home(), "go-mod"))).toBe(false);
    expect(existsSync(join(home(), "go-mod.toml"))).toBe(false);
  });

  test("a failing fill leaves nothing behind, also when it replaces a stored layer", async () => {
    const first = layers(cacheRoot());
    await first.cached("go-build", goBuild("1"));
    await first.finish();
    await betweenBuilds(byReference);
    const second = layers(cacheRoot());
    const failing = {
      ...goBuild("2"),
      async fill(l: { path: string }) {
        await writeFile(join(l.path, "half"), "x");
        throw new Error("go: build failed");
      },
    };
    await expect(second.cached("go-build", failing)).rejects.toThrow("go: build failed");
    expect(existsSync(join(home(), "go-build"))).toBe(false);
    expect(existsSync(join(home(), "go-build.toml"))).toBe(false);
  });
});

describe("by reference", () => {
  test("layers this build did not declare leave <root>/<bp>/ at finish; other buildpacks' stay", async () => {
    const first = layers(root());
    const a = await first.cached("go-mod", goBuild("1"));
    a.sbom.add({ name: "x", version: "1" } as never);
    await first.cached("go-build", goBuild("1"));
    await first.finish();
    expect((await readdir(byRefDir())).sort()).toEqual([
      "go-build",
      "go-build.toml",
      "go-mod",
      "go-mod.sbom.cdx.json",
      "go-mod.toml",
    ]);
    await mkdir(join(root(), "other_bp", "cache"), { recursive: true });

    const second = layers(root());
    await second.cached("go-mod", goBuild("1"));
    await second.finish();
    // The restored go-mod keeps its SBOM, as a cache layer the lifecycle restores does.
    expect((await readdir(byRefDir())).sort()).toEqual(["go-mod", "go-mod.sbom.cdx.json", "go-mod.toml"]);
    expect(existsSync(join(root(), "other_bp", "cache"))).toBe(true);
  });

  test("launch and build layers, and cache: false, stay in the layers dir; cached() with no cache type goes by reference", async () => {
    const ls = layers(root());
    const fill = () => {};
    const launch = await ls.cached("node", { types: { launch: true, cache: true }, key: {}, fill });
    const build = await ls.cached("go", { types: { build: true, cache: true }, key: {}, fill });
    const uncached = await ls.cached("bin", { types: { launch: true, cache: false }, key: {}, fill });
    const fresh = await ls.fresh("scratch", { types: {} });
    const defaulted = await ls.cached("npm-cache", { types: {}, key: {}, fill });
    await ls.finish();
    for (const l of [launch, build, uncached, fresh]) {
      expect(l.path).toBe(join(layersDir(), l.name));
      expect(l.byReference).toBe(false);
    }
    expect(defaulted.path).toBe(join(byRefDir(), "npm-cache"));
    expect(defaulted.byReference).toBe(true);
    expect((await readdir(layersDir())).sort()).toEqual(
      ["bin", "bin.toml", "go", "go.toml", "node", "node.toml", "scratch", "scratch.toml"].sort(),
    );
  });

  test("a layer the lifecycle restored from before the layer cache is left to it; the by-reference one starts new", async () => {
    await mkdir(join(layersDir(), "go-build"), { recursive: true });
    await writeFile(join(layersDir(), "go-build.toml"), stringifyToml({ metadata: { "cache-key": { go: "1" } } }));
    const ls = layers(root());
    const layer = await ls.cached("go-build", goBuild("1"));
    await ls.finish();
    expect(layer.state.kind).toBe("new");
    expect(lines).toEqual([]);
    // Untouched: without [types] the lifecycle drops it after this build.
    expect(parseLayerToml(await readFile(join(layersDir(), "go-build.toml"), "utf8"), "t").types).toEqual({
      build: false,
      launch: false,
      cache: false,
    });
  });

  test("a cache-only layer made a launch layer after it was declared is a one-line error at finish", async () => {
    const ls = layers(root());
    const layer = await ls.cached("tool", goBuild("1"));
    layer.types.launch = true;
    await expect(ls.finish()).rejects.toThrow(
      "layer tool: declared cache-only, then made a build or launch layer; the layer cache keeps cache-only layers apart from the image",
    );
  });

  test("a layer another step restores (the multi-platform hook) is restored into the layer cache", async () => {
    const ls = layers(root());
    const layer = await ls.cachedWith("maven_m2", goBuild("1"), async (l, prepare) => {
      await prepare();
      await writeFile(join(l.path, "from-store"), "x");
      l.state = { kind: "restored", key: { go: "1" }, fromArch: "amd64" };
      return true;
    });
    await ls.finish();
    expect(await readdir(join(byRefDir(), "maven_m2"))).toEqual(["from-store"]);
    expect(existsSync(join(byRefDir(), "maven_m2.toml"))).toBe(true);
    expect(layer.state).toMatchObject({ fromArch: "amd64" });
  });
});

describe("byReference: false (a cache hard-linked into another layer needs one mount)", () => {
  const uvCache = (go: string) => ({ ...goBuild(go), byReference: false });
  const lookUp = { types: { cache: true }, key: { go: "1" }, byReference: false };

  test("stays in the layers dir with a layer cache: cached, reused, peeked at, kept and removed there; finish leaves it", async () => {
    const first = layers(root());
    const layer = await first.cached("uv-cache", uvCache("1"));
    await first.finish();
    expect(layer.path).toBe(join(layersDir(), "uv-cache"));
    expect(layer.byReference).toBe(false);
    expect(parseLayerToml(await readFile(join(layersDir(), "uv-cache.toml"), "utf8"), "t").types).toEqual({
      cache: true,
      build: false,
      launch: false,
    });
    expect(existsSync(join(byRefDir(), "uv-cache"))).toBe(false);

    await betweenBuilds(false);
    const second = layers(root());
    expect(await second.peek("uv-cache", lookUp)).toMatchObject({ kind: "restored" });
    // Without the option the same layer would be looked for in the layer cache.
    expect(await second.peek("uv-cache", { ...lookUp, byReference: undefined })).toEqual({ kind: "new" });
    expect((await second.keep("uv-cache", lookUp))?.path).toBe(join(layersDir(), "uv-cache"));
    await second.finish();
    expect(await readFile(join(layersDir(), "uv-cache", "entry"), "utf8")).toBe("1");

    await betweenBuilds(false);
    const third = layers(root());
    expect((await third.cached("uv-cache", uvCache("1"))).state.kind).toBe("restored");
    expect(lines).toEqual(["    Reusing uv-cache (key unchanged)"]);
    await third.remove("uv-cache");
    await third.finish();
    expect(existsSync(join(layersDir(), "uv-cache"))).toBe(false);
    expect(existsSync(join(layersDir(), "uv-cache.toml"))).toBe(false);
  });

  test("a copy an earlier build kept by reference is not reused; the layer starts new in the layers dir and the copy goes at finish", async () => {
    const before = layers(root());
    await before.cached("uv-cache", goBuild("1"));
    await before.finish();
    expect(existsSync(join(byRefDir(), "uv-cache"))).toBe(true);

    const after = layers(root());
    const layer = await after.cached("uv-cache", uvCache("1"));
    await after.finish();
    expect(layer.state).toEqual({ kind: "new" });
    expect(await readdir(byRefDir())).toEqual([]);
    expect(await readFile(join(layersDir(), "uv-cache", "entry"), "utf8")).toBe("1");
  });
});

describe("through the harness", () => {
  test("a CNBKIT_LAYER_CACHE the build cannot write is one line naming it and the fix, before any layer", async () => {
    await writeFile(join(tmp, "a-file"), "");
    let built = false;
    const bp = buildpack({
      detect: (ctx) => ctx.pass(),
      async build() {
        built = true;
        return {};
      },
    });
    const where = join(tmp, "a-file", "cache");
    await expect(runBuild(bp, { layerCache: where })).rejects.toThrow(
      `CNBKIT_LAYER_CACHE is ${where}, which this build cannot write (ENOTDIR): point it at a writable directory, or set CNBKIT_LAYER_CACHE=off`,
    );
    expect(built).toBe(false);
  });

  /** A buildpack with one arch-neutral, cache-only layer shared between a multi-platform build's platforms. */
  const shared = () => {
    let fills = 0;
    const bp = buildpack({
      detect: (ctx) => ctx.pass(),
      async build(ctx) {
        await ctx.multiPlatform.cached("built", {
          types: { cache: true },
          key: { source: "v1" },
          archNeutral: true,
          async fill(l) {
            fills++;
            await writeFile(join(l.path, "app.jar"), "compiled");
          },
        });
        return {};
      },
    });
    return { bp, fills: () => fills };
  };

  test("the multi-platform store shares a by-reference layer; each platform's build keeps it in its own layer cache", async () => {
    const store = join(tmp, "store");
    const native = shared();
    const first = await runBuild(native.bp, {
      env: { CNB_TARGET_ARCH: "amd64" },
      archNeutral: { dir: store, role: "produce" },
      layerCache: join(tmp, "amd64-cache"),
    });
    const emulated = shared();
    const second = await runBuild(emulated.bp, {
      env: { CNB_TARGET_ARCH: "arm64" },
      archNeutral: { dir: store, role: "reuse" },
      layerCache: join(tmp, "arm64-cache"),
    });
    expect([native.fills(), emulated.fills()]).toEqual([1, 0]);
    expect(second.layer("built").state).toEqual({ kind: "restored", key: { source: "v1" }, fromArch: "amd64" });
    expect(await readFile(join(tmp, "arm64-cache", "layers", "built", "app.jar"), "utf8")).toBe("compiled");
    expect(second.layer("built").toml?.types).toEqual({ cache: true, build: false, launch: false });
    expect(existsSync(join(first.layers, "built.toml"))).toBe(false);
    expect(existsSync(join(second.layers, "built"))).toBe(false);
  });
});

import { existsSync } from "node:fs";
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, test } from "vitest";
import { createLogger } from "../log/index.js";
import { Layers } from "./layers.js";
import { parseLayerToml } from "../cnb-files/index.js";

let dir: string;
let lines: string[];
const layers = (formats: string[] = []) =>
  new Layers(dir, {
    log: createLogger({ sink: (l) => lines.push(l), color: false, env: {} }),
    sbomFormats: formats,
    self: async () => join(dir, "self-program"),
  });

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "cnbkit-layers-"));
  lines = [];
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** What the lifecycle leaves before a rebuild: the TOML without [types]. */
async function stripTypes(name: string): Promise<void> {
  const t = parseLayerToml(await readFile(join(dir, `${name}.toml`), "utf8"), "x");
  const { stringifyToml } = await import("../cnb-files/index.js");
  await writeFile(join(dir, `${name}.toml`), stringifyToml({ metadata: t.metadata }));
}

describe("cached", () => {
  const types = { build: true, launch: true, cache: true };

  test("a new layer is filled and its TOML carries types and key", async () => {
    let fills = 0;
    const ls = layers();
    const layer = await ls.cached("node", {
      types,
      key: { version: "24.11.1" },
      async fill(l) {
        fills++;
        await writeFile(join(l.path, "marker"), "x");
      },
    });
    layer.metadata.extra = "kept";
    await ls.finish();
    expect(layer.state).toEqual({ kind: "new" });
    expect(fills).toBe(1);
    const toml = parseLayerToml(await readFile(join(dir, "node.toml"), "utf8"), "node.toml");
    expect(toml.types).toEqual(types);
    expect(toml.metadata).toEqual({ extra: "kept", "cache-key": { version: "24.11.1" } });
  });

  test("the same key reuses the restored layer without calling fill", async () => {
    const first = layers();
    await first.cached("node", {
      types,
      key: { version: "24.11.1", n: 3 },
      fill: (l) => writeFile(join(l.path, "m"), "1"),
    });
    await first.finish();
    await stripTypes("node");
    const second = layers();
    let filled = false;
    const layer = await second.cached("node", {
      types,
      key: { n: 3, version: "24.11.1" },
      fill: () => {
        filled = true;
      },
    });
    expect(filled).toBe(false);
    expect(layer.state).toEqual({ kind: "restored", key: { version: "24.11.1", n: 3 } });
    expect(lines).toContain("    Reusing node (key unchanged)");
    expect(await readFile(join(dir, "node", "m"), "utf8")).toBe("1");
    await second.finish();
    // Types are rewritten even though the lifecycle dropped them.
    expect(parseLayerToml(await readFile(join(dir, "node.toml"), "utf8"), "x").types).toEqual(types);
  });

  test("a changed key resets: old contents deleted, fill called, reason logged", async () => {
    const first = layers();
    await first.cached("node", { types, key: { version: "24.10.0" }, fill: (l) => writeFile(join(l.path, "old"), "") });
    await first.finish();
    await stripTypes("node");
    const second = layers();
    const layer = await second.cached("node", {
      types,
      key: { version: "24.11.1" },
      fill: (l) => writeFile(join(l.path, "new"), ""),
    });
    expect(layer.state).toEqual({ kind: "reset", reason: "version 24.10.0 → 24.11.1" });
    expect(lines).toContain("    Rebuilding node: version 24.10.0 → 24.11.1");
    expect(await readdir(join(dir, "node"))).toEqual(["new"]);
  });

  test("a launch-only layer restored as TOML only is reused without recreating its directory", async () => {
    const launchOnly = { launch: true, cache: false };
    const first = layers();
    await first.cached("app", {
      types: launchOnly,
      key: { digest: "abc" },
      fill: (l) => writeFile(join(l.path, "f"), ""),
    });
    await first.finish();
    await stripTypes("app");
    await rm(join(dir, "app"), { recursive: true });
    const second = layers();
    const layer = await second.cached("app", {
      types: launchOnly,
      key: { digest: "abc" },
      fill: () => {
        throw new Error("must not fill");
      },
    });
    expect(layer.state.kind).toBe("restored");
    expect(layer.reusedFromImage).toBe(true);
    layer.env.launch.override("X", "1");
    await expect(layer.execD.add("x", join(dir, "app.toml"))).rejects.toThrow(/reused from the previous image/);
    await second.finish();
    expect(existsSync(join(dir, "app"))).toBe(false);
    expect(parseLayerToml(await readFile(join(dir, "app.toml"), "utf8"), "x").types.launch).toBe(true);
  });

  test("ensureContents fills a layer reused from the image again, with build set, and keeps its key", async () => {
    const launchOnly = { launch: true, cache: false };
    const fills: string[] = [];
    const fill = async (l: { path: string; metadata: Record<string, unknown> }) => {
      fills.push(l.path);
      await writeFile(join(l.path, "bin"), "node");
      l.metadata.npm = "10.9.4";
    };
    const first = layers();
    await first.cached("node", { types: launchOnly, key: { version: "24" }, fill });
    await first.finish();
    await stripTypes("node");
    await rm(join(dir, "node"), { recursive: true });

    const second = layers();
    const layer = await second.cached("node", { types: launchOnly, key: { version: "24" }, fill });
    expect(layer.reusedFromImage).toBe(true);
    expect(layer.metadata.npm).toBe("10.9.4");
    expect(fills).toHaveLength(1);
    await layer.ensureContents();
    expect(fills).toHaveLength(2);
    expect(layer.reusedFromImage).toBe(false);
    expect(layer.state).toEqual({ kind: "reset", reason: "its files are needed in this build" });
    expect(await readFile(join(dir, "node", "bin"), "utf8")).toBe("node");
    await layer.ensureContents();
    expect(fills).toHaveLength(2);
    await second.finish();
    const toml = parseLayerToml(await readFile(join(dir, "node.toml"), "utf8"), "x");
    expect(toml.types).toEqual({ build: true, launch: true, cache: false });
    expect(toml.metadata["cache-key"]).toEqual({ version: "24" });
  });

  test("cache left out defaults to true, and the build says so where it fills the layer; written, it is silent", async () => {
    const fill = (l: { path: string }) => writeFile(join(l.path, "m"), "");
    const ls = layers();
    await ls.cached("server", { types: { launch: true }, key: { v: 1 }, fill });
    await ls.cached("tools", { types: { build: true, cache: true }, key: { v: 1 }, fill });
    await ls.cached("bin", { types: { launch: true, cache: false }, key: { v: 1 }, fill });
    await ls.finish();
    expect(parseLayerToml(await readFile(join(dir, "server.toml"), "utf8"), "x").types).toEqual({
      build: false,
      launch: true,
      cache: true,
    });
    expect(lines.filter((l) => l.includes("Caching"))).toEqual([
      "    Caching server for the next build too: layers.cached() defaults types.cache to true (write it, or cache: false)",
    ]);
    // A reuse is not a decision about types: nothing more is said.
    await stripTypes("server");
    lines.length = 0;
    await layers().cached("server", { types: { launch: true }, key: { v: 1 }, fill });
    expect(lines).toEqual(["    Reusing server (key unchanged)"]);
  });

  test("a build or cache layer whose directory was not restored is rebuilt", async () => {
    await writeFile(join(dir, "jdk.toml"), '[metadata.cache-key]\nversion = "21"\n');
    const layer = await layers().cached("jdk", { types: { build: true }, key: { version: "21" }, fill: () => {} });
    expect(layer.state).toEqual({ kind: "reset", reason: "contents were not restored" });
    expect(existsSync(join(dir, "jdk"))).toBe(true);
  });

  test("cache defaults to true for a cached layer unless set to false", async () => {
    const ls = layers();
    const a = await ls.cached("a", { types: { build: true, launch: true }, key: {}, fill: () => {} });
    const b = await ls.cached("b", { types: { launch: true, cache: false }, key: {}, fill: () => {} });
    expect(a.types).toEqual({ build: true, launch: true, cache: true });
    expect(b.types).toEqual({ build: false, launch: true, cache: false });
  });

  test("TOML dates and numbers round-trip to an unchanged key", async () => {
    const key = { built: new Date("2024-05-01T10:00:00Z"), size: 42, tags: ["a", "b"], nested: { x: 1.5 } };
    const first = layers();
    await first.cached("l", { types, key, fill: () => {} });
    await first.finish();
    await stripTypes("l");
    const layer = await layers().cached("l", { types, key, fill: () => {} });
    expect(layer.state.kind).toBe("restored");
  });

  test("a failing fill leaves no directory or TOML behind", async () => {
    await expect(
      layers().cached("bad", {
        types,
        key: {},
        async fill(l) {
          await writeFile(join(l.path, "half"), "");
          throw new Error("download failed");
        },
      }),
    ).rejects.toThrow("download failed");
    expect(existsSync(join(dir, "bad"))).toBe(false);
    expect(existsSync(join(dir, "bad.toml"))).toBe(false);
  });

  test("keep re-declares an unneeded layer with an unchanged key, and nothing otherwise", async () => {
    const cache = { build: true, cache: true };
    const first = layers();
    await first.cached("pip", {
      types: cache,
      key: { version: "25.3" },
      fill: (l) => writeFile(join(l.path, "m"), ""),
    });
    first.get("pip")!.metadata.note = "kept";
    await first.finish();
    await stripTypes("pip");
    const second = layers();
    const kept = await second.keep("pip", { types: cache, key: { version: "25.3" } });
    expect(kept?.state).toEqual({ kind: "restored", key: { version: "25.3" } });
    expect(second.get("pip")).toBe(kept);
    await second.finish();
    const toml = parseLayerToml(await readFile(join(dir, "pip.toml"), "utf8"), "x");
    expect(toml.types).toEqual({ ...cache, launch: false });
    expect(toml.metadata).toEqual({ note: "kept", "cache-key": { version: "25.3" } });
    expect(await readdir(join(dir, "pip"))).toEqual(["m"]);

    await stripTypes("pip");
    // A new key, or files that were not restored, keep nothing: the layer is left undeclared.
    expect(await layers().keep("pip", { types: cache, key: { version: "26.0" } })).toBeUndefined();
    await rm(join(dir, "pip"), { recursive: true });
    expect(await layers().keep("pip", { types: cache, key: { version: "25.3" } })).toBeUndefined();
    expect(await layers().keep("never", { types: cache, key: {} })).toBeUndefined();
  });

  test("peek tells what cached would find, and declares and logs nothing", async () => {
    const first = layers();
    await first.cached("venv", { types, key: { lock: "a" }, fill: (l) => writeFile(join(l.path, "m"), "") });
    await first.finish();
    await stripTypes("venv");
    const second = layers();
    lines.length = 0;
    expect(await second.peek("venv", { types, key: { lock: "a" } })).toEqual({ kind: "restored", key: { lock: "a" } });
    expect(await second.peek("venv", { types, key: { lock: "b" } })).toEqual({ kind: "reset", reason: "lock a → b" });
    expect(await second.peek("other", { types, key: {} })).toEqual({ kind: "new" });
    expect(second.all()).toEqual([]);
    expect(lines).toEqual([]);
    expect(await readdir(join(dir, "venv"))).toEqual(["m"]);
  });

  test("layer names are validated", async () => {
    await expect(layers().cached("launch", { types, key: {}, fill: () => {} })).rejects.toThrow(/reserved/);
    await expect(layers().fresh("a/b", { types })).rejects.toThrow(/must not contain '\/'/);
  });
});

describe("fresh, remove, env, sbom, exec.d", () => {
  test("fresh always starts empty; env and SBOM are written at finish", async () => {
    await mkdir(join(dir, "tmp"), { recursive: true });
    await writeFile(join(dir, "tmp", "stale"), "");
    const ls = layers(["application/vnd.cyclonedx+json", "application/spdx+json"]);
    const layer = await ls.fresh("tmp", { types: { launch: true } });
    expect(await readdir(layer.path)).toEqual([]);
    layer.env.launch.default("NODE_ENV", "production");
    layer.sbom.add({ name: "node", version: "24.11.1", purl: "pkg:generic/node@24.11.1" });
    await ls.finish();
    expect(await readFile(join(dir, "tmp", "env.launch", "NODE_ENV.default"), "utf8")).toBe("production");
    const cdx = JSON.parse(await readFile(join(dir, "tmp.sbom.cdx.json"), "utf8"));
    expect(cdx.components[0].name).toBe("node");
    const spdx = JSON.parse(await readFile(join(dir, "tmp.sbom.spdx.json"), "utf8"));
    expect(spdx.packages.some((p: { name: string }) => p.name === "node")).toBe(true);
  });

  test("remove deletes directory, TOML and SBOMs", async () => {
    await mkdir(join(dir, "old"));
    await writeFile(join(dir, "old.toml"), "");
    await writeFile(join(dir, "old.sbom.cdx.json"), "{}");
    await layers().remove("old");
    expect(await readdir(dir)).toEqual([]);
  });

  test("execD.add copies a program as an executable; addSelf copies the running program", async () => {
    await writeFile(join(dir, "self-program"), "#!/bin/sh\n");
    await writeFile(join(dir, "prog"), "#!/bin/sh\n");
    const layer = await layers().fresh("rt", { types: { launch: true } });
    const a = await layer.execD.add("0-prog", join(dir, "prog"));
    const b = await layer.execD.addSelf("memory", { process: "web" });
    expect(a).toBe(join(layer.path, "exec.d", "0-prog"));
    expect(b).toBe(join(layer.path, "exec.d", "web", "memory"));
    const { stat } = await import("node:fs/promises");
    expect((await stat(b)).mode & 0o777).toBe(0o755);
  });

  test("execD.addScript writes a script as an executable; bad names and a missing program are one-line errors", async () => {
    const layer = await layers().fresh("rt", { types: { launch: true } });
    const script = "#!/bin/sh\necho 'A=\"1\"' >&3\n";
    const path = await layer.execD.addScript("0-script", script, { process: "web" });
    expect(path).toBe(join(layer.path, "exec.d", "web", "0-script"));
    expect(await readFile(path, "utf8")).toBe(script);
    const { stat } = await import("node:fs/promises");
    expect((await stat(path)).mode & 0o777).toBe(0o755);
    expect(await readdir(join(layer.path, "exec.d", "web"))).toEqual(["0-script"]);
    await expect(layer.execD.addScript("a/b", script)).rejects.toThrow(/may only contain letters/);
    await expect(layer.execD.add("x", join(dir, "missing"))).rejects.toThrow(/program .*missing not found/);
    expect(await readdir(join(layer.path, "exec.d"))).toEqual(["web"]);
  });
});

/**
 * End to end with the real lifecycle 0.21.17 under runc: build, inspect, sbom, run, rebuild,
 * rebase, an aborted build, and the bad inputs. One builder rootfs is assembled for all.
 */
import { spawn, spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import * as esbuild from "esbuild";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { ensureBaseImages } from "../base/index.js";
import {
  copyImage,
  imageConfig,
  layerFromDir,
  OciLayout,
  openImageSink,
  openImageSource,
  writeLayer,
} from "../oci/index.js";
import { startRegistry } from "../oci/test-registry.js";
import { STALE_PREFIXES, sweepStale, sweepStaleIn } from "../cache/index.js";
import { buildApp } from "./index.js";
import { inspectImage } from "./inspect.js";
import { patchedRunImage } from "./test-fixtures.js";
import { rebaseImage } from "./rebase.js";
import { runApp } from "./run.js";
import { exportSbom } from "./sbom.js";
import { testBuilderRootfs } from "./test-fixtures.js";

let work = "";
let builder = "";
let runRef = "";
let buildRef = "";
let app = "";
let cacheDir = "";
let outDir = "";
let output = "";
let savedCache: string | undefined;

function skopeo(ref: string): { status: number | null; json: Record<string, unknown> } {
  const r = spawnSync("skopeo", ["inspect", ref], { encoding: "utf8" });
  return { status: r.status, json: r.status === 0 ? JSON.parse(r.stdout) : {} };
}

async function indexJson(dir: string): Promise<string | undefined> {
  return readFile(join(dir, "index.json"), "utf8").catch(() => undefined);
}

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), "cnbkit-e2e-"));
  const { build, run } = await ensureBaseImages({ onProgress: () => {} });
  if (!build.rootfs) throw new Error("build rootfs not cached");
  runRef = run.ref;
  buildRef = build.ref;
  builder = await testBuilderRootfs(build.rootfs, runRef);
  // The base images come from the shared cache; everything this file unpacks or builds
  // (rootfs-by-digest, build temp dirs) goes to a cache of its own.
  savedCache = process.env.CNBKIT_CACHE;
  process.env.CNBKIT_CACHE = join(work, "cnbkit-cache");
  app = join(work, "app");
  await mkdir(app);
  await writeFile(join(app, "index.html"), "<h1>hello cnbkit</h1>\n");
  await writeFile(join(app, "secret.key"), "not for the image");
  await writeFile(join(app, "project.toml"), '[_]\nschema-version = "0.2"\n[io.buildpacks]\nexclude = ["*.key"]\n');
  cacheDir = join(work, "cache");
  outDir = join(work, "out");
  output = `oci:${outDir}:v1`;
});
afterAll(async () => {
  if (savedCache === undefined) delete process.env.CNBKIT_CACHE;
  else process.env.CNBKIT_CACHE = savedCache;
  await rm(work, { recursive: true, force: true });
  if (builder) await rm(join(builder, ".."), { recursive: true, force: true });
});

describe.sequential("an app through build, run, rebuild and rebase", () => {
  let firstDigest = "";

  test("a cold build writes an image skopeo reads, with the lifecycle's labels", async () => {
    const lines: string[] = [];
    const bindingDir = join(work, "binding-creds");
    await mkdir(bindingDir);
    await writeFile(join(bindingDir, "type"), "mysql");
    await writeFile(join(bindingDir, "password"), "s3cret");
    const t0 = Date.now();
    const r = await buildApp({
      appDir: app,
      builder,
      output,
      cacheDir,
      env: { GREETING: "hi" },
      bindings: [{ name: "creds", dir: bindingDir }],
      onOutput: (l) => lines.push(l),
    });
    console.log(`cold build: ${Date.now() - t0} ms`);
    const text = lines.join("\n");
    expect(text).toMatch(/===> EXPORTING/);
    expect(text).toMatch(/GREETING=hi/);
    expect(text).toMatch(/binding creds: mysql/);
    expect(text).toMatch(/app dir to layers dir: rename/);
    const s = skopeo(output);
    expect(s.status).toBe(0);
    const labels = s.json.Labels as Record<string, string>;
    expect(Object.keys(labels)).toEqual(
      expect.arrayContaining(["io.buildpacks.lifecycle.metadata", "io.buildpacks.build.metadata"]),
    );
    expect(s.json.Digest).toBe(r.digest);
    firstDigest = r.digest;
  });

  test("inspect shows the process, buildpack, run image and layers; sbom extracts the layer's SBOM", async () => {
    const info = await inspectImage(output);
    expect(info.processes).toEqual([
      expect.objectContaining({ type: "web", default: true, command: [expect.stringMatching(/bin\/serve$/)] }),
    ]);
    expect(info.buildpacks).toEqual([{ id: "test/server", version: "0.0.1" }]);
    expect(info.runImage.topLayer).toMatch(/^sha256:/);
    expect(info.baseLabels["io.buildpacks.base.id"]).toBe("io.cnbkit.base.trixie");
    expect(info.layers[0]?.origin).toBe("run image");
    expect(info.layers.map((l) => l.origin)).toEqual(
      expect.arrayContaining(["test/server:server", "app", "sbom", "launcher", "config", "process-types"]),
    );
    const files = await exportSbom(output, join(work, "sbom"));
    expect(files).toContain("launch/test_server/server/sbom.cdx.json");
    const bom = JSON.parse(await readFile(join(work, "sbom/launch/test_server/server/sbom.cdx.json"), "utf8"));
    expect(bom.components[0].name).toBe("serve");
  });

  test("runApp serves HTTP on the host's loopback, without the excluded file", async () => {
    const port = 18000 + (process.pid % 1000);
    const lines: string[] = [];
    const t0 = Date.now();
    const running = await runApp({ image: output, port, onOutput: (l) => lines.push(l) });
    try {
      await running.ready(60_000);
      console.log(`run: unpack + start until listening: ${Date.now() - t0} ms`);
      const res = await fetch(`http://127.0.0.1:${port}/`);
      expect(res.status).toBe(200);
      expect(await res.text()).toBe("<h1>hello cnbkit</h1>\n");
    } finally {
      await running.stop();
    }
    expect(lines.join("\n")).toMatch(new RegExp(`listening on ${port}`));
    // A named process type runs through /cnb/process/<type>; an unknown one is refused.
    const web = await runApp({ image: output, port, process: "web" });
    try {
      await web.ready(60_000);
      expect((await fetch(`http://127.0.0.1:${port}/`)).status).toBe(200);
    } finally {
      await web.stop();
    }
    await expect(runApp({ image: output, port, process: "worker" })).rejects.toThrow(/has no process type "worker"/);
    const { rootfs } = await import("../container/index.js").then((m) => m.unpackImage(output));
    expect(existsSync(join(rootfs, "workspace/index.html"))).toBe(true);
    expect(existsSync(join(rootfs, "workspace/secret.key"))).toBe(false);
  });

  test("a second build reuses layers from the previous image", async () => {
    const lines: string[] = [];
    const t0 = Date.now();
    const r = await buildApp({ appDir: app, builder, output, cacheDir, onOutput: (l) => lines.push(l) });
    console.log(`warm build: ${Date.now() - t0} ms`);
    expect(lines.join("\n")).toMatch(/Reusing layer 'test\/server:server'/);
    expect(r.reusedLayers).toContain("test/server:server");
    // Same source, same builder, same run image: the lifecycle's output is reproducible.
    expect(r.digest).toBe(firstDigest);
    expect(skopeo(output).status).toBe(0);
  });

  test("rebase onto a patched run image rewrites only the config and manifest", async () => {
    // The patched run image: the same base plus one file.
    const runDir = join(work, "run2");
    const { base, patch } = await patchedRunImage(runRef, runDir, { path: "etc/patched", data: "yes" });

    const before = await (await openImageSource(output)).image();
    const blobsBefore = spawnSync("ls", [join(outDir, "blobs/sha256")], { encoding: "utf8" }).stdout.split("\n");
    const t0 = Date.now();
    const r = await rebaseImage({ image: output, runImage: `oci:${runDir}:patched` });
    console.log(`rebase: ${Date.now() - t0} ms`);
    const after = await (await openImageSource(output)).image();
    expect(r.digest).not.toBe(r.previousDigest);
    expect(after.manifest.digest).toBe(r.digest);
    expect(after.manifest.manifest.config.digest).not.toBe(before.manifest.manifest.config.digest);
    const top = before.config.rootfs.diff_ids.length - r.appLayers;
    const appLayersBefore = before.manifest.manifest.layers.slice(top).map((l) => l.digest);
    const appLayersAfter = after.manifest.manifest.layers.slice(-r.appLayers).map((l) => l.digest);
    expect(appLayersAfter).toEqual(appLayersBefore);
    expect(after.manifest.manifest.layers.map((l) => l.digest)).toEqual([
      ...base.manifest.manifest.layers.map((l) => l.digest),
      patch.digest,
      ...appLayersBefore,
    ]);
    // New blobs: the config, the manifest and the one patch layer. No app layer was rewritten.
    const blobsAfter = spawnSync("ls", [join(outDir, "blobs/sha256")], { encoding: "utf8" }).stdout.split("\n");
    const added = blobsAfter.filter((b) => !blobsBefore.includes(b)).sort();
    expect(added).toEqual(
      [r.digest, after.manifest.manifest.config.digest, patch.digest].map((d) => d.slice(7)).sort(),
    );
    const md = JSON.parse(after.config.config?.Labels?.["io.buildpacks.lifecycle.metadata"] as string);
    expect(md.runImage.topLayer).toBe(patch.diffId);
    expect(skopeo(output).status).toBe(0);
    expect(after.config.config?.Entrypoint).toEqual(before.config.config?.Entrypoint);
  });

  test("a build killed midway leaves the output as it was, and the next build is correct", async () => {
    const before = await indexJson(outDir);
    const ac = new AbortController();
    const lines: string[] = [];
    await expect(
      buildApp({
        appDir: app,
        builder,
        output,
        cacheDir,
        signal: ac.signal,
        onOutput: (l) => {
          lines.push(l);
          if (l.includes("Test server buildpack")) ac.abort();
        },
      }),
    ).rejects.toThrow(/aborted/);
    expect(await indexJson(outDir)).toBe(before);
    const r = await buildApp({ appDir: app, builder, output, cacheDir });
    const s = skopeo(output);
    expect(s.status).toBe(0);
    expect(s.json.Digest).toBe(r.digest);
    expect((await inspectImage(output)).processes[0]?.type).toBe("web");
  });
});

/** Bundles test-build-driver.ts (a process that runs one build) to a CommonJS file. */
async function bundleDriver(outfile: string): Promise<void> {
  await esbuild.build({
    entryPoints: [join(import.meta.dirname, "test-build-driver.ts")],
    bundle: true,
    platform: "node",
    format: "cjs",
    outfile,
    logLevel: "silent",
    // Optional XML plugins of the CycloneDX library, which the framework entry pulls in.
    external: ["xmlbuilder2", "libxmljs2"],
  });
}

describe("a build process SIGKILLed midway", () => {
  test("leaves the output as it was; the next build cleans up after it and is correct", async () => {
    const driver = join(work, "driver.cjs");
    await bundleDriver(driver);
    const out = `oci:${join(work, "killed")}:v1`;
    const killedCache = join(work, "killed-cache");
    const child = spawn(
      process.execPath,
      [driver, JSON.stringify({ appDir: app, builder, output: out, cacheDir: killedCache })],
      {
        stdio: ["ignore", "pipe", "inherit"],
      },
    );
    const pid = child.pid as number;
    const seen: string[] = [];
    await new Promise<void>((res) => {
      createInterface({ input: child.stdout }).on("line", (l) => {
        seen.push(l);
        if (l.includes("Test server buildpack")) child.kill("SIGKILL");
      });
      child.on("exit", () => res());
    });
    expect(seen.join("\n")).toMatch(/Test server buildpack/);
    expect(seen.join("\n")).not.toMatch(/^DONE/m);
    expect(existsSync(join(work, "killed", "index.json"))).toBe(false);
    const leftovers = async () => (await readdir(tmpdir())).filter((n) => n.includes(`-${pid}-`));
    expect((await leftovers()).length).toBeGreaterThan(0); // its container, view and bundle dirs
    const storeLeftovers = async () => (await readdir(`${killedCache}.layers`)).filter((n) => n.includes(`-${pid}-`));
    expect(await storeLeftovers()).toHaveLength(1); // its overlay over the cache layers kept by reference

    const r = await buildApp({ appDir: app, builder, output: out, cacheDir: killedCache });
    expect(await leftovers()).toEqual([]);
    const mounts = await readFile("/proc/self/mountinfo", "utf8");
    expect(mounts).not.toMatch(new RegExp(`cnbkit-view-${pid}-`));
    // That overlay (layer-store/) is unmounted and its dir removed too.
    expect(mounts).not.toMatch(new RegExp(`cnbkit-layers-${pid}-`));
    expect(await storeLeftovers()).toEqual([]);
    const s = skopeo(out);
    expect(s.status).toBe(0);
    expect(s.json.Digest).toBe(r.digest);
  });
});

describe("a builder given as an OCI image", () => {
  test("is unpacked (cached by digest) and builds the app", async () => {
    // The builder image: cnbkit's build base image (its rootfs and its SBOM layer) plus a layer
    // with /cnb and one with /workspace and /layers.
    const dir = join(work, "builder-image");
    await copyImage(await openImageSource(buildRef), await openImageSink(`oci:${dir}:base`));
    const layout = await OciLayout.open(dir);
    const img = await (await openImageSource(`oci:${dir}:base`)).image();
    const cnb = await layerFromDir(join(builder, "cnb"), { prefix: "cnb" }, layout.blobDir);
    const dirs = await writeLayer(
      [
        { type: "dir", path: "workspace", uid: 1000, gid: 1000 },
        { type: "dir", path: "layers", uid: 1000, gid: 1000 },
      ],
      layout.blobDir,
    );
    const cfg = imageConfig({
      architecture: img.config.architecture,
      config: img.config.config,
      diffIds: [...img.config.rootfs.diff_ids, cnb.diffId, dirs.diffId],
    });
    await layout.writeImage({ config: cfg, layers: [...img.manifest.manifest.layers, cnb, dirs], tag: "builder" });

    const lines: string[] = [];
    const t0 = Date.now();
    const out = `oci:${join(work, "from-image")}:v1`;
    const r = await buildApp({
      appDir: app,
      builder: `oci:${dir}:builder`,
      output: out,
      onOutput: (l) => lines.push(l),
    });
    console.log(`build with a builder image, unpack included: ${Date.now() - t0} ms`);
    expect(lines.join("\n")).toContain(`Unpacking layer 1/${img.manifest.manifest.layers.length + 2}`);
    expect(skopeo(out).json.Digest).toBe(r.digest);
    const again: string[] = [];
    await buildApp({ appDir: app, builder: `oci:${dir}:builder`, output: out, onOutput: (l) => again.push(l) });
    expect(again.join("\n")).not.toMatch(/Unpacking layer/);
  }, 600_000);
});

describe("SIGINT to a building process", () => {
  test("kills its container before the process dies of the signal", async () => {
    const driver = join(work, "driver-int.cjs");
    await bundleDriver(driver);
    const out = `oci:${join(work, "interrupted")}:v1`;
    const child = spawn(
      process.execPath,
      [driver, JSON.stringify({ appDir: app, builder, output: out, cacheDir: join(work, "int-cache") })],
      { stdio: ["ignore", "pipe", "inherit"] },
    );
    const pid = child.pid as number;
    const exit = await new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((res) => {
      createInterface({ input: child.stdout }).on("line", (l) => {
        if (l.includes("Test server buildpack")) child.kill("SIGINT");
      });
      child.on("exit", (code, signal) => res({ code, signal }));
    });
    expect(exit.signal).toBe("SIGINT");
    // No runc process for its containers is left (their ids carry its pid).
    // The guard may still be finishing its check for a few seconds; it must then be gone too.
    let left = "";
    for (let i = 0; i < 40; i++) {
      left = spawnSync("pgrep", ["-f", `cnbkit-${pid}-`], { encoding: "utf8" }).stdout.trim();
      if (!left) break;
      await new Promise((r) => setTimeout(r, 250));
    }
    expect(left).toBe("");
    expect(existsSync(join(work, "interrupted", "index.json"))).toBe(false);
    // Its overlay view stays mounted (the driver has no handler of its own, unlike the CLI);
    // the next build's sweep is what removes it, so do that here too.
    await sweepStale(join(work, "cnbkit-cache", "tmp"));
    await sweepStaleIn(join(work, "int-cache.layers"), STALE_PREFIXES.layers); // its overlay over the layer store
  });
});

describe("registry output", () => {
  test("builds to a loopback registry, rebuilds with reuse from it, and runs from it", async () => {
    const reg = await startRegistry();
    try {
      const ref = `${reg.host}/cnbkit/app:v1`;
      const regRun = `${reg.host}/cnbkit/run:latest`;
      await copyImage(await openImageSource(runRef), await openImageSink(regRun));
      const regCache = join(work, "reg-cache");
      const first = await buildApp({ appDir: app, builder, output: ref, runImage: regRun, cacheDir: regCache });
      // Rebase within the registry: only a config and a manifest are pushed.
      const rebased = await rebaseImage({ image: ref, runImage: regRun, output: `${reg.host}/cnbkit/app:rebased` });
      expect(rebased.appLayers).toBeGreaterThan(0);
      const rs = spawnSync("skopeo", ["inspect", "--tls-verify=false", `docker://${reg.host}/cnbkit/app:rebased`], {
        encoding: "utf8",
      });
      expect(JSON.parse(rs.stdout).Digest).toBe(rebased.digest);
      const s = spawnSync("skopeo", ["inspect", "--tls-verify=false", `docker://${ref}`], { encoding: "utf8" });
      expect(s.status).toBe(0);
      expect(JSON.parse(s.stdout).Digest).toBe(first.digest);
      const lines: string[] = [];
      const second = await buildApp({
        appDir: app,
        builder,
        output: ref,
        runImage: regRun,
        cacheDir: regCache,
        onOutput: (l) => lines.push(l),
      });
      expect(lines.join("\n")).toMatch(/Reusing layer 'test\/server:server'/);
      expect(second.digest).toBe(first.digest);
      const port = 19000 + (process.pid % 1000);
      const running = await runApp({ image: ref, port });
      try {
        await running.ready(60_000);
        expect(await (await fetch(`http://127.0.0.1:${port}/`)).text()).toBe("<h1>hello cnbkit</h1>\n");
      } finally {
        await running.stop();
      }
    } finally {
      await reg.stop();
    }
  });
});

describe("bad input gives one line and writes nothing", () => {
  const badOut = () => join(work, `bad-${Math.random().toString(16).slice(2)}`);

  test("app dir missing", async () => {
    const o = badOut();
    await expect(buildApp({ appDir: join(work, "nope"), builder, output: `oci:${o}` })).rejects.toThrow(
      /^app directory .*nope does not exist$/,
    );
    expect(existsSync(o)).toBe(false);
  });

  test("builder not found", async () => {
    const o = badOut();
    await expect(
      buildApp({ appDir: app, builder: `oci:${join(work, "no-builder")}`, output: `oci:${o}` }),
    ).rejects.toThrow(/builder .*no-builder not found/);
    expect(existsSync(o)).toBe(false);
  });

  test("no buildpack detects: names the buildpacks that ran", async () => {
    const empty = join(work, "empty-app");
    await mkdir(empty, { recursive: true });
    await writeFile(join(empty, "README"), "no index.html");
    const o = badOut();
    const err = await buildApp({ appDir: empty, builder, output: `oci:${o}`, cacheDir: join(work, "c2") }).catch(
      (e: Error) => e,
    );
    expect(err).toBeInstanceOf(Error);
    console.log(`error: ${(err as Error).message}`);
    expect((err as Error).message).toMatch(/no buildpack group passed detection.*test\/server/);
    expect((err as Error).message).not.toMatch(/\n/);
    expect(existsSync(o)).toBe(false);
  });

  test("a buildpack that fails", async () => {
    const failing = join(work, "failing-app");
    await mkdir(failing, { recursive: true });
    await writeFile(join(failing, "index.html"), "x");
    await writeFile(join(failing, "fail-build"), "");
    const o = badOut();
    await expect(
      buildApp({ appDir: failing, builder, output: `oci:${o}`, cacheDir: join(work, "c3") }),
    ).rejects.toThrow(/failed to build/);
    expect(existsSync(o)).toBe(false);
  });

  test("rebase of an image that is not an app image", async () => {
    await expect(rebaseImage({ image: runRef, runImage: runRef, output: `oci:${badOut()}` })).rejects.toThrow(
      /is not an app image built by a CNB lifecycle/,
    );
  });

  test("rebase refuses io.buildpacks.rebasable=false and another architecture, unless forced", async () => {
    const dir = join(work, "unrebasable");
    await copyImage(await openImageSource(output), await openImageSink(`oci:${dir}:app`));
    const layout = await OciLayout.open(dir);
    const img = await (await openImageSource(`oci:${dir}:app`)).image();
    const labels = { ...img.config.config?.Labels, "io.buildpacks.rebasable": "false" };
    await layout.writeImage({
      config: { ...img.config, config: { ...img.config.config, Labels: labels } },
      layers: img.manifest.manifest.layers,
      tag: "nope",
    });
    const before = await indexJson(dir);
    await expect(rebaseImage({ image: `oci:${dir}:nope`, runImage: runRef })).rejects.toThrow(
      /is labelled io.buildpacks.rebasable=false/,
    );
    expect(await indexJson(dir)).toBe(before);
    const forced = await rebaseImage({ image: `oci:${dir}:nope`, runImage: runRef, force: true });
    expect(forced.digest).toMatch(/^sha256:/);

    const run = await (await openImageSource(runRef)).image();
    const other = run.config.architecture === "arm64" ? "amd64" : "arm64";
    await layout.writeImage({
      config: { ...run.config, architecture: other },
      layers: run.manifest.manifest.layers,
      tag: "otherrun",
    });
    await expect(rebaseImage({ image: `oci:${dir}:app`, runImage: `oci:${dir}:otherrun` })).rejects.toThrow(
      /run image .* is linux\/(arm64|amd64), but image .* is linux\//,
    );
  });

  test("a run image of another architecture", async () => {
    const dir = join(work, "arm-run");
    const src = await (await openImageSource(runRef)).image();
    await copyImage(await openImageSource(runRef), await openImageSink(`oci:${dir}:amd`));
    const layout = await OciLayout.open(dir);
    const cfg = { ...src.config, architecture: src.config.architecture === "arm64" ? "amd64" : "arm64" };
    await layout.writeImage({ config: cfg, layers: src.manifest.manifest.layers, tag: "other" });
    const o = badOut();
    await expect(
      buildApp({ appDir: app, builder, output: `oci:${o}`, runImage: `oci:${dir}:other`, cacheDir: join(work, "c4") }),
    ).rejects.toThrow(/run image .* is linux\/(arm64|amd64), but builder .* is linux\/(amd64|arm64)$/);
    expect(existsSync(o)).toBe(false);
  });
});

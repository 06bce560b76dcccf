/**
 * The example app (examples/apps/node-hello: npm, a lockfile, one small dependency) through
 * the reference builder: a cold build that answers HTTP, a rebuild that reuses layers, the
 * image read by skopeo and unpacked by umoci, and a rebase onto a patched run image.
 */
import { spawnSync } from "node:child_process";
import { existsSync, readlinkSync } from "node:fs";
import { mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, onTestFinished, test } from "vitest";
import { openImageSource } from "../../builder-packager/src/oci/image-store.js";
import { buildApp } from "../../builder-packager/src/platform/index.js";
import { patchedRunImage } from "../../builder-packager/src/platform/test-fixtures.js";
import { rebaseImage } from "../../builder-packager/src/platform/rebase.js";
import { unpackImage } from "../../builder-packager/src/container/unpack.js";
import { BASE_LAYOUT, fixtureApp, getFromImage, ROOT, useReferenceBuilder } from "./support.js";

// "up 1 second" once the first answer takes a second (a loaded machine): ms() words it so.
const HELLO_ANSWER = /^200 Hello from node-hello on Node v24\.21\.0, up \d+ (ms|seconds?)\n$/;

let work = "";
let app = "";
let outDir = "";
let image = "";
let cacheDir = "";

const ref = useReferenceBuilder();
beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), "cnbkit-e2e-npm-"));
  app = await fixtureApp("node-hello", {}, join(ROOT, "examples/apps/node-hello"));
  outDir = join(work, "out");
  image = `oci:${outDir}:latest`;
  cacheDir = join(work, "cache");
});
afterAll(async () => {
  if (work) await rm(work, { recursive: true, force: true });
  if (app) await rm(app, { recursive: true, force: true });
});

async function build(): Promise<{ lines: string[]; ms: number; digest: string }> {
  const lines: string[] = [];
  const t0 = Date.now();
  const r = await buildApp({
    appDir: app,
    builder: ref.builder,
    output: image,
    cacheDir,
    bindings: ref.bindings,
    onOutput: (l) => lines.push(l),
  });
  return { lines, ms: Date.now() - t0, digest: r.digest };
}

function skopeo(ref: string): { Digest: string; Labels: Record<string, string>; Layers: string[] } {
  const r = spawnSync("skopeo", ["inspect", ref], { encoding: "utf8" });
  expect(r.status, r.stderr).toBe(0);
  return JSON.parse(r.stdout);
}

/** What the app image's root filesystem must hold: the process link, the launcher, the app, the SBOMs. */
async function expectAppFiles(rootfs: string): Promise<void> {
  expect(readlinkSync(join(rootfs, "cnb/process/web"))).toBe("/cnb/lifecycle/launcher");
  expect(existsSync(join(rootfs, "cnb/lifecycle/launcher"))).toBe(true);
  expect(existsSync(join(rootfs, "workspace/server.js"))).toBe(true);
  const sbomDir = join(rootfs, "layers/sbom/launch/cnbkit_nodejs");
  expect((await readdir(sbomDir)).sort()).toEqual(["launch_modules", "node"]);
  const modules = JSON.parse(await readFile(join(sbomDir, "launch_modules/sbom.cdx.json"), "utf8"));
  expect(modules.bomFormat).toBe("CycloneDX");
  expect(modules.components.map((c: { purl: string }) => c.purl)).toEqual(["pkg:npm/ms@2.1.3"]);
  const node = JSON.parse(await readFile(join(sbomDir, "node/sbom.cdx.json"), "utf8"));
  expect(node.components[0].version).toBe("24.21.0");
  expect(node.components[0].cpe).toBe("cpe:2.3:a:nodejs:node.js:24.21.0:*:*:*:*:*:*:*");
}

describe.sequential("examples/apps/node-hello", () => {
  let cold = { lines: [] as string[], ms: 0, digest: "" };

  test("a cold build with npm ci, run under runc, answers HTTP", async () => {
    cold = await build();
    console.log(`npm app: cold build ${cold.ms} ms`);
    const text = cold.lines.join("\n");
    expect(text).toMatch(/Selected Node\.js 24\.21\.0/);
    // node-hello has no devDependencies, so there is nothing to omit: plain `npm ci`.
    expect(text).toMatch(/Running npm ci$/m);
    expect(text).toMatch(/Adding layer 'cnbkit\/nodejs:launch_modules'/);
    // The CA binding reached the ca-certificates buildpack (only when this machine has one).
    if (ref.bindings.length > 0) expect(text).toMatch(/^cnbkit\/ca-certificates\s+0\.1\.0$/m);
    // Quiet output: the layout export is asked for on purpose (no experimental-feature warning),
    // and the lifecycle's internal layout-repo name and digest stay out (the CLI prints the one
    // digest written).
    expect(text).not.toMatch(/experimental feature/);
    expect(text).not.toMatch(/\/layout-repo\/|sha256:/);
    expect(text).toMatch(/^Writing oci:/m);
    expect(await getFromImage(image)).toMatch(HELLO_ANSWER);
  }, 600_000);

  test("a second build of the unchanged app reuses every layer and installs nothing", async () => {
    const warm = await build();
    console.log(`npm app: cold build ${cold.ms} ms, warm no-op rebuild ${warm.ms} ms`);
    const text = warm.lines.join("\n");
    for (const layer of ["node", "launch_modules"]) {
      expect(text).toMatch(new RegExp(`Reusing ${layer} \\(key unchanged\\)`)); // the buildpack's decision
      expect(text).toMatch(new RegExp(`Reusing layer 'cnbkit/nodejs:${layer}'`)); // the exporter's
    }
    expect(text).not.toMatch(/Running npm ci/);
    expect(warm.digest).toBe(cold.digest);
    expect(await getFromImage(image)).toMatch(HELLO_ANSWER);
  }, 600_000);

  test("skopeo reads the image, with the lifecycle's labels", () => {
    const info = skopeo(image);
    expect(info.Digest).toBe(cold.digest);
    const md = JSON.parse(info.Labels["io.buildpacks.lifecycle.metadata"] as string);
    expect(md.buildpacks.map((b: { key: string }) => b.key)).toEqual(
      ["cnbkit/ca-certificates", "cnbkit/nodejs"].slice(ref.bindings.length ? 0 : 1),
    );
    expect(info.Layers.length).toBeGreaterThan(4);
  });

  test("the image holds the web process, the launcher and our CycloneDX SBOMs", async () => {
    const unpacked = await unpackImage(image);
    onTestFinished(() => unpacked.release());
    await expectAppFiles(unpacked.rootfs);
  });

  test("umoci unpacks the image (an OCI manifest must not carry Docker layer media types)", async () => {
    const bundle = join(work, "bundle");
    const r = spawnSync("umoci", ["unpack", "--image", `${outDir}:latest`, bundle], { encoding: "utf8" });
    expect(r.stderr).not.toMatch(/blob is not correct mediatype/);
    expect(r.status, r.stderr).toBe(0);
    await expectAppFiles(join(bundle, "rootfs"));
  });

  test("rebase onto the run image plus one file changes only the config and manifest; the app still answers", async () => {
    // The patched run image: the e2e base layout's run image plus /etc/cnbkit-patched.
    const runDir = join(work, "run2");
    const { base, patch } = await patchedRunImage(`oci:${BASE_LAYOUT}:run`, runDir, {
      path: "etc/cnbkit-patched",
      data: "yes\n",
    });
    const before = await (await openImageSource(image)).image();
    const blobsBefore = await readdir(join(outDir, "blobs/sha256"));
    const t0 = Date.now();
    const r = await rebaseImage({ image, runImage: `oci:${runDir}:patched` });
    console.log(`npm app: rebase ${Date.now() - t0} ms`);
    const after = await (await openImageSource(image)).image();
    expect(after.manifest.digest).toBe(r.digest);
    expect(r.digest).not.toBe(before.manifest.digest);
    expect(after.manifest.manifest.config.digest).not.toBe(before.manifest.manifest.config.digest);
    const appLayers = before.manifest.manifest.layers.slice(-r.appLayers).map((l) => l.digest);
    expect(after.manifest.manifest.layers.map((l) => l.digest)).toEqual([
      ...base.manifest.manifest.layers.map((l) => l.digest),
      patch.digest,
      ...appLayers,
    ]);
    // New blobs: the manifest, the config and the run image's one new layer. No app layer.
    const added = (await readdir(join(outDir, "blobs/sha256"))).filter((b) => !blobsBefore.includes(b)).sort();
    expect(added).toEqual(
      [r.digest, after.manifest.manifest.config.digest, patch.digest].map((d) => d.slice(7)).sort(),
    );
    expect(after.config.config?.Entrypoint).toEqual(before.config.config?.Entrypoint);
    expect(skopeo(image).Digest).toBe(r.digest);
    expect(await getFromImage(image)).toMatch(HELLO_ANSWER);
  }, 300_000);

  // Last: it changes the app and so the image the tests above read.
  test("a changed lockfile installs Node.js again (launch-only layer) and gives the same runtime layer", async () => {
    const lockfile = join(app, "package-lock.json");
    const original = await readFile(lockfile, "utf8");
    const before = await (await openImageSource(image)).image();
    await writeFile(lockfile, `${original}\n`);
    try {
      const r = await build();
      const text = r.lines.join("\n");
      expect(text).toMatch(/Rebuilding node: its files are needed in this build/);
      expect(text).toMatch(/Running npm ci$/m);
      // The same Node.js tree tars to the same diffID, so the exporter reuses the layer.
      expect(text).toMatch(/Reusing layer 'cnbkit\/nodejs:node'/);
      const after = await (await openImageSource(image)).image();
      const nodeDiffId = (img: typeof before) => {
        const meta = JSON.parse(img.config.config?.Labels?.["io.buildpacks.lifecycle.metadata"] ?? "{}");
        return meta.buildpacks.find((b: { key: string }) => b.key === "cnbkit/nodejs").layers.node.sha;
      };
      expect(nodeDiffId(after)).toBe(nodeDiffId(before));
      expect(await getFromImage(image)).toMatch(HELLO_ANSWER);
    } finally {
      await writeFile(lockfile, original);
    }
  }, 600_000);
});

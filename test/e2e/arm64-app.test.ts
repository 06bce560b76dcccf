/**
 * The example app built and run for linux/arm64 on this amd64 machine, under qemu: the arm64
 * lifecycle (cross-compiled by scripts/setup.sh), cnbkit/nodejs compiled for arm64 with the
 * arm64 Node.js from npm, an arm64 builder, a build, an HTTP answer, skopeo's reading.
 *
 * The base images are the slim flavour (`cnbkit base create --arch arm64 --flavor slim`): the
 * build image is the arm64 *run* rootfs, which the other arm64 tests share; the standard arm64
 * build image is ~11 more minutes of emulated debootstrap, and node-hello needs nothing from
 * it. `bash scripts/main.sh --arch arm64` uses the standard one.
 */
import { spawnSync } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, expect, test } from "vitest";
import { prepareLocalReferenceBuilder } from "../../tools/local-builder/local-node.js";
import { enableQemuBinfmt } from "../../builder-packager/src/base/binfmt.js";
import { ensureBaseImages } from "../../builder-packager/src/base/images.js";
import { createBuilder } from "../../builder-packager/src/builder/create-builder.js";
import { buildApp } from "../../builder-packager/src/platform/build.js";
import { caBindings, E2E_DIR, fixtureApp, getFromImage, ROOT } from "./support.js";

let work = "";
let app = "";

beforeAll(async () => {
  await enableQemuBinfmt("arm64");
  work = await mkdtemp(join(tmpdir(), "cnbkit-e2e-arm64-"));
  app = await fixtureApp("node-hello-arm64", {}, join(ROOT, "examples/apps/node-hello"));
}, 180_000);
afterAll(async () => {
  if (work) await rm(work, { recursive: true, force: true });
  if (app) await rm(app, { recursive: true, force: true });
});

test("node-hello for linux/arm64: built and run under qemu, answers HTTP, read as arm64 by skopeo", async () => {
  // Slow the first time (emulated debootstrap, ~7 min); cached after, shared with the multi-arch tests.
  const base = join(work, "base");
  await ensureBaseImages({ arch: "arm64", flavor: "slim", output: base, onProgress: () => {} });

  const local = await prepareLocalReferenceBuilder({
    arch: "arm64",
    outDir: join(E2E_DIR, "reference-local-arm64"),
    baseLayout: base,
  });
  const builder = `oci:${join(work, "builder")}:latest`;
  const created = await createBuilder({ config: local.builderToml, output: builder });
  expect(created.targets).toEqual(["linux/arm64"]);

  const lines: string[] = [];
  const image = `oci:${join(work, "app")}:latest`;
  await buildApp({
    appDir: app,
    builder,
    output: image,
    cacheDir: join(work, "cache"),
    bindings: await caBindings(),
    onOutput: (l) => lines.push(l),
  });
  const text = lines.join("\n");
  expect(text).toContain("Building for linux/arm64 under qemu emulation");
  expect(text).toMatch(/Selected Node\.js 24\.21\.0/);
  expect(text).toMatch(/Adding layer 'cnbkit\/nodejs:launch_modules'/);

  const cfg = spawnSync("skopeo", ["inspect", "--config", image], { encoding: "utf8" });
  expect(cfg.status, cfg.stderr).toBe(0);
  expect(JSON.parse(cfg.stdout)).toMatchObject({ os: "linux", architecture: "arm64" });
  // The uptime is "N ms", or "N second(s)" when the emulated start under load takes longer.
  expect(await getFromImage(image)).toMatch(/^200 Hello from node-hello on Node v24\.21\.0, up \d+ (ms|seconds?)\n$/);
}, 1_800_000);

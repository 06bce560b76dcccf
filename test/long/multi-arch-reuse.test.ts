/**
 * Cheap cross-architecture builds (issue 57 item 3), end to end with the CLI: java-hello for
 * linux/amd64 and linux/arm64 into one index, cold, with the arch-neutral store (the arm64
 * build restores the jar the native Maven build made: no Maven, no JDK under qemu), then the
 * same with `--no-arch-neutral-reuse` (arm64's Maven under qemu, a full emulated build). The
 * two arm64 images must hold the same files: every layer above the run image is compared by
 * its file list with each file's sha256, mode and link target. Then python-hello the same way:
 * the native build makes the arm64 venv (its markupsafe wheel swapped for the aarch64 one) and
 * the arm64 build restores it instead of running pip under qemu. Then a TypeScript app
 * (`tsc -p .` as its build script, pure-JS dev dependencies): the arm64 build restores the
 * native build's node_modules and replays what tsc wrote (dist/) instead of running it.
 *
 * In the long suite (`npm run test:long`): the full emulated Maven build alone takes minutes
 * (~4.5x native), and the multi-arch Java builder needs the arm64 JDKs and JREs. The builder
 * is the reference builder's local variant for both arches (test/e2e/multi-arch-java-builder.ts),
 * made again only when its inputs change. The figures are printed.
 */
import { createHash } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createGunzip } from "node:zlib";
import { extract } from "tar-stream";
import { afterAll, beforeAll, expect, test } from "vitest";
import { type Descriptor, type ImageSource, openImageSource } from "../../builder-packager/src/oci/index.js";
import { multiArchJavaBuilder } from "../e2e/multi-arch-java-builder.js";
import { bundleCli, caBindingArgs, fixtureApp, ROOT, runCli } from "../e2e/support.js";

const ARM64 = { os: "linux", architecture: "arm64" };
let cli: Awaited<ReturnType<typeof bundleCli>>;
let work = "";
let app = "";
let pythonApp = "";
let tsApp = "";
let builder = "";
let ca: string[] = [];

beforeAll(async () => {
  cli = await bundleCli();
  work = await mkdtemp(join(tmpdir(), "cnbkit-e2e-neutral-"));
  app = await fixtureApp("java-hello-neutral", {}, join(ROOT, "examples/apps/java-hello"));
  pythonApp = await fixtureApp("python-hello-neutral", {}, join(ROOT, "examples/apps/python-hello"));
  tsApp = await fixtureApp("typescript-neutral", {}, join(ROOT, "test/e2e/fixtures/typescript"));
  ca = await caBindingArgs();
  builder = await multiArchJavaBuilder();
}, 3_600_000);
afterAll(async () => {
  await cli?.remove();
  if (work) await rm(work, { recursive: true, force: true });
  if (app) await rm(app, { recursive: true, force: true });
  if (pythonApp) await rm(pythonApp, { recursive: true, force: true });
  if (tsApp) await rm(tsApp, { recursive: true, force: true });
});

/** A cold two-platform build of `dir` (java-hello by default) to `oci:<work>/<name>`; its output and time. */
async function buildBoth(
  name: string,
  extra: string[] = [],
  dir = app,
): Promise<{ stdout: string; ms: number; ref: string }> {
  const ref = `oci:${join(work, name)}:latest`;
  const t0 = Date.now();
  const r = await runCli(cli.path, [
    "build",
    dir,
    "--builder",
    builder,
    "--output",
    ref,
    "--platform",
    "linux/amd64,linux/arm64",
    "--cache-dir",
    join(work, `${name}-cache`),
    ...ca,
    ...extra,
  ]);
  const ms = Date.now() - t0;
  if (r.code !== 0) console.log(`${r.stdout}\n${r.stderr}`);
  expect(r.code).toBe(0);
  return { stdout: r.stdout, ms, ref };
}

/** The output lines of one platform's build (from its `===> linux/<arch>` header to the next). */
function section(stdout: string, arch: string): string {
  const start = stdout.indexOf(`===> linux/${arch}`);
  const next = stdout.indexOf("===> linux/", start + 1);
  return stdout.slice(start, next < 0 ? undefined : next);
}

test("java-hello for amd64+arm64: the arm64 build reuses the native jar and runs the lifecycle natively, and its image holds what a full emulated build's does", async () => {
  const reused = await buildBoth("reused");
  // Everything of arm64 under qemu: Maven, the JDK, and the lifecycle itself.
  const full = await buildBoth("full", ["--no-arch-neutral-reuse", "--no-native-lifecycle"]);
  console.log(
    `java-hello cold, linux/amd64+linux/arm64: with arch-neutral reuse ${(reused.ms / 1000).toFixed(1)} s, without ${(full.ms / 1000).toFixed(1)} s`,
  );

  // Native first, Maven there; the arm64 build restores the jar and runs neither Maven nor the JDK.
  expect(reused.stdout.indexOf("===> linux/amd64")).toBeLessThan(reused.stdout.indexOf("===> linux/arm64"));
  expect(section(reused.stdout, "amd64")).toMatch(/Running \.\/mvnw/);
  expect(section(reused.stdout, "amd64")).toContain("Shared maven_build with the other platforms' builds");
  const arm64 = section(reused.stdout, "arm64");
  expect(arm64).toContain("Reusing maven_build from the amd64 build (arch-neutral, key unchanged)");
  expect(arm64).not.toMatch(/Running \.\/mvnw|\(build only\)/);
  expect(section(full.stdout, "arm64")).toMatch(/Running \.\/mvnw/);
  expect(arm64).toMatch(/Running lifecycle [\d.]+ natively/);
  expect(arm64).toMatch(/Running the buildpacks on this machine's Node\.js/);
  expect(section(reused.stdout, "amd64")).not.toMatch(/Running lifecycle [\d.]+ natively/);
  expect(section(full.stdout, "arm64")).not.toMatch(/Running lifecycle [\d.]+ natively/);

  await expectSameArm64Files(reused.ref, full.ref);
}, 3_600_000);

test("python-hello for amd64+arm64: the native build makes the arm64 venv, and the arm64 image holds what pip under qemu gives", async () => {
  const reused = await buildBoth("py-reused", [], pythonApp);
  const full = await buildBoth("py-full", ["--no-arch-neutral-reuse", "--no-native-lifecycle"], pythonApp);
  console.log(
    `python-hello cold, linux/amd64+linux/arm64: with the made venv ${(reused.ms / 1000).toFixed(1)} s, without ${(full.ms / 1000).toFixed(1)} s`,
  );
  const amd64 = section(reused.stdout, "amd64");
  expect(amd64).toContain("Running pip install");
  expect(amd64).toMatch(/markupsafe 3\.0\.4: markupsafe-3\.0\.4-cp\d+-cp\d+-.*aarch64.*\.whl for linux\/arm64/);
  expect(amd64).toContain("Made venv for the linux/arm64 build here");
  const arm64 = section(reused.stdout, "arm64");
  expect(arm64).toContain("Reusing venv from the amd64 build (made for arm64 there, key unchanged)");
  expect(arm64).not.toContain("Running pip install");
  expect(section(full.stdout, "arm64")).toContain("Running pip install");
  await expectSameArm64Files(reused.ref, full.ref);
}, 3_600_000);

test("a TypeScript app for amd64+arm64: tsc runs once, natively, and the arm64 image holds what tsc under qemu gives", async () => {
  const reused = await buildBoth("ts-reused", [], tsApp);
  const full = await buildBoth("ts-full", ["--no-arch-neutral-reuse", "--no-native-lifecycle"], tsApp);
  console.log(
    `typescript cold, linux/amd64+linux/arm64: with the replayed build output ${(reused.ms / 1000).toFixed(1)} s, without ${(full.ms / 1000).toFixed(1)} s`,
  );
  const amd64 = section(reused.stdout, "amd64");
  expect(amd64).toContain("Running npm run build");
  expect(amd64).toContain("Shared build_output with the other platforms' builds");
  const arm64 = section(reused.stdout, "arm64");
  expect(arm64).toContain("Reusing build_modules from the amd64 build (arch-neutral, key unchanged)");
  expect(arm64).toContain("Reusing build_output from the amd64 build (arch-neutral, key unchanged)");
  expect(arm64).not.toContain("Running npm run build");
  expect(section(full.stdout, "arm64")).toContain("Running npm run build");
  await expectSameArm64Files(reused.ref, full.ref);
}, 3_600_000);

/** The two images' arm64 manifests: the same run image, and every layer above it with the same files. */
async function expectSameArm64Files(reusedRef: string, fullRef: string): Promise<void> {
  const a = await appLayers(await openImageSource(reusedRef));
  const b = await appLayers(await openImageSource(fullRef));
  expect(a.runImageLayers).toEqual(b.runImageLayers);
  expect(a.layers.map((l) => l.files.length)).toEqual(b.layers.map((l) => l.files.length));
  let identical = 0;
  for (const [i, layer] of a.layers.entries()) {
    const other = b.layers[i]!;
    if (layer.diffId === other.diffId) identical++;
    expect(layer.files, `layer ${i} (${layer.diffId} / ${other.diffId})`).toEqual(other.files);
  }
  console.log(
    `arm64 images: ${a.layers.length} layers above the run image, ${identical} byte-identical, all with equal files`,
  );
}

/** The arm64 image's layers above its run image, each with its diffID and its files. */
async function appLayers(
  source: ImageSource,
): Promise<{ runImageLayers: string[]; layers: { diffId: string; files: string[] }[] }> {
  const image = await source.image(ARM64);
  const diffIds = image.config.rootfs.diff_ids;
  const meta = JSON.parse(image.config.config?.Labels?.["io.buildpacks.lifecycle.metadata"] ?? "{}");
  const top = diffIds.indexOf(meta.runImage?.topLayer);
  expect(top).toBeGreaterThanOrEqual(0);
  const layers: { diffId: string; files: string[] }[] = [];
  for (const [i, desc] of image.manifest.manifest.layers.entries()) {
    if (i <= top) continue;
    layers.push({ diffId: diffIds[i]!, files: await layerFiles(source, desc) });
  }
  return { runImageLayers: diffIds.slice(0, top + 1), layers };
}

/** A layer's entries as sorted lines: path, type, mode, uid:gid, and the content's sha256 or the link target. */
async function layerFiles(source: ImageSource, desc: Descriptor): Promise<string[]> {
  const out: string[] = [];
  const tar = extract();
  tar.on("entry", (header, stream, next) => {
    const hash = createHash("sha256");
    stream.on("data", (c: unknown) => hash.update(c as Buffer));
    stream.on("end", () => {
      const what = header.type === "file" ? hash.digest("hex") : (header.linkname ?? "");
      out.push(`${header.name} ${header.type} ${(header.mode ?? 0).toString(8)} ${header.uid}:${header.gid} ${what}`);
      next();
    });
    stream.resume();
  });
  const done = new Promise<void>((res, rej) => {
    tar.on("finish", res);
    tar.on("error", rej);
  });
  const blob = await source.blob(desc.digest, desc.size);
  blob.pipe(createGunzip()).pipe(tar);
  await done;
  return out.sort();
}

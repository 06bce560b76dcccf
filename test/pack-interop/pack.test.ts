/**
 * cnbkit's buildpackages and builders read and used by pack v0.40.6, the CNB reference CLI,
 * built from its Go module by scripts/fetch-pack.sh (cached in ~/.cache/cnbkit/pack). pack
 * runs with no Docker daemon: it reads files and registries, and writes with --publish, to a
 * loopback distribution registry.
 */
import { execFileSync } from "node:child_process";
import { cp, mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { createBuilder } from "../../builder-packager/src/builder/index.js";
import { writeTestBaseImage } from "../../builder-packager/src/builder/test-fixtures.js";
import { copyImage, openImageSink, openImageSource } from "../../builder-packager/src/oci/image-store.js";
import { startRegistry, type TestRegistry } from "../../builder-packager/src/oci/test-registry.js";
import { packageBuildpack } from "../../builder-packager/src/package/index.js";
import { skopeoInspect, writeShellBuildpack } from "../../builder-packager/src/package/test-fixtures.js";
import { outputSection, runCli } from "../support/cli.js";
import { lifecycleDir } from "../support/lifecycle.js";
import { ensurePack, packEnv, runPack } from "../support/pack.js";
import { E2E_DIR, referenceBuilder } from "../e2e/support.js";

let root: string;
let registry: TestRegistry;
let env: NodeJS.ProcessEnv;

beforeAll(async () => {
  ensurePack();
  root = await mkdtemp(join(tmpdir(), "cnbkit-pack-interop-"));
  registry = await startRegistry();
  // No daemon: pack must do everything from files and the registry.
  env = await packEnv(root);
});

afterAll(async () => {
  await registry?.stop();
  if (root) await rm(root, { recursive: true, force: true });
});

/** Runs pack with no daemon; its exit code, stdout and stderr. */
const pack = (args: string[]) => runPack(args, env);

/** The lifecycle as its release tarball lays it out: lifecycle.toml at the top, binaries in lifecycle/. */
async function lifecycleReleaseTarball(): Promise<string> {
  const rel = join(root, "lifecycle-release");
  await cp(lifecycleDir(), join(rel, "lifecycle"), { recursive: true, verbatimSymlinks: true });
  await rm(join(rel, "lifecycle", "lifecycle.toml"));
  await cp(join(lifecycleDir(), "lifecycle.toml"), join(rel, "lifecycle.toml"));
  const tgz = join(root, "lifecycle-v0.21.17+linux.x86-64.tgz");
  execFileSync("tar", ["-czf", tgz, "-C", rel, "lifecycle.toml", "lifecycle"]);
  return tgz;
}

describe("pack reads cnbkit's output", () => {
  test("pack buildpack inspect reads every --format file output, one target and two", async () => {
    const bp = await writeShellBuildpack(join(root, "bp"), {
      id: "acme/interop",
      version: "1.2.3",
      extraToml: '\n[[targets]]\nos = "linux"\narch = "arm64"\n',
    });
    const one = await packageBuildpack({ dir: bp, format: "file", output: join(root, "one", "interop.cnb") });
    const two = await packageBuildpack({
      dir: bp,
      format: "file",
      output: join(root, "two", "interop.cnb"),
      targets: ["linux/amd64,linux/arm64"],
    });
    const files = [one.output, ...(two.files ?? [])];
    expect(files).toHaveLength(3);
    for (const file of files) {
      const r = await pack(["buildpack", "inspect", file]);
      expect(r.stderr).not.toMatch(/ERROR/);
      expect(r.code).toBe(0);
      expect(r.stdout).toContain("acme/interop");
      expect(r.stdout).toContain("1.2.3");
    }
  });

  test("pack builder inspect of a published reference builder shows its run image by registry name", async () => {
    await referenceBuilder(); // prepares the reference builder's local variant (and its base images)
    const ref = `${registry.host}/cnbkit/builder:interop`;
    const result = await createBuilder({ config: join(E2E_DIR, "reference-local", "builder.toml"), output: ref });
    const runRef = `${registry.host}/cnbkit/builder-run:interop`;
    expect(result.runImages[0]?.image).toBe(runRef);
    const r = await pack(["builder", "inspect", ref]);
    // The local half needs a daemon; the remote half is what we check.
    const remote = r.stdout.slice(r.stdout.indexOf("REMOTE:"));
    expect(remote).toContain("cnbkit/nodejs");
    expect(remote).toMatch(new RegExp(`Run Images:\\s+${runRef.replaceAll(".", "\\.")}`));
    expect(r.stdout).not.toContain("oci:");
    expect((await skopeoInspect(`docker://${runRef}`, ["--tls-verify=false"])).Architecture).toBe("amd64");
  });

  test("pack builder inspect reads a cnbkit builder with an image extension and its order (and a system buildpack among its buildpacks)", async () => {
    await referenceBuilder(); // for the local lifecycle its builder.toml names
    const reference = await readFile(join(E2E_DIR, "reference-local", "builder.toml"), "utf8");
    const lifecycle = /^\[lifecycle\][\s\S]*?(?=^\[|(?![\s\S]))/m.exec(reference)?.[0] ?? "";
    expect(lifecycle).toMatch(/^\[lifecycle\]/);
    const app = await writeShellBuildpack(join(root, "ext-app"), { id: "acme/app", version: "1.0.0" });
    const post = await writeShellBuildpack(join(root, "ext-post"), { id: "acme/post", version: "1.0.0" });
    const ext = join(root, "ext-apt");
    await mkdir(join(ext, "bin"), { recursive: true });
    await writeFile(join(ext, "extension.toml"), 'api = "0.10"\n[extension]\nid = "acme/apt"\nversion = "2.0.0"\n');
    for (const bin of ["detect", "generate"])
      await writeFile(join(ext, "bin", bin), "#!/bin/sh\nexit 0\n", { mode: 0o755 });
    const base = await writeTestBaseImage(join(root, "ext-base"), "build");
    await copyImage(await openImageSource(base), await openImageSink(`${registry.host}/acme/ext-base:build`));
    const config = join(root, "ext-builder.toml");
    await writeFile(
      config,
      `[[buildpacks]]\nuri = "${app}"\n[[buildpacks]]\nuri = "${post}"\n[[extensions]]\nid = "acme/apt"\nuri = "${ext}"\n` +
        `[[order]]\n[[order.group]]\nid = "acme/app"\n[[order-extensions]]\n[[order-extensions.group]]\nid = "acme/apt"\n` +
        `[system]\n[[system.post.buildpacks]]\nid = "acme/post"\n` +
        `[build]\nimage = "${registry.host}/acme/ext-base:build"\n[run]\n[[run.images]]\nimage = "${registry.host}/acme/ext-base:build"\n\n${lifecycle}`,
    );
    const ref = `${registry.host}/acme/ext-builder:1`;
    await createBuilder({ config, output: ref });
    const r = await pack(["builder", "inspect", ref]);
    const remote = r.stdout.slice(r.stdout.indexOf("REMOTE:"));
    // pack lists the extension and its detection order beside the buildpacks'.
    expect(remote).toMatch(/Extensions:\s+ID\s+NAME\s+VERSION\s+HOMEPAGE\s+acme\/apt\s+-\s+2\.0\.0/);
    expect(remote).toMatch(/Detection Order \(Extensions\):\s+└ acme\/apt@2\.0\.0/);
    expect(remote).toMatch(/acme\/app@1\.0\.0/);
    // pack 0.40.6's inspect has no section for [system]: the system buildpack is listed as a buildpack.
    expect(remote).toMatch(/acme\/post\s+acme\/post shell\s+1\.0\.0/);
    // cnbkit's inspect draws the extension sections as pack does, and shows [system] in a section of its own.
    const ours = await runCli(["builder", "inspect", ref, "--insecure-registry"]);
    expect(ours.code, ours.err).toBe(0);
    for (const section of ["Extensions:", "Detection Order (Extensions):"])
      expect(outputSection(ours.out, section)).toEqual(outputSection(remote, section));
    expect(outputSection(ours.out, "System Buildpacks:")).toEqual(["System Buildpacks:", "  Post:", "    acme/post"]);
  });

  test("pack builder create --publish takes cnbkit's buildpackages (a .cnb per target and a registry image)", async () => {
    const bp = await writeShellBuildpack(join(root, "bp-a"), {
      id: "acme/a",
      version: "1.0.0",
      extraToml: '\n[[targets]]\nos = "linux"\narch = "arm64"\n',
    });
    const b = await writeShellBuildpack(join(root, "bp-b"), { id: "acme/b", version: "2.0.0" });
    const a = await packageBuildpack({
      dir: bp,
      format: "file",
      output: join(root, "pkgs", "a.cnb"),
      targets: ["linux/amd64,linux/arm64"],
    });
    const amd64 = a.files?.find((f) => f.endsWith("a-linux-amd64.cnb"));
    expect(amd64).toBeDefined();
    await packageBuildpack({ dir: b, format: "image", output: `${registry.host}/acme/b:2.0.0` });
    // A small build/run image (the CNB user and base labels), pushed for pack to pull.
    const base = await writeTestBaseImage(join(root, "base"), "build");
    await copyImage(await openImageSource(base), await openImageSink(`${registry.host}/acme/base:build`));
    const config = join(root, "pack-builder.toml");
    await writeFile(
      config,
      `[[buildpacks]]\nuri = "${amd64}"\n\n[[buildpacks]]\nimage = "${registry.host}/acme/b:2.0.0"\n\n` +
        `[[order]]\n[[order.group]]\nid = "acme/a"\n[[order.group]]\nid = "acme/b"\n\n` +
        `[build]\nimage = "${registry.host}/acme/base:build"\n\n[run]\n[[run.images]]\nimage = "${registry.host}/acme/base:build"\n\n` +
        `[lifecycle]\nuri = "${await lifecycleReleaseTarball()}"\n`,
    );
    const ref = `${registry.host}/acme/pack-builder:1`;
    const r = await pack(["builder", "create", ref, "--config", config, "--publish", "--pull-policy", "always"]);
    expect(r.stderr).not.toMatch(/ERROR/);
    expect(r.code).toBe(0);
    const info = await skopeoInspect(`docker://${ref}`, ["--tls-verify=false"]);
    const meta = JSON.parse(info.Labels["io.buildpacks.builder.metadata"] ?? "{}");
    expect(meta.buildpacks.map((x: { id: string }) => x.id).sort()).toEqual(["acme/a", "acme/b"]);
    expect(meta.lifecycle.version).toBe("0.21.17");
  });
});

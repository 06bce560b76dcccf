/**
 * `cnbkit builder inspect` against pack's own `pack builder inspect` (v0.40.6, built by
 * scripts/fetch-pack.sh) of the same reference builder, pushed to a loopback registry: the
 * JSON field by field, and the Buildpacks and Detection Order sections line by line.
 */
import { execFile, execFileSync } from "node:child_process";
import { mkdir, mkdtemp, rm } from "node:fs/promises";
import { homedir, tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { referenceBuilder, ROOT } from "../../../test/e2e/support.js";
import { copyImage, openImageSink, openImageSource } from "../oci/index.js";
import { startRegistry, type TestRegistry } from "../oci/test-registry.js";
import { inspectBuilder } from "./index.js";
import { runCli, outputSection } from "../../../test/support/cli.js";

const run = promisify(execFile);
const PACK = join(process.env.CNBKIT_CACHE ?? join(homedir(), ".cache", "cnbkit"), "pack", "0.40.6", "pack");

let root: string;
let registry: TestRegistry;
let builder: string;
let published: string;

beforeAll(async () => {
  execFileSync("bash", [join(ROOT, "scripts", "fetch-pack.sh")], { stdio: "inherit" });
  root = await mkdtemp(join(tmpdir(), "cnbkit-builder-inspect-"));
  await mkdir(join(root, "docker"));
  await mkdir(join(root, "pack-home"));
  builder = await referenceBuilder();
  registry = await startRegistry();
  published = `${registry.host}/cnbkit/builder:inspect`;
  await copyImage(await openImageSource(builder), await openImageSink(published));
}, 600_000);

afterAll(async () => {
  await registry?.stop();
  if (root) await rm(root, { recursive: true, force: true });
});

/** pack with no Docker daemon: it reads the registry only (its REMOTE half). */
async function pack(args: string[]): Promise<string> {
  const env = {
    ...process.env,
    DOCKER_CONFIG: join(root, "docker"),
    PACK_HOME: join(root, "pack-home"),
    DOCKER_HOST: `unix://${join(root, "no-docker.sock")}`,
  };
  const r = await run(PACK, [...args, "--no-color"], { env, maxBuffer: 64 << 20 }).catch(
    (e: { stdout?: string; stderr?: string }) => ({ stdout: e.stdout ?? "", stderr: e.stderr ?? "" }),
  );
  return r.stdout;
}

describe("cnbkit builder inspect", () => {
  test("shows the reference builder as pack builder inspect does, field by field", async () => {
    // pack's --output json needs its daemon half too; its text's REMOTE half is read instead.
    const text = await pack(["builder", "inspect", published]);
    const remote = text.slice(text.indexOf("REMOTE:"), text.indexOf("LOCAL:"));
    const field = (re: RegExp) => re.exec(remote)?.[1];
    const ours = await inspectBuilder(published);
    expect(ours.description).toBe(field(/^Description: (.*)$/m));
    expect(ours.created_by.name).toBe(field(/^Created By:\n {2}Name: (.*)$/m));
    expect(ours.created_by.version).toBe(field(/^ {2}Version: (.*)$/m));
    expect(ours.stack?.id).toBe(field(/^Stack:\n {2}ID: (.*)$/m));
    expect(ours.lifecycle.version).toBe(field(/^Lifecycle:\n {2}Version: (.*)$/m));
    const apis = [...remote.matchAll(/^ {4}Supported: (.*)$/gm)].map((m) => m[1]!.split(", "));
    expect([ours.lifecycle.buildpack_apis.supported, ours.lifecycle.platform_apis.supported]).toEqual(apis);
    expect(ours.run_images.map((r) => `  ${r.name}`)).toEqual(outputSection(remote, "Run Images:").slice(1));
    const rows = outputSection(remote, "Buildpacks:")
      .slice(2)
      .map((l) => l.trim().split(/\s+/));
    const words = (s?: string) => (s ? s.split(" ") : ["-"]);
    expect(ours.buildpacks.map((b) => [b.id, ...words(b.name), b.version, b.homepage ?? "-"])).toEqual(rows);
    const orderIds = outputSection(remote, "Detection Order:")
      .map((l) => /(\S+@\S+)/.exec(l)?.[1])
      .filter(Boolean);
    expect(ours.detection_order.flatMap((g) => (g.buildpacks ?? []).map((b) => `${b.id}@${b.version}`))).toEqual(
      orderIds,
    );
    // The same facts from the OCI layout the registry image was copied from.
    const fromLayout = await inspectBuilder(builder);
    expect({ ...fromLayout, image: undefined }).toEqual({ ...ours, image: undefined });
    expect(fromLayout.detection_order[0]?.buildpacks?.map((b) => b.id)).toContain("cnbkit/nodejs");
  });

  test("prints the Buildpacks table and the Detection Order tree as pack does", async () => {
    const theirs = await pack(["builder", "inspect", published]);
    const remote = theirs.slice(theirs.indexOf("REMOTE:"));
    const ours = await runCli(["builder", "inspect", published]);
    expect(ours.err).toBe("");
    expect(ours.code).toBe(0);
    expect(outputSection(ours.out, "Buildpacks:")).toEqual(outputSection(remote, "Buildpacks:"));
    expect(outputSection(ours.out, "Detection Order:")).toEqual(outputSection(remote, "Detection Order:"));
    expect(outputSection(ours.out, "Run Images:")).toEqual(outputSection(remote, "Run Images:"));
    expect(outputSection(ours.out, "Lifecycle:")).toEqual(outputSection(remote, "Lifecycle:"));
    const json = JSON.parse((await runCli(["builder", "inspect", builder, "--json"])).out);
    expect(json.lifecycle.version).toBe("0.21.17");
  });

  test("bad input is one line naming it, exit non-zero", async () => {
    const missing = await runCli(["builder", "inspect", `oci:${join(root, "nothing")}`]);
    expect(missing.code).not.toBe(0);
    expect(missing.err.split("\n")[0]).toMatch(/^error: .*nothing/);
    expect(missing.err).not.toMatch(/\n\s+at /);
    const depth = await runCli(["builder", "inspect", builder, "--depth", "x"]);
    expect(depth.code).toBe(1);
    expect(depth.err).toMatch(/^error: --depth "x" is not a whole number/);
    const platform = await runCli(["builder", "inspect", builder, "--platform", "linux/s390x"]);
    expect(platform.code).toBe(1);
    expect(platform.err).toMatch(/^error: builder .* is linux\/amd64 only; linux\/s390x was asked$/m);
  });
});

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
import { main } from "../cli/main.js";
import { copyImage, openImageSink, openImageSource } from "../oci/index.js";
import { startRegistry, type TestRegistry } from "../oci/test-registry.js";
import { inspectBuilder } from "./index.js";

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

async function cli(args: string[]): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(args, { out: (l) => out.push(l), err: (l) => err.push(l) });
  return { code, out: out.join("\n"), err: err.join("\n") };
}

/** The lines of a section ("Buildpacks:") up to the next blank line. */
function section(text: string, title: string): string[] {
  const lines = text.split("\n");
  const start = lines.indexOf(title);
  expect(start, `no "${title}" in:\n${text}`).toBeGreaterThanOrEqual(0);
  const end = lines.findIndex((l, i) => i > start && l.trim() === "");
  return lines.slice(start, end < 0 ? undefined : end);
}

describe("cnbkit builder inspect", () => {
  test("shows the reference builder as pack builder inspect does, field by field", async () => {
    const packJson = JSON.parse(await pack(["builder", "inspect", published, "--output", "json"]));
    const theirs = packJson.remote_info;
    expect(theirs).toBeTruthy();
    const ours = await inspectBuilder(published);
    expect(ours.detection_order).toEqual(theirs.detection_order);
    expect(ours.buildpacks).toEqual(theirs.buildpacks);
    expect(ours.run_images).toEqual(theirs.run_images);
    expect(ours.stack).toEqual(theirs.stack);
    expect(ours.description).toEqual(theirs.description);
    expect(ours.created_by).toEqual(theirs.created_by);
    expect(ours.lifecycle).toEqual(theirs.lifecycle);
    // The same facts from the OCI layout the registry image was copied from.
    const fromLayout = await inspectBuilder(builder);
    expect({ ...fromLayout, image: undefined }).toEqual({ ...ours, image: undefined });
    expect(fromLayout.detection_order[0]?.buildpacks?.map((b) => b.id)).toContain("cnbkit/nodejs");
  });

  test("prints the Buildpacks table and the Detection Order tree as pack does", async () => {
    const theirs = await pack(["builder", "inspect", published]);
    const remote = theirs.slice(theirs.indexOf("REMOTE:"));
    const ours = await cli(["builder", "inspect", published]);
    expect(ours.err).toBe("");
    expect(ours.code).toBe(0);
    expect(section(ours.out, "Buildpacks:")).toEqual(section(remote, "Buildpacks:"));
    expect(section(ours.out, "Detection Order:")).toEqual(section(remote, "Detection Order:"));
    expect(section(ours.out, "Run Images:")).toEqual(section(remote, "Run Images:"));
    expect(section(ours.out, "Lifecycle:")).toEqual(section(remote, "Lifecycle:"));
    const json = JSON.parse((await cli(["builder", "inspect", builder, "--json"])).out);
    expect(json.lifecycle.version).toBe("0.21.17");
  });

  test("bad input is one line naming it, exit non-zero", async () => {
    const missing = await cli(["builder", "inspect", `oci:${join(root, "nothing")}`]);
    expect(missing.code).not.toBe(0);
    expect(missing.err.split("\n")[0]).toMatch(/^error: .*nothing/);
    expect(missing.err).not.toMatch(/\n\s+at /);
    const depth = await cli(["builder", "inspect", builder, "--depth", "x"]);
    expect(depth.code).toBe(1);
    expect(depth.err).toMatch(/^error: --depth "x" is not a whole number/);
    const platform = await cli(["builder", "inspect", builder, "--platform", "linux/s390x"]);
    expect(platform.code).toBe(1);
    expect(platform.err).toMatch(/no linux\/s390x image/);
  });
});

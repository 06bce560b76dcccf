/**
 * `cnbkit fleet patch`, end to end with real images: examples/apps/node-hello built with the
 * local reference builder on Node.js 24.20.0 (BP_NODE_VERSION) and, as the reference, on
 * 24.21.0, both by the real lifecycle. The old image, pushed to three repositories of a real
 * docker-registry, is patched to 24.21.0 without a rebuild: the plan, the patch with
 * --sign-key, a tag pushed since the scan left alone, a re-run that does nothing, the patched
 * image equal to the fresh build's digest, cosign and `cnbkit verify` accepting it, its SBOM
 * attestation naming 24.21.0, and the image answering HTTP on the new runtime.
 *
 * In the long suite: two real builds (~35 s) are more than an e2e file of test:all may cost.
 */
import { readFile, rm } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import type { FleetPatchReport } from "../../builder-packager/src/fleet/index.js";
import { copyImage, openImageSink, openImageSource } from "../../builder-packager/src/oci/index.js";
import { startRegistry, type TestRegistry } from "../../builder-packager/src/oci/test-registry.js";
import { cosignKeyPair } from "../../builder-packager/src/supply-chain/test-cosign.js";
import { BASE_LAYOUT, cliSession, fixtureApp, getFromImage, ROOT, runCli } from "../e2e/support.js";
import { cosignOnPatched } from "./cosign-patched.js";

const e2e = cliSession("fleet-patch");
const PASSWORD = "fleet-patch-password";
let registry: TestRegistry;
let keys: { key: string; pub: string };
let reference = "";
let refDigest = "";
const repos = ["shop/cart", "shop/search", "blog/web"];

const cli = (args: string[]) => runCli(e2e.cli, args, undefined, { env: { COSIGN_PASSWORD: PASSWORD } });

async function push(from: string, to: string): Promise<string> {
  const r = await copyImage(await openImageSource(from), await openImageSink(to));
  return r.descriptor.digest;
}

beforeAll(async () => {
  registry = await startRegistry();
  keys = await cosignKeyPair(e2e.work, PASSWORD);
  const app = await fixtureApp("node-hello", {}, join(ROOT, "examples/apps/node-hello"));
  const build = async (version: string, name: string) => {
    const out = `oci:${join(e2e.work, name)}:latest`;
    const args = ["build", app, "--builder", e2e.builder, "--output", out, "--env", `BP_NODE_VERSION=${version}`];
    const r = await runCli(e2e.cli, [...args, "--cache-dir", join(e2e.work, `cache-${name}`), ...e2e.ca]);
    expect(r.code, r.stderr).toBe(0);
    return out;
  };
  const [old, fresh] = [await build("24.20.0", "old"), await build("24.21.0", "fresh")];
  await rm(app, { recursive: true, force: true });
  for (const repo of repos) await push(old, `${registry.host}/${repo}:v1`);
  await push(old, `${registry.host}/shop/cart:v1-moved`);
  reference = `${registry.host}/shop/cart:node-24.21.0`;
  refDigest = await push(fresh, reference);
}, 600_000);

afterAll(async () => {
  await registry?.stop();
});

describe("fleet patch", () => {
  let report: FleetPatchReport;
  const inventoryFile = () => join(e2e.work, "fleet.json");

  test("the plan names each image's runtime change and what is kept with it", async () => {
    const scan = await cli(["fleet", "scan", `${registry.host}/`, "-o", inventoryFile()]);
    expect(scan.code, scan.stderr).toBe(0);
    const dry = await cli(["fleet", "patch", "-i", inventoryFile(), "--from", reference, "--dry-run"]);
    expect(dry.code, dry.stderr).toBe(0);
    expect(dry.stdout).toContain(`Reference ${reference} offers cnbkit/nodejs:node (node 24.21.0)`);
    // The three repositories' v1 (and v1-moved, the same digest as cart:v1) to patch; the reference is current.
    expect(dry.stdout).toMatch(
      /^Plan: 3 to patch, 1 already current, 0 cannot be patched, 0 without these layers \(4 configs read in [\d.]+s\)$/m,
    );
    expect(dry.stdout).toContain("    cnbkit/nodejs:node: node 24.20.0 → 24.21.0");
    expect(dry.stdout).toMatch(/keeps native addons in node_modules \(\*\.node\)/);
  }, 120_000);

  test("patched with --sign-key; a tag pushed since the scan is left; the result is the fresh build, byte for byte", async () => {
    // Pushed since the scan (another image): this tag is not the patch's to move.
    await push(`oci:${BASE_LAYOUT}:run`, `${registry.host}/shop/cart:v1-moved`);
    const file = join(e2e.work, "patch.json");
    const r = await cli([
      "fleet",
      "patch",
      "-i",
      inventoryFile(),
      "--from",
      reference,
      "--sign-key",
      keys.key,
      "--report",
      file,
    ]);
    expect(r.code, r.stderr).toBe(0);
    report = JSON.parse(await readFile(file, "utf8")) as FleetPatchReport;
    const kinds = report.outcomes.map((o) => `${o.ref.slice(registry.host.length + 1)} ${o.kind}`);
    expect(kinds).toEqual([
      "blog/web:v1 patched",
      "shop/cart:v1 patched",
      "shop/cart:v1-moved skipped",
      "shop/search:v1 patched",
    ]);
    // Same layers, same config, same SBOM layer as a build from scratch on 24.21.0.
    const open = async (r: string) => (await openImageSource(r)).image();
    const [patched, fresh] = [await open(`${registry.host}/blog/web:v1`), await open(reference)];
    expect(patched.config.rootfs.diff_ids).toEqual(fresh.config.rootfs.diff_ids);
    expect(patched.manifest.manifest.config).toEqual(fresh.manifest.manifest.config);
    for (const o of report.outcomes) if (o.kind === "patched") expect(o.to).toBe(refDigest);
    const again = await cli(["fleet", "patch", "-i", inventoryFile(), "--from", reference]);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout).toMatch(/^Plan: 0 to patch, 3 already current, 0 cannot be patched/m);
  }, 300_000);

  test("cosign and cnbkit verify accept the patched image; its provenance records the patch; it answers on 24.21.0", async () => {
    const ref = `${registry.host}/blog/web:v1`;
    const { patch, sboms: docs } = await cosignOnPatched(ref, keys.pub);
    expect(patch.layers).toEqual(["cnbkit/nodejs:node"]);
    expect(patch.layer.annotations).toMatchObject({ dependency: "node", from: "24.20.0", to: "24.21.0" });
    expect(
      docs.filter((d) => d.includes('"name":"node"')).map((d) => /"version":"(24\.[0-9.]+)"/.exec(d)?.[1]),
    ).toEqual(["24.21.0"]);
    const cnbkitVerify = await cli(["verify", ref, "--key", keys.pub]);
    expect(cnbkitVerify.code, cnbkitVerify.stdout + cnbkitVerify.stderr).toBe(0);
    expect(await getFromImage(ref)).toMatch(/^200 Hello from node-hello on Node v24\.21\.0/);
  }, 180_000);
});

/**
 * The `pack build` flags of `cnbkit build` with the real lifecycle: node-hello with a
 * Procfile of two servers, built with --default-process, --tag, --creation-time, the SBOM
 * and report outputs; rebuilt with --clear-cache; and built twice against a registry cache
 * (--cache-image) from two fresh cache dirs, the second reusing what the first left there.
 */
import { spawnSync } from "node:child_process";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { startRegistry, type TestRegistry } from "../../builder-packager/src/oci/test-registry.js";
import { type BuildOptions, buildApp } from "../../builder-packager/src/platform/index.js";
import { fixtureApp, getFromImage, ROOT, useReferenceBuilder } from "./support.js";

const HELLO = /^200 Hello from node-hello on Node v24\.21\.0/;
const ALT_SERVER = `require("node:http").createServer((_q, r) => r.end("alt process\\n"))
  .listen(Number(process.env.PORT || 8080), process.env.HOST || "0.0.0.0");\n`;
const PROCFILE = "web: node server.js\nalt: node alt.js\n";

let work = "";
let app = "";
let registry: TestRegistry | undefined;

const ref = useReferenceBuilder();
beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), "cnbkit-e2e-flags-"));
  app = await fixtureApp("flags", { Procfile: PROCFILE, "alt.js": ALT_SERVER }, join(ROOT, "examples/apps/node-hello"));
});
afterAll(async () => {
  await registry?.stop();
  if (work) await rm(work, { recursive: true, force: true });
  if (app) await rm(app, { recursive: true, force: true });
});

async function build(opts: Partial<BuildOptions>): Promise<{ text: string; digest: string }> {
  const lines: string[] = [];
  const r = await buildApp({
    appDir: app,
    builder: ref.builder,
    bindings: ref.bindings,
    output: "",
    onOutput: (l) => lines.push(l),
    ...opts,
  });
  return { text: lines.join("\n"), digest: r.digest };
}

function skopeo(...args: string[]): Record<string, unknown> {
  const r = spawnSync("skopeo", ["inspect", ...args], { encoding: "utf8" });
  expect(r.status, r.stderr).toBe(0);
  return JSON.parse(r.stdout);
}

describe.sequential("pack build flags", () => {
  const image = () => `oci:${join(work, "out")}:latest`;
  const cacheDir = () => join(work, "cache");

  test("--default-process, --tag, --creation-time, --sbom-output-dir, --report-output-dir", async () => {
    const r = await build({
      output: image(),
      cacheDir: cacheDir(),
      defaultProcess: "alt",
      tags: [`oci:${join(work, "tagged")}:v2`],
      creationTime: 1_700_000_000,
      sbomOutputDir: join(work, "sbom"),
      reportOutputDir: join(work, "report"),
    });
    expect(await getFromImage(image())).toBe("200 alt process\n");
    const config = skopeo("--config", image()) as { created: string; config: { Entrypoint: string[] } };
    expect(config.config.Entrypoint).toEqual(["/cnb/process/alt"]);
    expect(config.created).toBe("2023-11-14T22:13:20Z");
    expect((skopeo(`oci:${join(work, "tagged")}:v2`) as { Digest: string }).Digest).toBe(r.digest);
    const report = await readFile(join(work, "report/report.toml"), "utf8");
    // What was written, not the lifecycle's layout repository.
    expect(report).toContain(`tags = [ "${image()}", "oci:${join(work, "tagged")}:v2" ]`);
    expect(report).toContain(`digest = "${r.digest}"`);
    expect(report).not.toMatch(/layout-repo/);
    const sbom = JSON.parse(
      await readFile(join(work, "sbom/launch/cnbkit_nodejs/launch_modules/sbom.cdx.json"), "utf8"),
    );
    expect(sbom.components.map((c: { purl: string }) => c.purl)).toEqual(["pkg:npm/ms@2.1.3"]);
  }, 600_000);

  test("--clear-cache makes the rebuild reinstall, and says why; without --default-process web is back", async () => {
    const r = await build({ output: image(), cacheDir: cacheDir(), clearCache: true });
    expect(r.text).toMatch(/^Clearing the build cache \(--clear-cache\): every layer is built afresh$/m);
    expect(r.text).toMatch(/Running npm ci$/m);
    expect(r.text).not.toMatch(/Reusing launch_modules \(key unchanged\)/);
    expect(await getFromImage(image())).toMatch(HELLO);
    const config = skopeo("--config", image()) as { created: string; config: { Entrypoint: string[] } };
    expect(config.config.Entrypoint).toEqual(["/cnb/process/web"]);
    expect(config.created).toBe("1980-01-01T00:00:01Z");
  }, 600_000);

  test("--cache-image: a build on a fresh cache dir reuses the layers the registry cache holds", async () => {
    registry = await startRegistry();
    const cacheImage = `${registry.host}/flags-cache`;
    const first = await build({ output: `oci:${join(work, "c1")}:latest`, cacheImage, cnbkitCache: join(work, "k1") });
    expect(first.text).toMatch(/Running npm ci$/m);
    expect(
      (skopeo(`docker://${cacheImage}`, "--tls-verify=false") as { Layers: string[] }).Layers.length,
    ).toBeGreaterThan(0);
    expect(first.text).not.toMatch(/Restoring data for .* from cache/);
    const second = await build({ output: `oci:${join(work, "c2")}:latest`, cacheImage, cnbkitCache: join(work, "k2") });
    // No previous image on this "machine": the launch layers are rebuilt (the lifecycle restores
    // a launch layer only with its app image), the cache-only layers come from the registry.
    expect(second.text).toMatch(/Restoring data for "cnbkit\/nodejs:package_manager_cache" from cache/);
    expect(second.text).toMatch(/Reusing package_manager_cache \(key unchanged\)/);
    expect(second.text).toMatch(/Reusing cache layer 'cnbkit\/nodejs:package_manager_cache'/);
    expect(await getFromImage(`oci:${join(work, "c2")}:latest`)).toMatch(HELLO);
  }, 600_000);
});

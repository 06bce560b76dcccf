/**
 * A cached layer across two builds by the real builder, with the platform's restore
 * simulated in between exactly as the restorer leaves things: cache layers come back with
 * their directory and a `<layer>.toml` holding `[metadata]` only (no `[types]`), a
 * launch-only layer comes back as its TOML alone (the exporter reuses the previous image's
 * layer), store.toml is restored, and everything else the builder wrote is gone.
 */
import { readdir, readFile, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, expect, test } from "vitest";
import { stringifyToml } from "@cnbkit/framework/cnb-files";
import { writeFrameworkBuildpack } from "../support/buildpack.js";
import {
  build,
  createWorkspace,
  detect,
  exists,
  type PhaseResult,
  readLifecycleToml,
  type Workspace,
  writeOrder,
} from "../support/lifecycle.js";

let ws: Workspace;
let first: PhaseResult;
let second: PhaseResult;
let firstNonce: string;
let firstDepsToml: Record<string, unknown>;

const bpLayers = (...parts: string[]) => join(ws.layers, "t_cache", ...parts);

/** What the restorer leaves of one buildpack's layers dir before the next build. */
async function simulateRestore(): Promise<void> {
  await rm(join(ws.layers, "config"), { recursive: true, force: true });
  await rm(join(ws.layers, "sbom"), { recursive: true, force: true });
  for (const name of await readdir(bpLayers())) {
    if (!name.endsWith(".toml") || ["launch.toml", "build.toml", "store.toml"].includes(name)) continue;
    const layer = name.slice(0, -".toml".length);
    const toml = (await readLifecycleToml(bpLayers(name)))!;
    const types = (toml.types ?? {}) as { launch?: boolean; cache?: boolean };
    if (!types.cache) await rm(bpLayers(layer), { recursive: true, force: true });
    if (types.cache || types.launch) {
      await writeFile(bpLayers(name), stringifyToml({ metadata: toml.metadata ?? {} }));
    } else {
      await rm(bpLayers(name));
    }
  }
  for (const name of await readdir(bpLayers())) {
    if (name.includes(".sbom.") || name === "launch.toml" || name === "build.toml") await rm(bpLayers(name));
  }
}

beforeAll(async () => {
  ws = await createWorkspace();
  await writeFrameworkBuildpack(ws, {
    id: "t/cache",
    version: "1.0.0",
    source: await readFile(join(import.meta.dirname, "fixtures", "cache.ts"), "utf8"),
    buildpackToml: 'sbom-formats = ["application/vnd.cyclonedx+json"]',
  });
  await writeOrder(ws, [[{ id: "t/cache", version: "1.0.0" }]]);
  await writeFile(join(ws.app, "version.txt"), "1\n");
  const detected = await detect(ws);
  expect(detected.code, detected.output).toBe(0);
  first = await build(ws);
  expect(first.code, first.output).toBe(0);
  firstNonce = await readFile(bpLayers("deps", "nonce"), "utf8");
  firstDepsToml = (await readLifecycleToml(bpLayers("deps.toml")))!;
  await simulateRestore();
  await writeFile(join(ws.app, "version.txt"), "2\n");
  second = await build(ws);
});

afterAll(() => ws?.cleanup());

const report = async () => JSON.parse(await readFile(bpLayers("report", "report.json"), "utf8"));

test("the first build fills every layer and stores the key beside the types", () => {
  expect(first.output).toContain("Filling deps");
  expect(first.output).toContain("Filling tool");
  expect(first.output).toContain("Filling img");
  expect(firstDepsToml).toEqual({
    types: { build: true, launch: false, cache: true },
    metadata: { "cache-key": { lock: "abc" } },
  });
});

test("the second build succeeds", () => {
  expect(second.code, second.output).toBe(0);
});

test("a restored cache layer with an unchanged key is reused: restored state, no refill, contents kept", async () => {
  expect((await report()).deps).toEqual({ kind: "restored", key: { lock: "abc" } });
  expect(second.output).toContain("Reusing deps (key unchanged)");
  expect(second.output).not.toContain("Filling deps");
  expect(await readFile(bpLayers("deps", "nonce"), "utf8")).toBe(firstNonce);
});

test("a restored cache layer whose key changed is reset with the reason and refilled", async () => {
  expect((await report()).tool).toEqual({ kind: "reset", reason: "version 1 → 2" });
  expect(second.output).toContain("Rebuilding tool: version 1 → 2");
  expect(second.output).toContain("Filling tool");
  expect(await readFile(bpLayers("tool", "version"), "utf8")).toBe("2");
});

test("the types the restorer dropped are written again, so the builder keeps the layer", async () => {
  expect((await readLifecycleToml(bpLayers("deps.toml")))?.types).toEqual({ build: true, launch: false, cache: true });
  expect(await exists(bpLayers("deps.ignore"))).toBe(false);
  expect(await exists(bpLayers("deps"))).toBe(true);
});

test("a launch-only layer restored as TOML alone is reused from the image: no directory, launch type kept", async () => {
  expect((await report()).img).toEqual({ kind: "restored", key: { image: "same" } });
  expect(second.output).not.toContain("Filling img");
  expect(await exists(bpLayers("img"))).toBe(false);
  expect((await readLifecycleToml(bpLayers("img.toml")))?.types).toEqual({ build: false, launch: true, cache: false });
});

test("store.toml carries metadata to the next build", async () => {
  expect((await report()).store).toEqual({ builds: 1 });
  expect((await readLifecycleToml(bpLayers("store.toml")))?.metadata).toEqual({ builds: 2 });
});

test("a cache layer's SBOM is collected under sbom/cache and sbom/build on the rebuild", async () => {
  for (const kind of ["cache", "build"]) {
    const cdx = JSON.parse(await readFile(join(ws.layers, "sbom", kind, "t_cache", "deps", "sbom.cdx.json"), "utf8"));
    expect(cdx.components.map((c: { name: string }) => c.name)).toEqual(["dep-lib"]);
  }
});

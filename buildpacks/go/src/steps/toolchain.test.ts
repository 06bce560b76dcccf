import { execFileSync } from "node:child_process";
import { existsSync, lstatSync } from "node:fs";
import { mkdtemp, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { buildpack } from "@cnbkit/framework";
import { runBuild } from "@cnbkit/framework/testing";
import { beforeAll, expect, onTestFinished, test } from "vitest";
import { TEST_ENV, testBuildpackToml } from "../testing/inventory.js";
import { lazyToolchain } from "./toolchain.js";

// The real toolchain zip of the test inventory (cached, file://: the builder carries it, as
// the reference builder's offline buildpackage does).
let toml: string;
beforeAll(async () => {
  toml = await testBuildpackToml(["1.26.11"]);
}, 600_000);

/** The step alone: declares Go 1.26.11 and, when `compiles`, asks for it as the compile step does. */
const bp = (compiles: boolean) =>
  buildpack({
    detect: (ctx) => ctx.pass(),
    async build(ctx) {
      const toolchain = await lazyToolchain(ctx, ctx.dependencies.resolve("go", "1.26.11"));
      if (compiles) await toolchain.get();
      return {};
    },
  });

const run = (compiles: boolean, more: { restore?: string; layerCache?: string } = {}) =>
  runBuild(bp(compiles), { app: {}, buildpackToml: toml, env: TEST_ENV, ...more });

/** What `<layer>/bin/go env` says of GOROOT and the version, run as a later buildpack would. */
const goEnv = (goLayer: string) =>
  execFileSync(join(goLayer, "bin", "go"), ["env", "GOROOT", "GOVERSION"], {
    env: { PATH: "/usr/bin:/bin", HOME: goLayer, GOTOOLCHAIN: "local" },
    encoding: "utf8",
  }).split("\n");

test("with a layer cache, the toolchain is kept by reference in go-toolchain and a rebuild that compiles reuses it; go links into it", async () => {
  const root = await mkdtemp(join(tmpdir(), "cnbkit-go-toolchain-"));
  onTestFinished(() => rm(root, { recursive: true, force: true }));
  const store = join(root, "layers", "go-toolchain");

  const first = await run(true, { layerCache: root });
  expect(first.stdout.join("\n")).toContain("Installing Go 1.26.11 (build only)");
  expect(first.layer("go-toolchain").path).toBe(store);
  expect(first.layer("go-toolchain").toml?.types).toEqual({ cache: true, build: false, launch: false });
  expect(existsSync(join(store, "src", "cmd"))).toBe(false);
  // The build layer holds two symlinks; the go command finds GOROOT through them.
  const go = first.layer("go");
  expect(go.toml?.types).toMatchObject({ build: true, launch: false, cache: false });
  expect((await readdir(join(go.path, "bin"))).sort()).toEqual(["go", "gofmt"]);
  expect(lstatSync(join(go.path, "bin", "go")).isSymbolicLink()).toBe(true);
  expect(goEnv(go.path).slice(0, 2)).toEqual([store, "go1.26.11"]);
  expect(first.buildEnv().GOTOOLCHAIN).toBe("local");
  expect(first.buildEnv().PATH?.split(":")[0]).toBe(join(go.path, "bin"));
  const purls = (first.sbom("go", "cdx") as { components: Array<{ purl?: string }> }).components.map((c) => c.purl);
  expect(purls.some((p) => p?.startsWith("pkg:golang/golang.org/toolchain@v0.0.1-go1.26.11"))).toBe(true);

  // An edit: the compile step asks for go again, and gets the kept one.
  const edited = await run(true, { restore: first.layers, layerCache: root });
  const out = edited.stdout.join("\n");
  expect(out).not.toContain("Installing Go");
  expect(out).toContain("Reusing go-toolchain (key unchanged; kept without installing)");
  expect(goEnv(edited.layer("go").path).slice(0, 2)).toEqual([store, "go1.26.11"]);

  // Nothing to compile: still kept, and linked for later buildpacks.
  const reused = await run(false, { restore: edited.layers, layerCache: root });
  expect(reused.stdout.join("\n")).not.toContain("Installing Go");
  expect(reused.layer("go-toolchain").state.kind).toBe("restored");
  expect(goEnv(reused.layer("go").path)[0]).toBe(store);
  expect(reused.buildEnv().GOTOOLCHAIN).toBe("local");
}, 300_000);

test("without a layer cache, as before: go is the build layer with the toolchain in it, installed by each build that compiles", async () => {
  const first = await run(true);
  expect(first.stdout.join("\n")).toContain("Installing Go 1.26.11 (build only)");
  const go = first.layer("go");
  expect(lstatSync(join(go.path, "bin", "go")).isSymbolicLink()).toBe(false);
  expect(goEnv(go.path)[0]).toBe(go.path);
  // The builder carries the toolchain (file://), so the lifecycle does not cache it.
  expect(go.toml?.types).toMatchObject({ build: true, cache: false });
  expect(existsSync(join(first.layers, "go-toolchain.toml"))).toBe(false);
  const again = await run(true, { restore: first.layers });
  expect(again.stdout.join("\n")).toContain("Installing Go 1.26.11 (build only)");
}, 300_000);

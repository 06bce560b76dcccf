import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { buildpack } from "../contract/index.js";
import { runBuild, runDetect } from "./index.js";

/** A tiny Node.js-like buildpack written the way STYLE.md shows. */
const bp = buildpack<{ dependencies?: unknown[] }>({
  async detect(ctx) {
    const pkg = await ctx.app.readJson("package.json", { optional: true });
    if (!pkg) return ctx.fail("no package.json");
    return ctx.pass({
      provides: [{ name: "node" }],
      requires: [{ name: "node", metadata: { version: pkg.engines?.node, "version-source": "package.json" } }],
    });
  },
  async build(ctx) {
    const dep = ctx.dependencies.resolve("node", ctx.plan.version("node") ?? "*");
    const node = await ctx.layers.cached("node", {
      types: { build: true, launch: true, cache: true },
      key: { version: dep.version, sha256: dep.sha256 },
      async fill(layer) {
        await ctx.dependencies.install(dep, layer.path, { strip: 1 });
      },
    });
    node.env.launch.default("NODE_ENV", "production");
    node.env.build.override("NODE_ENV", "development");
    node.sbom.add(dep.component());
    const lock = (await ctx.app.readText("package-lock.json", { optional: true })) ?? "";
    const modules = await ctx.layers.cached("node_modules", {
      types: { launch: true, cache: false },
      key: { lockfile: createHash("sha256").update(lock).digest("hex") },
      async fill(layer) {
        await mkdir(join(layer.path, "node_modules"), { recursive: true });
        await writeFile(join(layer.path, "node_modules", "installed"), lock);
      },
    });
    modules.env.launch.override("NODE_PATH", join(modules.path, "node_modules"));
    ctx.sbom.launch.add({ name: "app", version: "1.0.0" });
    return {
      processes: [{ type: "web", command: ["node", "server.js"], default: true }],
      labels: [{ key: "org.example.built-by", value: "cnbkit" }],
      store: { builds: Number(ctx.store.builds ?? 0) + 1 },
    };
  },
});

let buildpackToml: string;
let sha: Record<string, string>;

/** Makes node-v<version>.tar.gz (a top dir with bin/node) and returns its sha256. */
async function tarball(dir: string, version: string): Promise<string> {
  const top = join(dir, `node-v${version}`);
  await mkdir(join(top, "bin"), { recursive: true });
  await writeFile(join(top, "bin", "node"), `#!/bin/sh\necho ${version}\n`, { mode: 0o755 });
  const file = join(dir, `node-v${version}.tar.gz`);
  execFileSync("tar", ["-czf", file, "-C", dir, `node-v${version}`]);
  return createHash("sha256")
    .update(await readFile(file))
    .digest("hex");
}

let inventoryDir = "";
afterAll(async () => {
  if (inventoryDir) await rm(inventoryDir, { recursive: true, force: true });
});

beforeAll(async () => {
  const dir = await mkdtemp(join(tmpdir(), "cnbkit-inv-"));
  inventoryDir = dir;
  sha = { "1.0.0": await tarball(dir, "1.0.0"), "1.1.0": await tarball(dir, "1.1.0") };
  const entry = (v: string) => `
[[metadata.dependencies]]
id = "node"
name = "Node.js"
version = "${v}"
uri = "${pathToFileURL(join(dir, `node-v${v}.tar.gz`)).href}"
sha256 = "${sha[v]}"
licenses = ["MIT"]
`;
  buildpackToml = `api = "0.12"

[buildpack]
id = "test/node"
name = "Test Node.js"
version = "0.1.0"
sbom-formats = ["application/vnd.cyclonedx+json", "application/spdx+json"]
${entry("1.0.0")}${entry("1.1.0")}`;
});

const pkg = (range: string) => JSON.stringify({ name: "app", engines: { node: range } });

describe("runDetect", () => {
  test("passes with the plan the buildpack returned", async () => {
    const run = await runDetect(bp, { app: { "package.json": pkg("1.x") }, buildpackToml });
    expect(run.passed).toBe(true);
    expect(run.plans).toEqual([
      {
        provides: [{ name: "node" }],
        requires: [{ name: "node", metadata: { version: "1.x", "version-source": "package.json" } }],
      },
    ]);
  });

  test("fails without package.json and logs the reason", async () => {
    const run = await runDetect(bp, { app: {}, buildpackToml });
    expect(run.result).toEqual({ kind: "fail", reason: "no package.json" });
    expect(run.stdout).toContain("  Skipped: no package.json");
  });

  test("invalid JSON is an error naming the file and line", async () => {
    const broken = '{\n  "name": "app",\n  "engines": }\n';
    await expect(runDetect(bp, { app: { "package.json": broken }, buildpackToml })).rejects.toThrow(
      "package.json: invalid JSON at line 3, column 14: Unexpected token '}'",
    );
  });
});

describe("runBuild", () => {
  test("a first build installs the dependency and writes layers, env, SBOMs, launch.toml and store", async () => {
    const run = await runBuild(bp, { app: { "package.json": pkg("1.0.x"), "package-lock.json": "{}" }, buildpackToml });
    expect(run.layer("node").state).toEqual({ kind: "new" });
    expect(run.layer("node").files).toEqual(["bin/node", "env.build/NODE_ENV.override", "env.launch/NODE_ENV.default"]);
    expect(run.layer("node").toml?.types).toEqual({ build: true, launch: true, cache: true });
    expect(run.processes).toEqual([{ type: "web", command: ["node", "server.js"], default: true }]);
    expect(run.labels).toEqual([{ key: "org.example.built-by", value: "cnbkit" }]);
    expect(run.store).toEqual({ builds: 1 });
    const launch = run.launchEnv("web");
    expect(launch.NODE_ENV).toBe("production");
    expect(launch.PATH).toBe(join(run.layers, "node", "bin"));
    expect(launch.NODE_PATH).toBe(join(run.layers, "node_modules", "node_modules"));
    const build = run.buildEnv();
    expect(build.NODE_ENV).toBe("development");
    expect(build.PATH?.split(":")[0]).toBe(join(run.layers, "node", "bin"));
    // node_modules is launch-only: not on a later buildpack's environment.
    expect(build.NODE_PATH).toBeUndefined();
    const cdx = run.sbom("node", "cdx") as { components: { name: string; version: string; hashes?: unknown[] }[] };
    expect(cdx.components.map((c) => [c.name, c.version])).toEqual([["Node.js", "1.0.0"]]);
    const spdx = run.sbom("launch", "spdx") as { packages: { name: string }[] };
    expect(spdx.packages.map((p) => p.name)).toContain("app");
    expect(run.stdout[0]).toContain("Test Node.js 0.1.0");
    expect(run.stdout).toContain("    web: node server.js (default)");
  });

  test("a rebuild with the same lockfile and version reuses both layers", async () => {
    const app = { "package.json": pkg("1.0.x"), "package-lock.json": '{"v":1}' };
    const first = await runBuild(bp, { app, buildpackToml });
    const second = await runBuild(bp, { app: first.app, restore: first.layers, buildpackToml });
    expect(second.layer("node").state.kind).toBe("restored");
    expect(second.layer("node").files).toContain("bin/node");
    const modules = second.layer("node_modules");
    expect(modules.state.kind).toBe("restored");
    expect(modules.reusedFromImage).toBe(true);
    expect(modules.files).toEqual([]);
    expect(modules.toml?.types).toEqual({ build: false, launch: true, cache: false });
    expect(second.stdout).toContain("    Reusing node (key unchanged)");
    expect(second.stdout).toContain("    Reusing node_modules (key unchanged)");
    expect(second.launchEnv("web").NODE_ENV).toBe("production");
    // The reused launch layer's env still reaches the app (the exporter keeps the old layer).
    expect(second.launchEnv("web").NODE_PATH).toMatch(/node_modules\/node_modules$/);
    expect(second.store).toEqual({ builds: 2 });
    // A third build restores from the second, whose node_modules had no directory.
    const third = await runBuild(bp, { app: second.app, restore: second.layers, buildpackToml });
    expect(third.layer("node_modules").reusedFromImage).toBe(true);
    expect(third.launchEnv().NODE_PATH).toBe(second.launchEnv().NODE_PATH);
  });

  test("a new version resets the layer and says what changed", async () => {
    const first = await runBuild(bp, { app: { "package.json": pkg("1.0.x") }, buildpackToml });
    await writeFile(join(first.app, "package.json"), pkg("1.1.x"));
    const second = await runBuild(bp, { app: first.app, restore: first.layers, buildpackToml });
    const state = second.layer("node").state;
    expect(state.kind).toBe("reset");
    expect(state.kind === "reset" && state.reason).toBe(
      `version 1.0.0 → 1.1.0, sha256 ${sha["1.0.0"]!.slice(0, 12)}… → ${sha["1.1.0"]!.slice(0, 12)}…`,
    );
    expect(second.stdout.some((l) => l.includes("Rebuilding node: version 1.0.0 → 1.1.0"))).toBe(true);
    expect(await readFile(join(second.layers, "node", "bin", "node"), "utf8")).toContain("1.1.0");
  });

  test("a changed lockfile rebuilds the launch-only layer with a directory", async () => {
    const first = await runBuild(bp, {
      app: { "package.json": pkg("1.0.x"), "package-lock.json": "a" },
      buildpackToml,
    });
    await writeFile(join(first.app, "package-lock.json"), "b");
    const second = await runBuild(bp, { app: first.app, restore: first.layers, buildpackToml });
    expect(second.layer("node_modules").state.kind).toBe("reset");
    expect(second.layer("node_modules").files).toContain("node_modules/installed");
  });

  test("an explicit plan skips detect; a failing detect is an error", async () => {
    const run = await runBuild(bp, {
      app: {},
      plan: [{ name: "node", metadata: { version: "1.1.0" } }],
      buildpackToml,
    });
    expect(run.layer("node").toml?.metadata["cache-key"]).toEqual({ version: "1.1.0", sha256: sha["1.1.0"] });
    await expect(runBuild(bp, { app: {}, buildpackToml })).rejects.toThrow("detect failed: no package.json");
  });

  test("platform env, bindings, target and exec env reach the context", async () => {
    let seen: unknown;
    const probe = buildpack({
      detect: (ctx) => {
        seen = {
          platformEnv: ctx.platform.env,
          env: ctx.env.BP_X,
          binding: ctx.platform.bindings.byType("ca-certificates").map((b) => b.name),
          target: ctx.target,
          execEnv: ctx.execEnv,
        };
        return ctx.pass();
      },
      build: () => undefined,
    });
    await runDetect(probe, {
      platformEnv: { BP_X: "from-platform" },
      bindings: { certs: { type: "ca-certificates", entries: { "a.pem": "x" } } },
      env: {
        CNB_TARGET_OS: "linux",
        CNB_TARGET_ARCH: "arm64",
        CNB_TARGET_DISTRO_NAME: "debian",
        CNB_TARGET_DISTRO_VERSION: "12",
        CNB_EXEC_ENV: "test",
      },
    });
    expect(seen).toEqual({
      platformEnv: { BP_X: "from-platform" },
      env: "from-platform",
      binding: ["certs"],
      target: { os: "linux", arch: "arm64", distro: { name: "debian", version: "12" } },
      execEnv: "test",
    });
  });

  test("onBuilder: a file:// dependency or one a dependency-mapping binding maps to a file is on the builder", async () => {
    const https = (sha256: string) => ({
      id: "x",
      version: "1.0.0",
      uri: "https://example.com/x.tgz",
      sha256,
      cpes: [],
      licenses: [],
    });
    const sha = "ab".repeat(32);
    const other = "cd".repeat(32);
    let seen: boolean[] = [];
    const probe = buildpack({
      detect: (ctx) => ctx.pass(),
      async build(ctx) {
        seen = [
          await ctx.dependencies.onBuilder(ctx.dependencies.resolve("node", "1.0.0")),
          await ctx.dependencies.onBuilder(https(sha)),
          await ctx.dependencies.onBuilder(https(other)),
        ];
        return undefined;
      },
    });
    await runBuild(probe, {
      app: {},
      buildpackToml,
      bindings: { map: { type: "dependency-mapping", entries: { [sha]: "file:///cnb/deps/x.tgz" } } },
    });
    expect(seen).toEqual([true, true, false]);
  });

  test("an invalid process is reported as a one-line error naming the field", async () => {
    const bad = buildpack({
      detect: (ctx) => ctx.pass(),
      // @ts-expect-error: a string command is what users get wrong
      build: () => ({ processes: [{ type: "web", command: "npm start" }] }),
    });
    await expect(runBuild(bad, { plan: [] })).rejects.toThrow(
      /\[\[processes\]\]\[0\]\.command must be an array of strings/,
    );
  });
});

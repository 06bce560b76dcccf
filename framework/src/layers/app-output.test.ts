import { existsSync } from "node:fs";
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, test } from "vitest";
import { buildpack } from "../contract/main.js";
import { runBuild } from "../testing/index.js";

let store: string;
beforeEach(async () => {
  store = await mkdtemp(join(tmpdir(), "cnbkit-app-output-"));
});
afterEach(async () => {
  await rm(store, { recursive: true, force: true });
});

/** A buildpack whose "build script" bundles src/ into dist/ and removes a stale file; it counts its runs. */
function bundler(opts: { neutral?: boolean | { not: string }; tool?: string } = {}) {
  const calls = { run: 0 };
  const bp = buildpack({
    detect: (ctx) => ctx.pass(),
    async build(ctx) {
      const state = await ctx.multiPlatform.appOutput("build_output", {
        dir: ctx.app.path,
        key: { tool: opts.tool ?? "bundler 1.0" },
        ignore: ["node_modules"],
        archNeutral: opts.neutral ?? true,
        async run() {
          calls.run++;
          const source = await ctx.app.readText("src/app.js");
          await mkdir(join(ctx.app.path, "dist"), { recursive: true });
          await writeFile(join(ctx.app.path, "dist", "bundle.js"), `/* bundled */ ${source}`);
          await rm(join(ctx.app.path, "stale.txt"), { force: true });
        },
      });
      ctx.log.detail(`state ${state?.kind ?? "none"}${state?.kind === "restored" ? ` ${state.fromArch}` : ""}`);
      return {};
    },
  });
  return { bp, calls };
}

const app = { "src/app.js": "console.log(1);\n", "stale.txt": "old\n", "node_modules/x/index.js": "1\n" };
const amd64 = { CNB_TARGET_ARCH: "amd64" };
const arm64 = { CNB_TARGET_ARCH: "arm64" };

describe("appOutput: a step's changes to the app, run once per multi-platform build", () => {
  test("the emulated build replays the native build's changes instead of running the step", async () => {
    const native = bundler();
    const first = await runBuild(native.bp, { app, env: amd64, archNeutral: { dir: store, role: "produce" } });
    expect(native.calls.run).toBe(1);
    expect(first.stdout.join("\n")).toMatch(/Shared build_output with the other platforms' builds/);
    // A scratch layer: neither exported nor cached.
    expect(first.layer("build_output").toml?.types).toEqual({ build: false, cache: false, launch: false });

    const emulated = bundler();
    // node_modules differs (installed per platform): it is not part of the key.
    const second = await runBuild(emulated.bp, {
      app: { ...app, "node_modules/x/index.js": "2\n" },
      env: arm64,
      archNeutral: { dir: store, role: "reuse" },
    });
    expect(emulated.calls.run).toBe(0);
    const out = second.stdout.join("\n");
    expect(out).toMatch(/Reusing build_output from the amd64 build \(arch-neutral, key unchanged\)/);
    expect(out).toMatch(/state restored amd64/);
    expect(await readFile(join(second.app, "dist", "bundle.js"), "utf8")).toBe("/* bundled */ console.log(1);\n");
    expect(existsSync(join(second.app, "stale.txt"))).toBe(false);
    expect(await readFile(join(second.app, "src", "app.js"), "utf8")).toBe("console.log(1);\n");
  });

  test("a different source or tool runs the step here, saying why", async () => {
    await runBuild(bundler().bp, { app, env: amd64, archNeutral: { dir: store, role: "produce" } });
    const emulated = bundler({ tool: "bundler 2.0" });
    const run = await runBuild(emulated.bp, {
      app: { ...app, "src/app.js": "console.log(2);\n" },
      env: arm64,
      archNeutral: { dir: store, role: "reuse" },
    });
    expect(emulated.calls.run).toBe(1);
    expect(run.stdout.join("\n")).toMatch(
      /Building build_output here: the amd64 build's copy has tool bundler 1.0 → bundler 2.0, sources [0-9a-f]+… → /,
    );
    expect(await readFile(join(run.app, "dist", "bundle.js"), "utf8")).toBe("/* bundled */ console.log(2);\n");
  });

  test("output that may depend on the CPU is not shared, and the emulated build says why", async () => {
    const native = bundler({ neutral: { not: "node_modules has an addon" } });
    const first = await runBuild(native.bp, { app, env: amd64, archNeutral: { dir: store, role: "produce" } });
    expect(first.stdout.join("\n")).not.toMatch(/Shared build_output/);
    const emulated = bundler({ neutral: { not: "node_modules has an addon" } });
    const run = await runBuild(emulated.bp, { app, env: arm64, archNeutral: { dir: store, role: "reuse" } });
    expect(emulated.calls.run).toBe(1);
    expect(run.stdout.join("\n")).toMatch(/Building build_output here: node_modules has an addon/);
    // Run as outside a multi-platform build: the app's files are not hashed for a key no copy can match.
    expect(run.stdout.join("\n")).toMatch(/state none/);
    expect(existsSync(join(run.layers, "build_output"))).toBe(false);
  });

  test("without a multi-platform build the step only runs: no layer, no snapshot", async () => {
    const single = bundler();
    const run = await runBuild(single.bp, { app });
    expect(single.calls.run).toBe(1);
    expect(run.stdout.join("\n")).toMatch(/state none/);
    expect(existsSync(join(run.layers, "build_output"))).toBe(false);
    expect(existsSync(join(run.layers, "build_output.toml"))).toBe(false);
  });
});

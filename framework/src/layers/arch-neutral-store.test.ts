import { existsSync } from "node:fs";
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, test } from "vitest";
import { buildpack } from "../contract/main.js";
import { runBuild } from "../testing/index.js";
import { ARCH_NEUTRAL_PRODUCING } from "./arch-neutral-binding.js";

let store: string;
beforeEach(async () => {
  store = await mkdtemp(join(tmpdir(), "cnbkit-neutral-"));
});
afterEach(async () => {
  await rm(store, { recursive: true, force: true });
});

/**
 * A buildpack whose one cached layer "built" is arch-neutral, keyed on the app's source.txt; it
 * counts its fills. `deprecated` declares it through the old `ctx.layers.cached` option.
 */
function compiler(opts: { neutral?: boolean | { not: string }; elf?: boolean; deprecated?: boolean } = {}) {
  const calls = { fill: 0 };
  const bp = buildpack({
    detect: (ctx) => ctx.pass(),
    async build(ctx) {
      const source = await ctx.app.readText("source.txt");
      const declarer = opts.deprecated ? ctx.layers : ctx.multiPlatform;
      const layer = await declarer.cached("built", {
        types: { cache: true },
        key: { source },
        archNeutral: opts.neutral ?? true,
        async fill(l) {
          calls.fill++;
          await writeFile(join(l.path, "app.jar"), `compiled ${source}`);
          if (opts.elf) await writeFile(join(l.path, "addon.node"), Buffer.from([0x7f, 0x45, 0x4c, 0x46, 2, 1]));
          return { artifact: "app.jar" };
        },
      });
      ctx.log.detail(`state ${layer.state.kind}${layer.state.kind === "restored" ? ` ${layer.state.fromArch}` : ""}`);
      return {};
    },
  });
  return { bp, calls };
}

const amd64 = { CNB_TARGET_ARCH: "amd64" };
const arm64 = { CNB_TARGET_ARCH: "arm64" };

describe("arch-neutral layers in a multi-platform build", () => {
  test("the deprecated ctx.layers.cached({ archNeutral }) still shares and restores, as ctx.multiPlatform.cached does", async () => {
    const native = compiler({ deprecated: true });
    await runBuild(native.bp, {
      app: { "source.txt": "v1" },
      env: amd64,
      archNeutral: { dir: store, role: "produce" },
    });
    const emulated = compiler({ deprecated: true });
    const second = await runBuild(emulated.bp, {
      app: { "source.txt": "v1" },
      env: arm64,
      archNeutral: { dir: store, role: "reuse" },
    });
    expect([native.calls.fill, emulated.calls.fill]).toEqual([1, 0]);
    expect(second.layer("built").state).toEqual({ kind: "restored", key: { source: "v1" }, fromArch: "amd64" });
  });

  test("the native build shares the layer; the emulated build restores it instead of filling it", async () => {
    const native = compiler();
    const first = await runBuild(native.bp, {
      app: { "source.txt": "v1" },
      env: amd64,
      archNeutral: { dir: store, role: "produce" },
    });
    expect(native.calls.fill).toBe(1);
    expect(first.stdout.join("\n")).toMatch(/Shared built with the other platforms' builds/);

    const emulated = compiler();
    const second = await runBuild(emulated.bp, {
      app: { "source.txt": "v1" },
      env: arm64,
      archNeutral: { dir: store, role: "reuse" },
    });
    expect(emulated.calls.fill).toBe(0);
    expect(second.layer("built").state).toEqual({ kind: "restored", key: { source: "v1" }, fromArch: "amd64" });
    expect(second.stdout.join("\n")).toMatch(/Reusing built from the amd64 build \(arch-neutral, key unchanged\)/);
    expect(second.layer("built").files).toEqual(["app.jar"]);
    expect(await readFile(join(second.layer("built").path, "app.jar"), "utf8")).toBe("compiled v1");
    // Its metadata and key are written as if it had been filled here.
    expect(second.layer("built").toml?.metadata).toEqual({ artifact: "app.jar", "cache-key": { source: "v1" } });
  });

  test("a different key builds the layer here, with one line saying why", async () => {
    await runBuild(compiler().bp, {
      app: { "source.txt": "v1" },
      env: amd64,
      archNeutral: { dir: store, role: "produce" },
    });
    const emulated = compiler();
    const run = await runBuild(emulated.bp, {
      app: { "source.txt": "v2" },
      env: arm64,
      archNeutral: { dir: store, role: "reuse" },
    });
    expect(emulated.calls.fill).toBe(1);
    expect(run.layer("built").state.kind).toBe("new");
    const why = run.stdout.filter((l) => l.includes("Building built here"));
    expect(why).toHaveLength(1);
    expect(why[0]).toMatch(/the amd64 build's copy has source v1 → v2/);
  });

  test("nothing stored: the emulated build fills the layer and says so", async () => {
    const emulated = compiler();
    const run = await runBuild(emulated.bp, {
      app: { "source.txt": "v1" },
      env: arm64,
      archNeutral: { dir: store, role: "reuse" },
    });
    expect(emulated.calls.fill).toBe(1);
    expect(run.stdout.join("\n")).toMatch(/Building built here: the native build stored no copy/);
  });

  test("a reusing build never writes the store; a layer not declared arch-neutral is never shared", async () => {
    await runBuild(compiler({ neutral: false }).bp, {
      app: { "source.txt": "v1" },
      env: amd64,
      archNeutral: { dir: store, role: "produce" },
    });
    await runBuild(compiler().bp, {
      app: { "source.txt": "v1" },
      env: arm64,
      archNeutral: { dir: store, role: "reuse" },
    });
    expect(await readdir(join(store, "outputs"))).toEqual([]);
  });

  test("archNeutral { not: reason }: not shared, and the emulated build says the reason", async () => {
    const not = { not: "its output may depend on the CPU: pom.xml reads os.arch" };
    await runBuild(compiler({ neutral: not }).bp, {
      app: { "source.txt": "v1" },
      env: amd64,
      archNeutral: { dir: store, role: "produce" },
    });
    expect(await readdir(join(store, "outputs"))).toEqual([]);
    const emulated = compiler({ neutral: not });
    const run = await runBuild(emulated.bp, {
      app: { "source.txt": "v1" },
      env: arm64,
      archNeutral: { dir: store, role: "reuse" },
    });
    expect(emulated.calls.fill).toBe(1);
    expect(run.stdout.filter((l) => l.includes("Building built here"))).toEqual([
      expect.stringContaining("Building built here: its output may depend on the CPU: pom.xml reads os.arch"),
    ]);
  });

  test("a layer with an ELF file in it (a native addon) is not shared, whatever its buildpack says", async () => {
    const first = await runBuild(compiler({ elf: true }).bp, {
      app: { "source.txt": "v1" },
      env: amd64,
      archNeutral: { dir: store, role: "produce" },
    });
    expect(first.stdout.join("\n")).toMatch(
      /Not sharing built with the other platforms' builds: addon.node is a native \(ELF\) binary/,
    );
    const emulated = compiler({ elf: true });
    await runBuild(emulated.bp, {
      app: { "source.txt": "v1" },
      env: arm64,
      archNeutral: { dir: store, role: "reuse" },
    });
    expect(emulated.calls.fill).toBe(1);
  });

  test("another buildpack version's copy is not reused", async () => {
    const toml = (v: string) => `api = "0.12"\n[buildpack]\nid = "cnbkit/test"\nversion = "${v}"\n`;
    await runBuild(compiler().bp, {
      app: { "source.txt": "v1" },
      env: amd64,
      buildpackToml: toml("1.0.0"),
      archNeutral: { dir: store, role: "produce" },
    });
    const emulated = compiler();
    const run = await runBuild(emulated.bp, {
      app: { "source.txt": "v1" },
      env: arm64,
      buildpackToml: toml("1.1.0"),
      archNeutral: { dir: store, role: "reuse" },
    });
    expect(emulated.calls.fill).toBe(1);
    expect(run.stdout.join("\n")).toMatch(/copy is from cnbkit\/test 1\.0\.0, this is 1\.1\.0/);
  });

  test("without the binding nothing is shared or looked up", async () => {
    const run = await runBuild(compiler().bp, { app: { "source.txt": "v1" }, env: amd64 });
    expect(run.stdout.join("\n")).not.toMatch(/Shared|Building built here/);
    expect(existsSync(join(store, "outputs"))).toBe(false);
  });
});

describe("builds of the platforms at the same time", () => {
  /** What the platform does while the producing build runs: the marker in the shared outputs dir. */
  const markProducing = async () => {
    await mkdir(join(store, "outputs"), { recursive: true });
    await writeFile(join(store, "outputs", ARCH_NEUTRAL_PRODUCING), "");
  };

  test("a reusing build waits for the layer the producing one has not stored yet, then restores it", async () => {
    await markProducing();
    const native = compiler();
    const emulated = compiler();
    // The emulated build starts first and finds nothing; the native one stores its layer 300 ms later.
    const reusing = runBuild(emulated.bp, {
      app: { "source.txt": "v1" },
      env: arm64,
      archNeutral: { dir: store, role: "reuse" },
    });
    await new Promise((r) => setTimeout(r, 300));
    await runBuild(native.bp, {
      app: { "source.txt": "v1" },
      env: amd64,
      archNeutral: { dir: store, role: "produce" },
    });
    await rm(join(store, "outputs", ARCH_NEUTRAL_PRODUCING));
    const out = (await reusing).stdout.join("\n");
    expect(out).toContain("Waiting for built from the build of the other platform (it runs at the same time)");
    expect(out).toContain("state restored amd64");
    expect(emulated.calls.fill).toBe(0);
  });

  test("when the producing build ends without the layer, the reusing one builds it", async () => {
    await markProducing();
    const emulated = compiler();
    const reusing = runBuild(emulated.bp, {
      app: { "source.txt": "v1" },
      env: arm64,
      archNeutral: { dir: store, role: "reuse" },
    });
    await new Promise((r) => setTimeout(r, 300));
    await rm(join(store, "outputs", ARCH_NEUTRAL_PRODUCING));
    expect((await reusing).stdout.join("\n")).toContain("Building built here: the native build stored no copy");
    expect(emulated.calls.fill).toBe(1);
  });
});

/** An ELF header of `machine` (0x3e x86-64, 0xb7 aarch64): enough for the store's check. */
function elf(machine: number): Buffer {
  const b = Buffer.alloc(64);
  b.writeUInt32BE(0x7f454c46, 0);
  b[4] = 2;
  b[5] = 1;
  b.writeUInt16LE(machine, 18);
  return b;
}

/**
 * A buildpack whose layer "lib" holds a native file of its arch: the native build makes each
 * reusing arch's variant (its file swapped for that arch's, `variantMachine`), as the Python
 * buildpack does with a venv's native wheels.
 */
function nativeLib(variantMachine = 0xb7) {
  const calls = { fill: 0 };
  const bp = buildpack({
    detect: (ctx) => ctx.pass(),
    async build(ctx) {
      const source = await ctx.app.readText("source.txt");
      const key = { source };
      const layer = await ctx.multiPlatform.cached("lib", {
        types: { launch: true },
        key,
        archVariants: true,
        async fill(l) {
          calls.fill++;
          await writeFile(join(l.path, "speedups.so"), elf(ctx.target.arch === "arm64" ? 0xb7 : 0x3e));
          const variants = ctx.multiPlatform.variants;
          for (const arch of variants?.reusers ?? []) {
            const dir = await mkdtemp(join(tmpdir(), "cnbkit-variant-"));
            await writeFile(join(dir, "speedups.so"), elf(variantMachine));
            await variants?.saveVariant(arch, "lib", key, { made: "natively" }, dir);
            await rm(dir, { recursive: true });
          }
          return { made: "here" };
        },
      });
      ctx.log.detail(`made ${String((layer.metadata as { made?: string }).made)}`);
      return {};
    },
  });
  return { bp, calls };
}

describe("a layer's variants, made by the native build for each reusing arch", () => {
  test("the emulated build restores its own variant, native files and all", async () => {
    const native = nativeLib();
    const first = await runBuild(native.bp, {
      app: { "source.txt": "v1" },
      env: amd64,
      archNeutral: { dir: store, role: "produce", reusers: ["arm64"] },
    });
    expect(first.stdout.join("\n")).toContain("Made lib for the linux/arm64 build here");
    // The native build's own layer is not shared (it holds an amd64 binary): only the variant is.
    const [bp] = await readdir(join(store, "outputs"));
    expect(await readdir(join(store, "outputs", bp ?? ""))).toEqual(["lib@arm64"]);

    const emulated = nativeLib();
    const second = await runBuild(emulated.bp, {
      app: { "source.txt": "v1" },
      env: arm64,
      archNeutral: { dir: store, role: "reuse" },
    });
    const out = second.stdout.join("\n");
    expect(out).toContain("Reusing lib from the amd64 build (made for arm64 there, key unchanged)");
    expect(out).toContain("made natively");
    expect(emulated.calls.fill).toBe(0);
    const so = await readFile(join(second.layer("lib").path, "speedups.so"));
    expect(so.readUInt16LE(18)).toBe(0xb7);
  });

  test("a variant with another arch's binary in it is refused, and the emulated build says why and builds", async () => {
    const native = nativeLib(0x3e);
    const first = await runBuild(native.bp, {
      app: { "source.txt": "v1" },
      env: amd64,
      archNeutral: { dir: store, role: "produce", reusers: ["arm64"] },
    });
    expect(first.stdout.join("\n")).toContain(
      "Not making lib for the linux/arm64 build: speedups.so is not a linux/arm64 binary",
    );
    const emulated = nativeLib();
    const second = await runBuild(emulated.bp, {
      app: { "source.txt": "v1" },
      env: arm64,
      archNeutral: { dir: store, role: "reuse" },
    });
    expect(second.stdout.join("\n")).toContain(
      "Building lib here: the amd64 build did not make one: speedups.so is not a linux/arm64 binary",
    );
    expect(emulated.calls.fill).toBe(1);
  });

  test("a key that changed since the variant was made builds the layer", async () => {
    await runBuild(nativeLib().bp, {
      app: { "source.txt": "v1" },
      env: amd64,
      archNeutral: { dir: store, role: "produce", reusers: ["arm64"] },
    });
    const emulated = nativeLib();
    const second = await runBuild(emulated.bp, {
      app: { "source.txt": "v2" },
      env: arm64,
      archNeutral: { dir: store, role: "reuse" },
    });
    expect(second.stdout.join("\n")).toMatch(/Building lib here: the amd64 build's copy has source/);
    expect(emulated.calls.fill).toBe(1);
  });
});

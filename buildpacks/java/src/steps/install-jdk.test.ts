import { spawnSync } from "node:child_process";
import { existsSync, lstatSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { buildpack } from "@cnbkit/framework";
import { runBuild } from "@cnbkit/framework/testing";
import { beforeAll, expect, onTestFinished, test } from "vitest";
import { testBuildpackToml } from "../testing/local-inventory.js";
import { buildJdk } from "./install-jdk.js";

// The local Debian JDK 17 (file://: the builder carries it, as the reference builder's
// offline buildpackage does).
let toml: string;
beforeAll(async () => {
  toml = await testBuildpackToml({ jre: "17", jdk: true });
}, 600_000);

/** The step alone: declares the JDK and, when `compiles`, asks for it as Maven's step does. */
const bp = (compiles: boolean) =>
  buildpack({
    detect: (ctx) => ctx.pass(),
    async build(ctx) {
      const jdk = await buildJdk(ctx, ctx.dependencies.resolve("jdk", "17"));
      if (compiles) await jdk.get();
      return {};
    },
  });

const ENV = { CNB_TARGET_OS: "linux", CNB_TARGET_ARCH: "amd64" };
const run = (compiles: boolean, more: { restore?: string; layerCache?: string } = {}) =>
  runBuild(bp(compiles), { app: {}, buildpackToml: toml, env: ENV, ...more });

/** `java.home` as the JVM that a later buildpack runs from `<jdk layer>/bin` reports it (on stderr). */
const javaHome = (jdkLayer: string) =>
  /java\.home = (\S+)/.exec(
    spawnSync(join(jdkLayer, "bin", "java"), ["-XshowSettings:properties", "-version"], {
      encoding: "utf8",
      env: { PATH: "/usr/bin:/bin" },
    }).stderr,
  )?.[1];

test("with a layer cache, the JDK is kept by reference in jdk_home and a rebuild that compiles reuses it; jdk links to it", async () => {
  const root = await mkdtemp(join(tmpdir(), "cnbkit-jdk-home-"));
  onTestFinished(() => rm(root, { recursive: true, force: true }));
  const store = join(root, "layers", "jdk_home");

  const first = await run(true, { layerCache: root });
  expect(first.stdout.join("\n")).toMatch(/Installing .*17\.[\d.]+ \(build only\)/);
  expect(first.layer("jdk_home").path).toBe(store);
  expect(first.layer("jdk_home").toml?.types).toEqual({ cache: true, build: false, launch: false });
  // The build layer holds only bin, a symlink; JAVA_HOME is the kept JDK, as the JVM finds it.
  const jdk = first.layer("jdk");
  expect(jdk.toml?.types).toMatchObject({ build: true, launch: false, cache: false });
  expect(lstatSync(join(jdk.path, "bin")).isSymbolicLink()).toBe(true);
  expect(first.buildEnv().JAVA_HOME).toBe(store);
  expect(first.buildEnv().PATH?.split(":")[0]).toBe(join(jdk.path, "bin"));
  expect(javaHome(jdk.path)).toBe(store);
  // The build SBOM still lists the JDK used, on the build layer.
  expect((first.sbom("jdk", "cdx") as { components: unknown[] }).components).toHaveLength(1);

  // An edit: Maven asks for the JDK again, and gets the kept one.
  const edited = await run(true, { restore: first.layers, layerCache: root });
  const out = edited.stdout.join("\n");
  expect(out).not.toContain("(build only)");
  expect(out).toContain("Reusing jdk_home (key unchanged; kept without installing)");
  expect(javaHome(edited.layer("jdk").path)).toBe(store);

  // Nothing to compile: the JDK is kept for the next build that does, and not linked.
  const reused = await run(false, { restore: edited.layers, layerCache: root });
  expect(reused.layer("jdk_home").state.kind).toBe("restored");
  expect(() => reused.layer("jdk")).toThrow('no layer "jdk"');
  const again = await run(true, { restore: reused.layers, layerCache: root });
  expect(again.stdout.join("\n")).not.toContain("(build only)");
}, 300_000);

test("without a layer cache, as before: jdk is the build layer with the JDK in it, installed by each build that compiles", async () => {
  const first = await run(true);
  const jdk = first.layer("jdk");
  expect(lstatSync(join(jdk.path, "bin")).isSymbolicLink()).toBe(false);
  expect(first.buildEnv().JAVA_HOME).toBe(jdk.path);
  expect(javaHome(jdk.path)).toBe(jdk.path);
  expect(jdk.toml?.types).toMatchObject({ build: true, cache: false });
  expect(existsSync(join(first.layers, "jdk_home.toml"))).toBe(false);
  const again = await run(true, { restore: first.layers });
  expect(again.stdout.join("\n")).toMatch(/Installing .*17\.[\d.]+ \(build only\)/);
}, 300_000);

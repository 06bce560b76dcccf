import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { expect, onTestFinished, test } from "vitest";
import { WEB_CONCURRENCY_SCRIPT } from "./web-concurrency.js";

/** Runs the script with `files` as the cgroup tree; returns what it wrote on fd 3. */
function run(files: Record<string, string>, env: Record<string, string> = {}): string {
  const root = mkdtempSync(join(tmpdir(), "cnbkit-cgroup-"));
  onTestFinished(() => rmSync(root, { recursive: true, force: true }));
  for (const [rel, text] of Object.entries(files)) {
    mkdirSync(dirname(join(root, rel)), { recursive: true });
    writeFileSync(join(root, rel), text);
  }
  writeFileSync(join(root, "script"), WEB_CONCURRENCY_SCRIPT);
  const r = spawnSync("sh", ["-c", `sh ${root}/script 3>&1 1>/dev/null`], {
    env: { PATH: process.env.PATH, CNB_CGROUP_ROOT: root, ...env },
    encoding: "utf8",
  });
  expect(r.status).toBe(0);
  return r.stdout;
}

const GiB = 1024 ** 3;
test.each<[string, Record<string, string>, string]>([
  ["v2: 2 CPUs, 4 GiB → 5", { "cpu.max": "200000 100000\n", "memory.max": `${4 * GiB}\n` }, "5"],
  ["v2: 1.5 CPUs round up → 5", { "cpu.max": "150000 100000", "memory.max": "max" }, "5"],
  ["v2: 4 CPUs, 512 MiB → 2", { "cpu.max": "400000 100000", "memory.max": `${512 * 1024 ** 2}` }, "2"],
  ["v2: 100 MiB → 1", { "cpu.max": "100000 100000", "memory.max": `${100 * 1024 ** 2}` }, "1"],
  [
    "v1: quota 1 CPU, no memory limit",
    {
      "cpu/cpu.cfs_quota_us": "100000",
      "cpu/cpu.cfs_period_us": "100000",
      "memory/memory.limit_in_bytes": "9223372036854771712",
    },
    "3",
  ],
])("%s", (_name, files, workers) => {
  expect(run(files)).toBe(`WEB_CONCURRENCY = "${workers}"\n`);
});

test("no quota: 2 × nproc + 1", () => {
  const nproc = Number(spawnSync("nproc", { encoding: "utf8" }).stdout.trim());
  expect(run({ "cpu.max": "max 100000" })).toBe(`WEB_CONCURRENCY = "${nproc * 2 + 1}"\n`);
});

test("a WEB_CONCURRENCY the user set is kept", () => {
  expect(run({ "cpu.max": "100000 100000" }, { WEB_CONCURRENCY: "7" })).toBe("");
});

/**
 * The stall watchdog on a real build: `cnbkit build` (the bundled CLI) with the real lifecycle
 * under runc, and a buildpack whose detect sleeps when asked to (build-time env STALL). The
 * build is stopped after --stall-timeout with one line naming the phase, exits non-zero, leaves
 * no container or sleeping process behind, and the output image stays what it was.
 */
import { spawn, spawnSync } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { afterAll, beforeAll, expect, test } from "vitest";
import { ensureBaseImages } from "../../base/index.js";
import { testBuilderRootfs } from "../test-fixtures.js";

const ROOT = join(import.meta.dirname, "../../../..");
// A sleep no other process on this machine runs, so the test can see that it is gone.
const SLEEP_SECONDS = 3471;
const DETECT = `#!/bin/sh
if [ -f "$CNB_PLATFORM_DIR/env/STALL" ]; then
  echo "detect: waiting for something that never comes"
  exec sleep ${SLEEP_SECONDS}
fi
if [ -f index.html ]; then exit 0; fi
exit 100
`;

let work = "";
let builder = "";
let cli = "";
let app = "";

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), "cnbkit-stall-"));
  const { build, run } = await ensureBaseImages({ onProgress: () => {} });
  if (!build.rootfs) throw new Error("build rootfs not cached");
  builder = await testBuilderRootfs(build.rootfs, run.ref);
  await writeFile(join(builder, "cnb/buildpacks/test_server/0.0.1/bin/detect"), DETECT, { mode: 0o755 });
  // Inside the repo, where the bundle's external packages (esbuild) resolve.
  // In a directory of its own: the bundle is an entry and chunks/ beside it, removed together.
  cli = join(ROOT, ".cnbkit", "test-cli", `stall-${process.pid}`, "cnbkit.mjs");
  const b = spawnSync(process.execPath, [join(ROOT, "scripts/build-cli.mjs"), cli], { encoding: "utf8" });
  if (b.status !== 0) throw new Error(`scripts/build-cli.mjs: ${b.stderr}`);
  app = join(work, "app");
  await mkdir(app);
  await writeFile(join(app, "index.html"), "<h1>stall</h1>\n");
}, 1_800_000);
afterAll(async () => {
  if (cli) await rm(dirname(cli), { recursive: true, force: true });
  if (builder) await rm(join(builder, ".."), { recursive: true, force: true });
  if (work) await rm(work, { recursive: true, force: true });
});

function cnbkit(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string; ms: number }> {
  const started = Date.now();
  const child = spawn(process.execPath, [cli, ...args], {
    stdio: ["ignore", "pipe", "pipe"],
    env: { ...process.env, NO_COLOR: "1", CNBKIT_CACHE: join(work, "cache") },
  });
  let stdout = "";
  let stderr = "";
  child.stdout.setEncoding("utf8").on("data", (c: string) => {
    stdout += c;
  });
  child.stderr.setEncoding("utf8").on("data", (c: string) => {
    stderr += c;
  });
  return new Promise((res) => child.on("close", (code) => res({ code, stdout, stderr, ms: Date.now() - started })));
}

/** PIDs of processes running our sleep. */
function sleepers(): number[] {
  return readdirSync("/proc")
    .filter((p) => /^\d+$/.test(p))
    .filter((p) => {
      try {
        return readFileSync(`/proc/${p}/cmdline`, "utf8").split("\0").includes(String(SLEEP_SECONDS));
      } catch {
        return false;
      }
    })
    .map(Number);
}

test("a detect that sleeps is stopped by the watchdog: one line naming DETECTING, exit 1, output unchanged", async () => {
  const outDir = join(work, "out");
  const output = `oci:${outDir}:latest`;
  const first = await cnbkit(["build", app, "--builder", builder, "--output", output]);
  expect(first.code, first.stderr).toBe(0);
  // One answer: no warning about the layout export we ask for, and one digest, the one written.
  const printed = `${first.stdout}${first.stderr}`.split("\n");
  // (The lifecycle's "Did not find SBOM" warnings go once builders carry the lifecycle's SBOMs.)
  expect(printed.filter((l) => /Warning/.test(l) && !/Did not find SBOM/.test(l))).toEqual([]);
  expect(printed.filter((l) => /sha256:/.test(l))).toEqual([
    expect.stringMatching(/^Successfully built oci:.*\(sha256:[0-9a-f]{64}\)$/),
  ]);
  const before = await readFile(join(outDir, "index.json"), "utf8");

  const stalled = await cnbkit([
    "build",
    app,
    "--builder",
    builder,
    "--output",
    output,
    "--env",
    "STALL=1",
    "--stall-timeout",
    "4s",
  ]);
  console.log(`stalled build stopped after ${stalled.ms} ms`);
  const errLines = stalled.stderr.split("\n").filter((l) => l.trim() !== "");
  expect(stalled.code).toBe(1);
  expect(errLines[0]).toBe(
    `error: build stalled in phase DETECTING: no output and no CPU time for 4 s; stopped the build container, ${output} is unchanged`,
  );
  expect(errLines[1]).toMatch(
    /^ {2}a buildpack's detect is waiting on something .*: rerun with --verbose .*, or raise --stall-timeout \(CNBKIT_STALL_TIMEOUT; 0 turns the watchdog off\)$/,
  );
  expect(errLines).toHaveLength(2);
  // The detector keeps a passing detect's output to itself: the last thing seen is the header.
  expect(stalled.stdout.trimEnd()).toMatch(/===> DETECTING\S*$/);
  expect(stalled.ms).toBeLessThan(60_000);
  expect(await readFile(join(outDir, "index.json"), "utf8")).toBe(before);
  expect(sleepers()).toEqual([]);
}, 600_000);

test("a bad --stall-timeout is one line", async () => {
  const bad = await cnbkit([
    "build",
    app,
    "--builder",
    builder,
    "--output",
    `oci:${join(work, "x")}`,
    "--stall-timeout",
    "soon",
  ]);
  expect(bad.code).toBe(1);
  expect(bad.stderr.split("\n")[0]).toBe('error: --stall-timeout "soon" is not a duration');
});

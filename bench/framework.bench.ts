/**
 * bench:framework — how much the framework adds to `detect`.
 *
 * Prints the wall time of a minimal framework buildpack's detect, run as a bundled script
 * the way the lifecycle runs bin/detect, next to an empty Node script (the floor) run the
 * same way in the same process, and their ratio. Goal: ≤ 1.15× the floor.
 */
import { spawnSync } from "node:child_process";
import { mkdir, mkdtemp, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { build } from "esbuild";
import { median, ms, peakRssMb, table } from "./stats.js";

const RUNS = Number(process.env.BENCH_RUNS ?? 40);
const root = await mkdtemp(join(tmpdir(), "cnbkit-bench-fw-"));
try {
  const bin = join(root, "bp", "bin");
  await mkdir(bin, { recursive: true });
  const bundle = join(bin, "main");
  const result = await build({
    entryPoints: [join(import.meta.dirname, "fixtures", "minimal-buildpack.ts")],
    outfile: bundle,
    bundle: true,
    platform: "node",
    format: "cjs",
    target: "node20",
    minifyWhitespace: true,
    banner: { js: "#!/usr/bin/env node" },
    metafile: true,
    external: ["ajv", "ajv-formats", "ajv-formats-draft2019", "xmlbuilder2", "libxmljs2"],
    logLevel: "warning",
  });
  await symlink("main", join(bin, "detect"));
  await writeFile(join(root, "bp", "buildpack.toml"), 'api = "0.12"\n[buildpack]\nid = "bench/minimal"\nversion = "1.0.0"\n');
  const empty = join(root, "empty.js");
  await writeFile(empty, "");
  const app = join(root, "app");
  await mkdir(join(root, "platform"), { recursive: true });
  await mkdir(app);
  await writeFile(join(app, "index.html"), "<h1>hi</h1>");
  const env = {
    PATH: process.env.PATH,
    CNB_BUILDPACK_DIR: join(root, "bp"),
    CNB_PLATFORM_DIR: join(root, "platform"),
    CNB_BUILD_PLAN_PATH: join(root, "plan.toml"),
  };
  const time = (args: string[]) => {
    const t0 = performance.now();
    const r = spawnSync(process.execPath, args, { cwd: app, env, stdio: ["ignore", "ignore", "pipe"] });
    const t = performance.now() - t0;
    if (r.status !== 0) throw new Error(`${args.join(" ")} exited ${r.status}: ${r.stderr}`);
    return t;
  };
  // Warm the page cache, then interleave the two so drift hits both alike.
  time([empty]);
  time([join(bin, "detect")]);
  const floor: number[] = [];
  const detect: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    floor.push(time([empty]));
    detect.push(time([join(bin, "detect")]));
  }
  const bundleKb = Object.values(result.metafile.outputs)[0]!.bytes / 1024;
  const f = median(floor);
  const d = median(detect);
  console.log(`bench:framework  (${RUNS} runs each, median; node ${process.version})`);
  table([
    ["what", "median", "ratio"],
    ["empty node script (floor)", ms(f), "1.00x"],
    [`framework detect (bundle ${bundleKb.toFixed(0)} KB)`, ms(d), `${(d / f).toFixed(2)}x`],
  ]);
  console.log(`goal: <= 1.15x the floor; bench process peak RSS ${peakRssMb().toFixed(0)} MB`);
} finally {
  await rm(root, { recursive: true, force: true });
}

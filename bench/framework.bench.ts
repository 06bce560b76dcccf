/**
 * bench:framework — how much the framework adds to `detect`.
 *
 * A minimal framework buildpack is bundled exactly as `cnbkit package` bundles it, then its
 * detect is timed the two ways a lifecycle can run it, each against its own floor run in
 * the same process with the same Node binary:
 *   - as a bundled script (`bin/detect` → the bundle, run by the pinned Node) vs an empty
 *     script run by that Node;
 *   - as `cnbkit package` ships it by default: the sh launcher `bin/detect` running
 *     `lib/main.cjs` on the shared runtime buildpack's Node, vs the same empty script;
 *   - as the single executable `cnbkit package` ships vs a single executable of an empty
 *     script.
 * Runs are interleaved so machine noise hits both alike. Goal: ≤ 1.15× the floor.
 */
import { spawnSync } from "node:child_process";
import { cp, mkdir, mkdtemp, rm, symlink, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { bundleBuildpack } from "../builder-packager/src/compile/bundle.js";
import { compileBuildpack } from "../builder-packager/src/compile/compile.js";
import { ensureNodeRuntime, hostNodeArch, NODE_VERSION } from "../builder-packager/src/compile/node-runtime.js";
import { buildSea } from "../builder-packager/src/compile/sea.js";
import { writeStagedToml } from "../builder-packager/src/package/stage.js";
import { median, ms, peakRssMb, table } from "./stats.js";

const RUNS = Number(process.env.BENCH_RUNS ?? 40);
const arch = hostNodeArch();
if (!arch) throw new Error("bench:framework needs linux/amd64 or linux/arm64");
const runtime = await ensureNodeRuntime(arch);
const root = await mkdtemp(join(import.meta.dirname, ".out", "fw-"));
try {
  const bin = join(root, "bp", "bin");
  const seaBin = join(root, "sea", "bin");
  await mkdir(bin, { recursive: true });
  await mkdir(seaBin, { recursive: true });
  // The repo's package.json says "type": "module"; a buildpack dir has none, so say CommonJS.
  await writeFile(join(root, "package.json"), '{ "type": "commonjs" }\n');
  const { code } = await bundleBuildpack({
    entry: join(import.meta.dirname, "fixtures", "minimal-buildpack.ts"),
    nodeVersion: NODE_VERSION,
  });
  await writeFile(join(bin, "main"), code);
  await symlink("main", join(bin, "detect"));
  await writeFile(join(root, "empty.js"), "");
  const sea = (script: string, output: string) =>
    buildSea({ script, runner: runtime.node, executable: runtime.stripped, output });
  await sea(code, join(seaBin, "main"));
  await symlink("main", join(seaBin, "detect"));
  await sea("", join(root, "empty-sea"));

  await writeFile(
    join(root, "bp", "buildpack.toml"),
    'api = "0.12"\n[buildpack]\nid = "bench/minimal"\nversion = "1.0.0"\n',
  );
  const app = join(root, "app");
  await mkdir(join(root, "platform"), { recursive: true });
  await mkdir(app);
  await writeFile(join(app, "index.html"), "<h1>hi</h1>");
  const env = {
    PATH: process.env.PATH,
    CNB_BUILDPACK_DIR: join(root, "bp"),
    CNB_PLATFORM_DIR: join(root, "platform"),
  };
  await mkdir(join(root, "plans"));
  let runs = 0;
  const time = (cmd: string, args: string[], buildpackDir = env.CNB_BUILDPACK_DIR) => {
    // A plan path of its own for every run, as the lifecycle gives each detect (rewriting
    // one file would time the file system's truncate, ~0.5 ms here, not the detect).
    const plan = join(root, "plans", `${++runs}.toml`);
    const t0 = performance.now();
    const r = spawnSync(cmd, args, {
      cwd: app,
      env: { ...env, CNB_BUILDPACK_DIR: buildpackDir, CNB_BUILD_PLAN_PATH: plan },
      stdio: ["ignore", "ignore", "pipe"],
    });
    const t = performance.now() - t0;
    if (r.status !== 0) throw new Error(`${cmd} ${args.join(" ")} exited ${r.status}: ${r.stderr}`);
    return t;
  };
  // The default form, laid out as in a builder: the buildpack and the runtime as siblings.
  const compiled = await compileBuildpack({
    entry: join(import.meta.dirname, "fixtures", "minimal-buildpack.ts"),
    outDir: join(root, "compiled"),
    targets: [`linux/${arch}`],
    buildpack: { id: "bench/minimal", version: "1.0.0" },
  });
  const shared = join(root, "buildpacks", "bench_minimal", "1.0.0");
  const rt = compiled[`linux/${arch}`]?.runtime;
  if (!rt) throw new Error("the shared form names no runtime");
  await mkdir(join(root, "buildpacks", "cnbkit_node-runtime"), { recursive: true });
  await symlink(rt.dir, join(root, "buildpacks", "cnbkit_node-runtime", rt.version));
  await cp(join(root, "compiled", `linux-${arch}`), shared, { recursive: true, verbatimSymlinks: true });
  // As `cnbkit package` stages it: buildpack.toml and its parsed copy.
  await writeStagedToml(shared, 'api = "0.12"\n[buildpack]\nid = "bench/minimal"\nversion = "1.0.0"\n', true);
  const cases = {
    floor: () => time(runtime.stripped, [join(root, "empty.js")]),
    script: () => time(runtime.stripped, [join(bin, "detect")]),
    launcher: () => time(join(shared, "bin", "detect"), [], shared),
    seaFloor: () => time(join(root, "empty-sea"), []),
    sea: () => time(join(seaBin, "detect"), []),
  };
  const samples: Record<keyof typeof cases, number[]> = { floor: [], script: [], launcher: [], seaFloor: [], sea: [] };
  for (const run of Object.values(cases)) run(); // warm the page cache
  for (let i = 0; i < RUNS; i++) {
    for (const [name, run] of Object.entries(cases)) samples[name as keyof typeof cases].push(run());
  }
  const m = Object.fromEntries(Object.entries(samples).map(([k, v]) => [k, median(v)])) as Record<
    keyof typeof cases,
    number
  >;
  console.log(`bench:framework  (${RUNS} interleaved runs each, median; Node ${NODE_VERSION} ${arch})`);
  table([
    ["what", "median", "ratio to its floor"],
    ["empty script, node empty.js (floor)", ms(m.floor), "1.00x"],
    [
      `framework detect, bundled script (${(code.length / 1024).toFixed(0)} KB)`,
      ms(m.script),
      `${(m.script / m.floor).toFixed(2)}x`,
    ],
    [
      "framework detect, sh launcher -> shared runtime (default form)",
      ms(m.launcher),
      `${(m.launcher / m.floor).toFixed(2)}x`,
    ],
    ["empty single executable (floor)", ms(m.seaFloor), "1.00x"],
    ["framework detect, single executable", ms(m.sea), `${(m.sea / m.seaFloor).toFixed(2)}x`],
  ]);
  console.log(`goal: <= 1.15x the floor; bench process peak RSS ${peakRssMb().toFixed(0)} MB`);
} finally {
  await rm(root, { recursive: true, force: true });
}

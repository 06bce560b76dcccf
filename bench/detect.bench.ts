/**
 * bench:detect — what declarative detect saves: the sh `bin/detect` compiled from a
 * buildpack's rules against the Node detect of the same bundle.
 *
 * The procfile, python, nodejs and java buildpacks are compiled and laid out as `cnbkit
 * package` and a builder lay them out (the shared runtime beside them, buildpack.toml with
 * its parsed copy): bin/detect is their rules in sh, lib/node-detect the Node detect a
 * rule's "code" outcome falls back to. Then, in
 * interleaved runs, each is timed as the lifecycle starts it (a fresh process, cwd = app):
 *   - floors: a static Go binary that does nothing (the least a process can cost), an empty
 *     sh script, and `node empty.js` with the pinned Node;
 *   - the sh detect of procfile (a Procfile app: pass), python (a requirements.txt app:
 *     pass), nodejs and java (the same Python app: the fail-fast case);
 *   - the Node detect of the same buildpacks (lib/node-detect) on the same apps.
 * Goal: a declarative detect's median ≤ 5 ms.
 */
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { chmod, cp, mkdir, mkdtemp, readFile, rm, symlink, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { buildpackDirName, parseBuildpackToml } from "@cnbkit/framework/cnb-files";
import { compileBuildpack } from "../builder-packager/src/compile/compile.js";
import {
  ensureNodeRuntime,
  hostNodeArch,
  type NodeArch,
  NODE_VERSION,
} from "../builder-packager/src/compile/node-runtime.js";
import { writeStagedToml } from "../builder-packager/src/package/stage.js";
import { median, ms, table } from "./stats.js";

const RUNS = Number(process.env.BENCH_RUNS ?? 40);
const hostArch = hostNodeArch();
if (!hostArch) throw new Error("bench:detect needs linux/amd64 or linux/arm64");
const arch: NodeArch = hostArch;
const runtime = await ensureNodeRuntime(arch);
const repo = join(import.meta.dirname, "..");
const root = await mkdtemp(join(import.meta.dirname, ".out", "detect-"));

/** Compiles a reference buildpack into `<root>/buildpacks/` as a builder holds it: its sh detect and its Node detect. */
async function prepare(name: string): Promise<{ node: string; sh: string; dir: string }> {
  const src = join(repo, "buildpacks", name);
  const toml = await readFile(join(src, "buildpack.toml"), "utf8");
  const { id, version } = parseBuildpackToml(toml).buildpack;
  const target = `linux/${arch}` as const;
  const compiled = await compileBuildpack({
    entry: join(src, "src", "index.ts"),
    outDir: join(root, "compiled", name),
    targets: [target],
    buildpack: { id, version },
  });
  const rt = compiled[target]?.runtime;
  if (!rt) throw new Error(`${name}: the shared form names no runtime`);
  const runtimeDir = join(root, "buildpacks", buildpackDirName(rt.id), rt.version);
  if (!existsSync(runtimeDir)) {
    await mkdir(dirname(runtimeDir), { recursive: true });
    await symlink(rt.dir, runtimeDir);
  }
  const dir = join(root, "buildpacks", buildpackDirName(id), version);
  await cp(join(root, "compiled", name, `linux-${arch}`), dir, { recursive: true, verbatimSymlinks: true });
  await writeStagedToml(dir, toml, true);
  const sh = join(dir, "bin", "detect");
  if (!(await readFile(sh, "utf8")).includes("node-detect")) throw new Error(`${name}: detect declares no rules`);
  return { node: join(dir, "lib", "node-detect"), sh, dir };
}

/** A static Go binary that exits at once: the floor of starting any process. */
async function goFloor(): Promise<string> {
  const out = join(root, "go-floor");
  const main = join(root, "go", "main.go");
  await mkdir(join(root, "go"), { recursive: true });
  await writeFile(main, "package main\n\nfunc main() {}\n");
  const r = spawnSync("go", ["build", "-trimpath", "-ldflags=-s -w", "-o", out, main], {
    env: { ...process.env, CGO_ENABLED: "0", GOTOOLCHAIN: "local", GOFLAGS: "-mod=mod" },
    encoding: "utf8",
  });
  if (r.status !== 0) throw new Error(`go build: ${r.stderr}`);
  return out;
}

try {
  // The repo's package.json says "type": "module"; a buildpack dir has none, so say CommonJS.
  await writeFile(join(root, "package.json"), '{ "type": "commonjs" }\n');
  const [procfile, python, nodejs, java] = [
    await prepare("procfile"),
    await prepare("python"),
    await prepare("nodejs"),
    await prepare("java"),
  ];
  const go = await goFloor();
  await writeFile(join(root, "empty.js"), "");
  await writeFile(join(root, "empty.sh"), "#!/bin/sh\n");
  await chmod(join(root, "empty.sh"), 0o755);
  const procApp = join(root, "apps", "procfile");
  const pyApp = join(root, "apps", "python");
  await mkdir(procApp, { recursive: true });
  await mkdir(pyApp, { recursive: true });
  await writeFile(join(procApp, "Procfile"), "web: ./server\n");
  await writeFile(join(pyApp, "requirements.txt"), "flask\n");
  await writeFile(join(pyApp, "app.py"), "");
  await mkdir(join(root, "platform"), { recursive: true });

  const time = (cmd: string, args: string[], app: string, bp: string, want: number[]) => () => {
    const env = {
      PATH: process.env.PATH,
      CNB_BUILDPACK_DIR: bp,
      CNB_PLATFORM_DIR: join(root, "platform"),
      CNB_BUILD_PLAN_PATH: join(root, "plan.toml"),
    };
    const t0 = performance.now();
    const r = spawnSync(cmd, args, { cwd: app, env, stdio: ["ignore", "ignore", "pipe"] });
    const t = performance.now() - t0;
    if (!want.includes(r.status ?? -1)) throw new Error(`${cmd} ${args.join(" ")} exited ${r.status}: ${r.stderr}`);
    return t;
  };
  const cases: [string, () => number][] = [
    ["static Go binary, no-op (floor)", time(go, [], pyApp, "", [0])],
    ["empty sh script (dash)", time(join(root, "empty.sh"), [], pyApp, "", [0])],
    ["node empty.js", time(runtime.node, [join(root, "empty.js")], pyApp, "", [0])],
    ["procfile sh detect (pass)", time(procfile.sh, [], procApp, procfile.dir, [0])],
    ["python sh detect (pass)", time(python.sh, [], pyApp, python.dir, [0])],
    ["nodejs sh detect, Python app (fail)", time(nodejs.sh, [], pyApp, nodejs.dir, [100])],
    ["java sh detect, Python app (fail)", time(java.sh, [], pyApp, java.dir, [100])],
    ["procfile Node detect (pass)", time(procfile.node, [], procApp, procfile.dir, [0])],
    ["python Node detect (pass)", time(python.node, [], pyApp, python.dir, [0])],
    ["nodejs Node detect, Python app (fail)", time(nodejs.node, [], pyApp, nodejs.dir, [100])],
    ["java Node detect, Python app (fail)", time(java.node, [], pyApp, java.dir, [100])],
  ];
  const samples = cases.map(() => [] as number[]);
  for (const [, run] of cases) run(); // warm the page cache
  for (let i = 0; i < RUNS; i++) {
    for (const [j, [, run]] of cases.entries()) samples[j]!.push(run());
  }
  const m = samples.map(median);
  const [goMs, , nodeMs] = [m[0]!, m[1]!, m[2]!];
  console.log(`bench:detect  (${RUNS} interleaved runs each, median; Node ${NODE_VERSION} ${arch})`);
  table([
    ["what", "median", "× Go floor", "× node empty.js"],
    ...cases.map(([name], j) => [name, ms(m[j]!), `${(m[j]! / goMs).toFixed(2)}x`, `${(m[j]! / nodeMs).toFixed(2)}x`]),
  ]);
  console.log("goal: a declarative (sh) detect <= 5 ms");
} finally {
  await rm(root, { recursive: true, force: true });
}

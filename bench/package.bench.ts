/**
 * bench:package — what packaging costs and what it produces.
 *
 * Prints, for each reference buildpack: compile + package time to a .cnb (shared runtime),
 * its own layer and the runtime layer (gzip), and the standalone form's binary raw / gzip /
 * zstd and .cnb; the reference builder's buildpack layers one by one, against the goal
 * "all buildpack layers <= one runtime layer + 1 MB per buildpack"; `cnbkit builder create` of the reference
 * builder (the bundled CLI, a new process per run) to an OCI layout and to a loopback
 * registry, cold and unchanged (median of 5), from source and from pre-packaged layouts
 * (the floor), split into phases (start-up and run images, buildpacks, builder layers,
 * write/push); and a TS detect's start-up, through the sh launcher on the shared runtime and
 * as a single executable, against `node empty.js` on the same Node (the floor).
 * Medians where runs repeat. Makes the base images at .cnbkit/images/base when missing
 * (cached debootstrap rootfs under ~/.cache/cnbkit).
 */
import { spawn, spawnSync } from "node:child_process";
import { createReadStream } from "node:fs";
import { mkdir, mkdtemp, readFile, rm, stat, writeFile } from "node:fs/promises";
import { loadavg } from "node:os";
import { createInterface } from "node:readline";
import { pipeline } from "node:stream/promises";
import { basename, dirname, join, resolve } from "node:path";
import { createGzip } from "node:zlib";
import { ensureBaseImages } from "../builder-packager/src/base/images.js";
import { RUNTIME_MODULE_ID } from "../builder-packager/src/compile/index.js";
import { ensureNodeRuntime, hostNodeArch, NODE_VERSION } from "../builder-packager/src/compile/node-runtime.js";
import { startRegistry } from "../builder-packager/src/oci/test-registry.js";
import { packageBuildpack } from "../builder-packager/src/package/index.js";
import { median, ms, peakRssMb, table } from "./stats.js";

const repo = join(import.meta.dirname, "..");
const arch = hostNodeArch();
if (!arch) throw new Error("bench:package needs linux/amd64 or linux/arm64");
const mb = (n: number) => `${(n / 1024 / 1024).toFixed(1)} MB`;
const seconds = (t: number) => `${(t / 1000).toFixed(1)} s`;
const timed = async <T>(fn: () => Promise<T>): Promise<[T, number]> => {
  const t0 = performance.now();
  const v = await fn();
  return [v, performance.now() - t0];
};

/** Gzip size of a file, streamed (the bench's peak RSS should be packaging's, not ours). */
async function gzipSize(path: string): Promise<number> {
  let n = 0;
  await pipeline(createReadStream(path), createGzip(), async (chunks: AsyncIterable<Buffer>) => {
    for await (const c of chunks) n += c.length;
  });
  return n;
}

/** zstd -19 size of a file, counted by the zstd tool itself. */
function zstdSize(path: string): number {
  const r = spawnSync("sh", ["-c", 'zstd -19 -T2 -c "$1" | wc -c', "sh", path], { encoding: "utf8" });
  return Number(r.stdout.trim());
}

const PHASES = ["runImages", "buildpacks", "builder", "push"] as const;
type Phase = (typeof PHASES)[number];
const PHASE_NAMES: Record<Phase, string> = {
  runImages: "start-up, config, run image push (HEAD checks when there)",
  buildpacks: "buildpacks (bundle, compile, layer hash; .cnb/layout reads)",
  builder: "builder layers (base links, lifecycle, buildpack blobs, /cnb files)",
  push: "builder push (HEAD checks when there)",
};

/** Time spent in each phase of `builder create`, told apart by the first progress line of each. */
function phaseTracker(): { line: (l: string) => void; end: () => Record<Phase, number> } {
  const spent: Record<Phase, number> = { runImages: 0, buildpacks: 0, builder: 0, push: 0 };
  let phase: Phase = "runImages";
  let since = performance.now();
  const enter = (p: Phase) => {
    const now = performance.now();
    spent[phase] += now - since;
    phase = p;
    since = now;
  };
  return {
    line(l) {
      if (l.startsWith("Reading buildpack") && phase === "runImages") enter("buildpacks");
      else if (l.startsWith("Creating builder")) enter("builder");
      else if (l.startsWith("Writing ") && phase === "builder") enter("push");
    },
    end() {
      enter(phase);
      return spent;
    },
  };
}

const cli = join(repo, "builder-packager", "dist", "cnbkit.mjs");

/** One `cnbkit builder create` run: wall time and its phases. */
interface CliRun {
  total: number;
  phases: Record<Phase, number>;
}

/** Runs the bundled CLI with `args`, timing its phases by when its progress lines arrive. */
async function cliRun(args: string[]): Promise<CliRun> {
  const tracker = phaseTracker();
  const t0 = performance.now();
  const child = spawn(process.execPath, [cli, "builder", "create", ...args], { stdio: ["ignore", "ignore", "pipe"] });
  const lines: string[] = [];
  createInterface({ input: child.stderr }).on("line", (l) => {
    lines.push(l);
    tracker.line(l);
  });
  const code = await new Promise<number | null>((done) => child.on("close", done));
  if (code !== 0) throw new Error(`cnbkit builder create ${args.join(" ")} exited ${code}:\n${lines.join("\n")}`);
  return { total: performance.now() - t0, phases: tracker.end() };
}

/**
 * `config` with every buildpack packaged once as an OCI layout under `dir` (relative uris
 * and image paths made absolute): what re-creating a builder costs with no compile stage.
 */
async function prePackagedBuilder(config: string, dir: string): Promise<string> {
  const configDir = dirname(config);
  let text = await readFile(config, "utf8");
  for (const m of [...text.matchAll(/uri = "([^"]+)"/g)]) {
    const layout = join(dir, basename(m[1] as string));
    await packageBuildpack({ dir: resolve(configDir, m[1] as string), format: "oci", output: layout });
    text = text.replace(m[0], `uri = "${layout}"`);
  }
  text = text.replace(/image = "oci:([^"]+)"/g, (_, p: string) => `image = "oci:${resolve(configDir, p)}"`);
  const out = join(dir, "builder.toml");
  await writeFile(out, text);
  return out;
}

/** A buildpack layer of an OCI layout's image: which buildpack (from the layers label) and its gzip size. */
interface BuildpackLayer {
  id: string;
  version: string;
  size: number;
  digest: string;
}

/** The buildpack layers of the (single) image in an OCI layout, read from its files. */
async function layoutLayers(layout: string): Promise<BuildpackLayer[]> {
  const blob = async (digest: string) =>
    JSON.parse(await readFile(join(layout, "blobs", "sha256", digest.slice("sha256:".length)), "utf8"));
  const index = JSON.parse(await readFile(join(layout, "index.json"), "utf8"));
  const manifest = await blob(index.manifests[0].digest);
  const config = await blob(manifest.config.digest);
  const label = JSON.parse(config.config.Labels["io.buildpacks.buildpack.layers"]);
  const out: BuildpackLayer[] = [];
  for (const [id, versions] of Object.entries(label as Record<string, Record<string, { layerDiffID: string }>>)) {
    for (const [version, info] of Object.entries(versions)) {
      const at = (config.rootfs.diff_ids as string[]).indexOf(info.layerDiffID);
      out.push({ id, version, size: manifest.layers[at].size, digest: manifest.layers[at].digest });
    }
  }
  return out;
}

/** The builder's buildpack layers, one row each, and the goal: runtime + 1 MB per buildpack. */
function builderLayerTable(layers: BuildpackLayer[]): void {
  const rows: string[][] = [["reference builder: buildpack layer", "gzip", "layers in the image"]];
  for (const l of layers) rows.push([`${l.id}@${l.version}`, mb(l.size), "1"]);
  const total = layers.reduce((n, l) => n + l.size, 0);
  const runtime = layers.filter((l) => l.id === RUNTIME_MODULE_ID).reduce((n, l) => n + l.size, 0);
  const own = layers.length - layers.filter((l) => l.id === RUNTIME_MODULE_ID).length;
  rows.push(["all buildpack layers", mb(total), String(new Set(layers.map((l) => l.digest)).size)]);
  rows.push([`goal: runtime + 1 MB x ${own} buildpacks`, mb(runtime + own * 1024 * 1024), ""]);
  table(rows);
}

/**
 * Detect start-up, 40 interleaved runs each, against `node empty.js` on the same Node (the
 * floor): procfile's declarative detect (sh, no Node) on a Procfile app, and nodejs's TS
 * detect on a package.json app (the sh rules hand it to lib/node-detect, which runs the
 * bundle on the shared runtime), and the same nodejs detect as a single executable.
 */
async function startupTable(layouts: string[], standaloneNodejs: string): Promise<void> {
  const root = join(work, "startup");
  const bps = join(root, "cnb", "buildpacks");
  await mkdir(bps, { recursive: true });
  for (const layout of layouts) {
    for (const l of await layoutLayers(layout)) {
      const blob = join(layout, "blobs", "sha256", l.digest.slice("sha256:".length));
      const r = spawnSync("tar", ["-xzf", blob, "-C", root]);
      if (r.status !== 0) throw new Error(`tar -xzf ${blob} failed`);
    }
  }
  const runtime = await ensureNodeRuntime(arch as "amd64" | "arm64");
  for (const app of ["procfile-app", "node-app"]) await mkdir(join(root, app), { recursive: true });
  await mkdir(join(root, "platform"), { recursive: true });
  await writeFile(join(root, "procfile-app", "Procfile"), "web: node server.js\n");
  await writeFile(join(root, "node-app", "package.json"), '{ "name": "app", "scripts": { "start": "node s.js" } }\n');
  await writeFile(join(root, "empty.js"), "");
  const env = { PATH: process.env.PATH ?? "/usr/bin:/bin" };
  const time = (cmd: string, args: string[], app = "procfile-app", bpDir?: string) => {
    const t0 = performance.now();
    const r = spawnSync(cmd, args, {
      cwd: join(root, app),
      env: bpDir ? { ...env, CNB_BUILDPACK_DIR: bpDir } : env,
      stdio: "ignore",
    });
    if (r.status !== 0) throw new Error(`${cmd} exited ${r.status}`);
    return performance.now() - t0;
  };
  const plan = [join(root, "platform"), join(root, "plan.toml")];
  const procfile = join(bps, "cnbkit_procfile", "0.1.0");
  const nodejs = join(bps, "cnbkit_nodejs", "0.1.0");
  const runs: Record<string, number[]> = { empty: [], sh: [], ts: [], sea: [] };
  for (let i = 0; i < 40; i++) {
    runs.empty?.push(time(runtime.stripped, [join(root, "empty.js")]));
    runs.sh?.push(time(join(procfile, "bin", "detect"), plan, "procfile-app", procfile));
    runs.ts?.push(time(join(nodejs, "bin", "detect"), plan, "node-app", nodejs));
    runs.sea?.push(time(join(standaloneNodejs, "bin", "detect"), plan, "node-app", standaloneNodejs));
  }
  const floor = median(runs.empty ?? []);
  const row = (name: string, xs: number[]) => [name, ms(median(xs)), `${(median(xs) / floor).toFixed(2)}x`];
  table([
    ["detect start-up (40 interleaved runs)", "median", "ratio"],
    row("node empty.js (floor)", runs.empty ?? []),
    row("procfile, declarative: sh bin/detect (no Node)", runs.sh ?? []),
    row("nodejs, TS detect: sh -> lib/node-detect -> shared runtime", runs.ts ?? []),
    row("nodejs, TS detect: single executable (--standalone)", runs.sea ?? []),
  ]);
}

const work = await mkdtemp(join(import.meta.dirname, ".out", "pkg-"));
try {
  console.log(`bench:package  (Node ${NODE_VERSION} ${arch}; peak RSS printed last)`);
  const rows: (string | number)[][] = [
    [
      "buildpack",
      "compile+package",
      "own layer gzip",
      "runtime layer gzip",
      "standalone bin/main raw",
      "gzip",
      "zstd",
      "standalone .cnb",
    ],
  ];
  for (const name of ["nodejs", "procfile", "ca-certificates", "python", "java"]) {
    const out = join(work, `${name}.cnb`);
    const [, t] = await timed(() =>
      packageBuildpack({ dir: join(repo, "buildpacks", name), format: "oci", output: join(work, `${name}-oci`) }),
    );
    const layers = await layoutLayers(join(work, `${name}-oci`));
    await packageBuildpack({ dir: join(repo, "buildpacks", name), format: "file", output: out, standalone: true });
    const dir = join(work, name);
    await packageBuildpack({ dir: join(repo, "buildpacks", name), format: "dir", output: dir });
    const bin = join(dir, "bin", "main");
    rows.push([
      name,
      seconds(t),
      mb(layers.find((l) => l.id === `cnbkit/${name}`)?.size ?? Number.NaN),
      mb(layers.find((l) => l.id === RUNTIME_MODULE_ID)?.size ?? Number.NaN),
      mb((await stat(bin)).size),
      mb(await gzipSize(bin)),
      mb(zstdSize(bin)),
      mb((await stat(out)).size),
    ]);
  }
  table(rows);

  // The reference builder re-created unchanged by the CLI, as a user runs it (a new process
  // each time: no in-process memo helps), to a layout and to a loopback registry; from
  // source and from pre-packaged OCI layouts (the floor: no compile stage at all). One cold
  // run fills the caches, then the median of 5, split into phases by the progress lines.
  const base = join(repo, ".cnbkit", "images", "base");
  await ensureBaseImages({ output: base, onProgress: () => {} });
  const built = spawnSync(process.execPath, [join(repo, "scripts", "build-cli.mjs")], { stdio: "inherit" });
  if (built.status !== 0) throw new Error("scripts/build-cli.mjs failed");
  const config = join(repo, "builders", "reference", "builder.toml");
  const floor = await prePackagedBuilder(config, join(work, "floor"));
  const registry = await startRegistry();
  try {
    const scenarios: [string, string[]][] = [
      ["from source -> oci layout", [config, "--output", `oci:${join(work, "out-src")}:b`]],
      ["pre-packaged (floor) -> oci layout", [floor, "--output", `oci:${join(work, "out-floor")}:b`]],
      ["from source --publish", [config, "--publish", `${registry.host}/cnbkit/reference-builder:src`]],
      ["pre-packaged (floor) --publish", [floor, "--publish", `${registry.host}/cnbkit/reference-builder:floor`]],
    ];
    console.log(`builder create, unchanged re-create (load average ${loadavg()[0]?.toFixed(2)} at start)`);
    const rows: string[][] = [["builder create (reference)", "cold", "unchanged (median of 5)", "min"]];
    for (const [name, args] of scenarios) {
      const cold = await cliRun(args);
      const warm: CliRun[] = [];
      for (let i = 0; i < 5; i++) warm.push(await cliRun(args));
      const med = (f: (r: CliRun) => number) => seconds(median(warm.map(f)));
      rows.push([name, seconds(cold.total), med((r) => r.total), seconds(Math.min(...warm.map((r) => r.total)))]);
      for (const p of PHASES) rows.push([`  ${PHASE_NAMES[p]}`, seconds(cold.phases[p]), med((r) => r.phases[p]), ""]);
    }
    table(rows);
    builderLayerTable(await layoutLayers(join(work, "out-src")));
  } finally {
    await registry.stop();
  }

  await startupTable([join(work, "procfile-oci"), join(work, "nodejs-oci")], join(work, "nodejs"));
  console.log(`peak RSS of this process: ${peakRssMb().toFixed(0)} MB`);
} finally {
  await rm(work, { recursive: true, force: true });
}

/**
 * bench:builder — `cnbkit builder create --publish` against `pack builder create --publish`
 * (pack v0.40.6, scripts/fetch-pack.sh), cold, in the same process.
 *
 * Both get the same inputs: five `.cnb` files (the reference buildpacks nodejs, python, java,
 * procfile and ca-certificates, packaged once), the base images pushed to the loopback
 * registry they publish to, and a lifecycle release tarball. Cold means fresh caches for both
 * (CNBKIT_CACHE and PACK_HOME in temp dirs) and a fresh registry per run holding only the base
 * images. Three runs each, interleaved; medians, their ratio, and each run's peak RSS (the
 * child's, from /usr/bin/time). Then cnbkit's unchanged-inputs re-run (same cache, same
 * registry) and a per-step breakdown of one run of each: progress lines (cnbkit's, and pack's
 * --timestamps --verbose log) and the registry's access log (requests by kind, mounts, bytes
 * stored), each timed from the start of the run.
 */
import { execFileSync, spawn } from "node:child_process";
import { cp, mkdir, mkdtemp, readdir, rm, stat, writeFile } from "node:fs/promises";
import { homedir, loadavg } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { ensureBaseImages } from "../builder-packager/src/base/images.js";
import { copyImage, openImageSink, openImageSource } from "../builder-packager/src/oci/image-store.js";
import { startRegistry, type TestRegistry } from "../builder-packager/src/oci/test-registry.js";
import { packageBuildpack } from "../builder-packager/src/package/index.js";
import { median, table } from "./stats.js";

const repo = join(import.meta.dirname, "..");
const cacheRoot = process.env.CNBKIT_CACHE ?? join(homedir(), ".cache", "cnbkit");
const PACK = join(cacheRoot, "pack", "0.40.6", "pack");
const LIFECYCLE = join(cacheRoot, "lifecycle", "0.21.17");
const cli = join(repo, "builder-packager", "dist", "cnbkit.mjs");
const BUILDPACKS = ["ca-certificates", "nodejs", "python", "java", "procfile"];
const RUNS = 3;
const seconds = (t: number) => `${(t / 1000).toFixed(2)} s`;
const mb = (n: number) => `${(n / 1024 / 1024).toFixed(1)} MB`;

/** One line of a run's output or of the registry's access log, with when it came (ms from start). */
interface Stamped {
  at: number;
  line: string;
}

/** One timed run of a tool. */
interface Run {
  total: number;
  rssMb: number;
  lines: Stamped[];
  requests: Stamped[];
  storedBytes: number;
  /** cnbkit only: the same command again, same cache and registry (unchanged inputs). */
  reruns?: number[];
}

/** The bytes of every blob a registry stores (data files under its blobs dir). */
async function storedBytes(storage: string): Promise<number> {
  let n = 0;
  const walk = async (dir: string): Promise<void> => {
    for (const e of await readdir(dir, { withFileTypes: true }).catch(() => [])) {
      if (e.isDirectory()) await walk(join(dir, e.name));
      else if (e.name === "data") n += (await stat(join(dir, e.name))).size;
    }
  };
  await walk(join(storage, "docker", "registry", "v2", "blobs"));
  return n;
}

/** A registry holding only the base images (build and run), and its access log from now on. */
async function freshRegistry(base: string): Promise<{ registry: TestRegistry; log: Stamped[]; t0: { at: number } }> {
  const log: Stamped[] = [];
  const t0 = { at: Number.POSITIVE_INFINITY };
  const registry = await startRegistry({
    onAccessLog: (line) => {
      if (line.includes('"') && performance.now() >= t0.at) log.push({ at: performance.now() - t0.at, line });
    },
  });
  for (const tag of ["build", "run"]) {
    await copyImage(await openImageSource(`oci:${base}:${tag}`), await openImageSink(`${registry.host}/base:${tag}`));
  }
  return { registry, log, t0 };
}

/** Runs `cmd args` under /usr/bin/time (for the child's peak RSS), stamping each output line. */
async function timedRun(
  cmd: string,
  args: string[],
  env: NodeJS.ProcessEnv,
  t0: { at: number },
): Promise<Omit<Run, "requests" | "storedBytes">> {
  const lines: Stamped[] = [];
  t0.at = performance.now();
  const child = spawn("/usr/bin/time", ["-f", "RSS %M", cmd, ...args], { env, stdio: ["ignore", "pipe", "pipe"] });
  for (const s of [child.stdout, child.stderr]) {
    createInterface({ input: s }).on("line", (line) => lines.push({ at: performance.now() - t0.at, line }));
  }
  const code = await new Promise<number | null>((done) => child.on("close", done));
  const total = performance.now() - t0.at;
  if (code !== 0) throw new Error(`${cmd} ${args.join(" ")} exited ${code}:\n${lines.map((l) => l.line).join("\n")}`);
  const rss = lines.find((l) => l.line.startsWith("RSS "));
  return { total, rssMb: Number(rss?.line.slice(4) ?? 0) / 1024, lines: lines.filter((l) => l !== rss) };
}

/** The builder.toml both tools read: five .cnb files, registry base images, a lifecycle tarball. */
function builderToml(cnbs: string[], host: string, lifecycle: string): string {
  const bps = cnbs.map((f) => `[[buildpacks]]\nuri = "${f}"\n`).join("\n");
  const opt = (id: string) => `[[order.group]]\nid = "cnbkit/${id}"\noptional = true\n`;
  const group = (main: string) =>
    `[[order]]\n${opt("ca-certificates")}[[order.group]]\nid = "cnbkit/${main}"\n${main === "procfile" ? "" : opt("procfile")}`;
  return (
    `description = "bench:builder"\n\n${bps}\n${["nodejs", "python", "java", "procfile"].map(group).join("\n")}\n` +
    `[build]\nimage = "${host}/base:build"\n\n[run]\n[[run.images]]\nimage = "${host}/base:run"\n\n` +
    `[lifecycle]\nuri = "${lifecycle}"\n`
  );
}

/** The lifecycle as its release tarball lays it out: lifecycle.toml at the top, binaries in lifecycle/. */
async function lifecycleTarball(dir: string): Promise<string> {
  const rel = join(dir, "lifecycle-release");
  await cp(LIFECYCLE, join(rel, "lifecycle"), { recursive: true, verbatimSymlinks: true });
  await rm(join(rel, "lifecycle", "lifecycle.toml"));
  await cp(join(LIFECYCLE, "lifecycle.toml"), join(rel, "lifecycle.toml"));
  const tgz = join(dir, "lifecycle-v0.21.17+linux.x86-64.tgz");
  execFileSync("tar", ["-czf", tgz, "-C", rel, "lifecycle.toml", "lifecycle"]);
  return tgz;
}

/** "before": another cnbkit bundle (CNBKIT_BEFORE_CLI, e.g. main's), to compare a change in the same run. */
type Tool = "pack" | "cnbkit" | "before";
const beforeCli = process.env.CNBKIT_BEFORE_CLI;
const TOOLS: Tool[] = beforeCli ? ["pack", "cnbkit", "before"] : ["pack", "cnbkit"];

/** One cold run of `tool` against a fresh registry; `keep` leaves the registry and cache for a re-run. */
async function coldRun(tool: Tool, ctx: Inputs, i: number): Promise<Run> {
  const { registry, log, t0 } = await freshRegistry(ctx.base);
  const scratch = await mkdtemp(join(ctx.work, `${tool}-`));
  try {
    await writeFile(join(scratch, "builder.toml"), builderToml(ctx.cnbs, registry.host, ctx.lifecycle));
    const before = await storedBytes(registry.storage);
    const r = await invoke(tool, scratch, registry.host, i, t0);
    const run: Run = { ...r, requests: [...log], storedBytes: (await storedBytes(registry.storage)) - before };
    if (tool !== "pack") {
      run.reruns = [];
      for (let k = 0; k < 3; k++) run.reruns.push((await invoke(tool, scratch, registry.host, i, { at: 0 })).total);
    }
    return run;
  } finally {
    await registry.stop();
    await rm(scratch, { recursive: true, force: true });
  }
}

/** Runs one tool's `builder create --publish` with its caches in `scratch`. */
async function invoke(tool: Tool, scratch: string, host: string, i: number, t0: { at: number }) {
  const config = join(scratch, "builder.toml");
  if (tool === "pack") {
    await mkdir(join(scratch, "pack-home"));
    await mkdir(join(scratch, "docker"));
    const env = {
      ...process.env,
      PACK_HOME: join(scratch, "pack-home"),
      DOCKER_CONFIG: join(scratch, "docker"),
      DOCKER_HOST: `unix://${join(scratch, "no-docker.sock")}`,
    };
    const args = ["builder", "create", `${host}/pack-builder:${i}`, "--config", config, "--publish"];
    return timedRun(PACK, [...args, "--pull-policy", "always", "--no-color", "--timestamps", "--verbose"], env, t0);
  }
  const env = { ...process.env, CNBKIT_CACHE: join(scratch, "cache"), NO_COLOR: "1" };
  const bundle = tool === "before" ? (beforeCli as string) : cli;
  return timedRun(
    process.execPath,
    [bundle, "builder", "create", config, "--publish", `${host}/${tool}-builder:${i}`],
    env,
    t0,
  );
}

/** What every run reads. */
interface Inputs {
  work: string;
  base: string;
  cnbs: string[];
  lifecycle: string;
}

/** Requests in an access log by kind: method and what they address, mounts apart. */
function requestKinds(requests: Stamped[]): Map<string, number> {
  const kinds = new Map<string, number>();
  for (const { line } of requests) {
    const m = /"([A-Z]+) (\/v2\/[^ ]*) HTTP[^"]*" (\d+)/.exec(line);
    if (!m) continue;
    const [, method, path, status] = m as unknown as [string, string, string, string];
    const what = path.includes("mount=")
      ? "mount"
      : path.includes("/blobs/uploads/")
        ? "upload"
        : path.includes("/blobs/")
          ? "blob"
          : path.includes("/manifests/")
            ? "manifest"
            : "other";
    const key = `${method} ${what} ${status}`;
    kinds.set(key, (kinds.get(key) ?? 0) + 1);
  }
  return kinds;
}

/** One run's steps: each output line with when it came, then the requests grouped by kind. */
function breakdown(tool: Tool, run: Run): void {
  console.log(
    `\n${tool}: one cold run, ${seconds(run.total)}, peak RSS ${run.rssMb.toFixed(0)} MB, ${mb(run.storedBytes)} stored by the registry`,
  );
  const rows: string[][] = [["at", "line"]];
  for (const l of run.lines) rows.push([seconds(l.at), l.line.replace(/^\d{4}\/\d\d\/\d\d /, "").slice(0, 150)]);
  table(rows);
  const first = run.requests[0]?.at ?? 0;
  const last = run.requests.at(-1)?.at ?? 0;
  console.log(`registry: ${run.requests.length} requests from ${seconds(first)} to ${seconds(last)}`);
  table([["request", "count"], ...[...requestKinds(run.requests)].sort().map(([k, n]) => [k, String(n)])]);
}

const work = await mkdtemp(join(import.meta.dirname, ".out", "builder-"));
try {
  execFileSync("bash", [join(repo, "scripts", "fetch-pack.sh")], { stdio: "inherit" });
  execFileSync(process.execPath, [join(repo, "scripts", "build-cli.mjs")], { stdio: "inherit" });
  const base = join(repo, ".cnbkit", "images", "base");
  await ensureBaseImages({ output: base, onProgress: () => {} });
  const cnbs: string[] = [];
  for (const name of BUILDPACKS) {
    const out = join(work, "cnb", `${name}.cnb`);
    await packageBuildpack({ dir: join(repo, "buildpacks", name), format: "file", output: out });
    cnbs.push(out);
  }
  const inputs: Inputs = { work, base, cnbs, lifecycle: await lifecycleTarball(work) };
  console.log(
    `bench:builder  (load average ${loadavg()
      .map((x) => x.toFixed(2))
      .join(" ")} at start)`,
  );
  const runs: Record<Tool, Run[]> = { pack: [], cnbkit: [], before: [] };
  for (let i = 0; i < RUNS; i++) {
    for (const tool of i % 2 ? [...TOOLS].reverse() : TOOLS) runs[tool].push(await coldRun(tool, inputs, i));
  }
  const med = (t: Tool) => median(runs[t].map((r) => r.total));
  const rows: string[][] = [
    ["builder create --publish, cold", ...runs.pack.map((_, i) => `run ${i + 1}`), "median", "peak RSS"],
  ];
  for (const t of TOOLS) {
    rows.push([
      t,
      ...runs[t].map((r) => seconds(r.total)),
      seconds(med(t)),
      `${Math.max(...runs[t].map((r) => r.rssMb)).toFixed(0)} MB`,
    ]);
  }
  table(rows);
  for (const t of TOOLS.filter((x) => x !== "pack")) {
    const reruns = runs[t].flatMap((r) => r.reruns ?? []);
    console.log(
      `${t} unchanged re-run (same cache and registry): median ${seconds(median(reruns))} of ${reruns.length}, max ${seconds(Math.max(...reruns))}`,
    );
    console.log(`ratio pack / ${t} (medians): ${(med("pack") / med(t)).toFixed(2)}x`);
  }
  console.log(
    `load average ${loadavg()
      .map((x) => x.toFixed(2))
      .join(" ")} at the end`,
  );
  for (const t of TOOLS) {
    const sorted = [...runs[t]].sort((a, b) => a.total - b.total);
    breakdown(t, sorted[Math.floor(sorted.length / 2)] as Run);
  }
} finally {
  await rm(work, { recursive: true, force: true });
}

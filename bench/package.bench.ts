/**
 * bench:package — what packaging costs and what it produces.
 *
 * Prints, for each reference buildpack: compile + package time to a .cnb, the binary's
 * size raw / gzip / zstd and the .cnb's size; `builder create --publish` of the reference
 * builder to a loopback registry, cold and unchanged (every blob already there), split into
 * its phases (run image push, buildpacks from source, builder layers, builder push); and the
 * single executable's start-up against `node bundle.js` on the same Node (the floor).
 * Medians where runs repeat. Makes the base images at .cnbkit/images/base when missing
 * (cached debootstrap rootfs under ~/.cache/cnbkit).
 */
import { spawnSync } from "node:child_process";
import { createReadStream } from "node:fs";
import { mkdir, mkdtemp, rm, stat, writeFile } from "node:fs/promises";
import { pipeline } from "node:stream/promises";
import { join } from "node:path";
import { createGzip } from "node:zlib";
import { ensureBaseImages } from "../builder-packager/src/base/images.js";
import { createBuilder } from "../builder-packager/src/builder/index.js";
import { bundleBuildpack } from "../builder-packager/src/compile/bundle.js";
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
  runImages: "run image push (HEAD checks when there)",
  buildpacks: "buildpacks from source dirs (bundle, compile, layer hash)",
  builder: "builder layers (base links, lifecycle, buildpack blobs, /cnb files)",
  push: "builder push (HEAD checks when there)",
};

/** Time spent in each phase of `createBuilder`, told apart by the first progress line of each. */
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

const work = await mkdtemp(join(import.meta.dirname, ".out", "pkg-"));
try {
  console.log(`bench:package  (Node ${NODE_VERSION} ${arch}; peak RSS printed last)`);
  const rows: (string | number)[][] = [["buildpack", "compile+package", "bin/main raw", "gzip", "zstd", ".cnb"]];
  for (const name of ["nodejs", "procfile", "ca-certificates"]) {
    const out = join(work, `${name}.cnb`);
    const [, t] = await timed(() =>
      packageBuildpack({ dir: join(repo, "buildpacks", name), format: "file", output: out }),
    );
    const dir = join(work, name);
    await packageBuildpack({ dir: join(repo, "buildpacks", name), format: "dir", output: dir });
    const bin = join(dir, "bin", "main");
    rows.push([
      name,
      seconds(t),
      mb((await stat(bin)).size),
      mb(await gzipSize(bin)),
      mb(zstdSize(bin)),
      mb((await stat(out)).size),
    ]);
  }
  table(rows);

  // The reference builder published to a loopback registry: cold, then unchanged re-creates
  // (median of 5), each split into its phases by the progress lines' timestamps.
  const base = join(repo, ".cnbkit", "images", "base");
  await ensureBaseImages({ output: base, onProgress: () => {} });
  const registry = await startRegistry();
  try {
    const ref = `${registry.host}/cnbkit/reference-builder:bench`;
    const config = join(repo, "builders", "reference", "builder.toml");
    const runs: { total: number; phases: Record<Phase, number>; uploaded: number; existing: number }[] = [];
    for (let i = 0; i < 6; i++) {
      const tracker = phaseTracker();
      const [r, t] = await timed(() => createBuilder({ config, output: ref, onProgress: tracker.line }));
      runs.push({ total: t, phases: tracker.end(), uploaded: r.uploaded ?? 0, existing: r.existing ?? 0 });
    }
    const [cold, ...warm] = runs as [(typeof runs)[0], ...typeof runs];
    const med = (f: (r: (typeof runs)[0]) => number) => seconds(median(warm.map(f)));
    table([
      ["builder create --publish (reference, loopback registry)", "cold", "unchanged (median of 5)"],
      ["total", seconds(cold.total), med((r) => r.total)],
      ...PHASES.map((p) => [`  ${PHASE_NAMES[p]}`, seconds(cold.phases[p]), med((r) => r.phases[p])]),
      [
        "blobs uploaded / already there or mounted",
        `${cold.uploaded} / ${cold.existing}`,
        `${warm[0]?.uploaded} / ${warm[0]?.existing}`,
      ],
    ]);
  } finally {
    await registry.stop();
  }

  // Start-up: the single executable vs the same bundle run by the same Node.
  const runtime = await ensureNodeRuntime(arch);
  const { code } = await bundleBuildpack({
    entry: join(repo, "buildpacks", "procfile", "src", "index.ts"),
    nodeVersion: NODE_VERSION,
  });
  await mkdir(join(work, "script"), { recursive: true });
  await writeFile(join(work, "script", "package.json"), '{ "type": "commonjs" }\n');
  await writeFile(join(work, "script", "main"), code);
  const sea = join(work, "procfile", "bin", "main");
  const time = (cmd: string, args: string[]) => {
    const t0 = performance.now();
    spawnSync(cmd, args, { stdio: "ignore" });
    return performance.now() - t0;
  };
  const seaTimes: number[] = [];
  const scriptTimes: number[] = [];
  for (let i = 0; i < 20; i++) {
    seaTimes.push(time(sea, []));
    scriptTimes.push(time(runtime.node, [join(work, "script", "main")]));
  }
  table([
    ["start-up (procfile buildpack, 20 interleaved runs)", "median", "ratio"],
    ["node bundle.js (floor)", ms(median(scriptTimes)), "1.00x"],
    ["single executable", ms(median(seaTimes)), `${(median(seaTimes) / median(scriptTimes)).toFixed(2)}x`],
  ]);
  console.log(`peak RSS of this process: ${peakRssMb().toFixed(0)} MB`);
} finally {
  await rm(work, { recursive: true, force: true });
}

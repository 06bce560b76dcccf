/**
 * bench:package — what packaging costs and what it produces.
 *
 * Prints, for each reference buildpack: compile + package time to a .cnb, the binary's
 * size raw / gzip / zstd and the .cnb's size; `builder create` for the reference builder
 * pushed to a loopback registry, cold and again with every blob already there; and the
 * single executable's start-up against `node bundle.js` on the same Node (the floor).
 * Medians where runs repeat. Needs the base images (`cnbkit base create --output
 * oci:.cnbkit/images/base`, which `npm run main` does).
 */
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { createReadStream } from "node:fs";
import { mkdir, mkdtemp, rm, stat, writeFile } from "node:fs/promises";
import { pipeline } from "node:stream/promises";
import { join } from "node:path";
import { createGzip } from "node:zlib";
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

  const base = join(repo, ".cnbkit", "images", "base");
  if (existsSync(join(base, "index.json"))) {
    const registry = await startRegistry();
    try {
      const ref = `${registry.host}/cnbkit/reference-builder:bench`;
      const config = join(repo, "builders", "reference", "builder.toml");
      const [cold, tc] = await timed(() => createBuilder({ config, output: ref }));
      const [warm, tw] = await timed(() => createBuilder({ config, output: ref }));
      table([
        ["builder create (reference, to a loopback registry)", "time", "blobs uploaded", "already there"],
        ["cold", seconds(tc), cold.uploaded ?? 0, cold.existing ?? 0],
        ["every blob already in the registry", seconds(tw), warm.uploaded ?? 0, warm.existing ?? 0],
      ]);
    } finally {
      await registry.stop();
    }
  } else {
    console.log("builder create: skipped, no base images at .cnbkit/images/base (run `npm run main` once)");
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

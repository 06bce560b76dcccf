/**
 * Prints compile figures: compile time (cold cache and warm), binary size raw / gzip /
 * zstd, and startup of the SEA against `node bundle.cjs` on the same Node (median of N).
 * Not a test: it asserts nothing and its numbers depend on the machine.
 *
 * Run (there is no TS loader in the repo, so bundle it first):
 *   npx esbuild builder-packager/src/compile/measure.ts --bundle --platform=node --format=esm \
 *     --packages=external --outfile=builder-packager/src/compile/.measure.mjs && node builder-packager/src/compile/.measure.mjs [--cold]
 * `--cold` also times a compile with empty cnbkit and npm caches (downloads ~110 MB).
 */
import { spawnSync } from "node:child_process";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { bundleBuildpack } from "./bundle.js";
import { compileBuildpack } from "./compile.js";
import { ensureNodeRuntime, NODE_VERSION } from "./node-runtime.js";

const RUNS = 20;
const fixture = join(import.meta.dirname, "fixtures", "tiny", "entry.ts");
const targets = ["linux/amd64", "linux/arm64"] as const;

async function timed<T>(fn: () => Promise<T>): Promise<[T, number]> {
  const t0 = performance.now();
  const value = await fn();
  return [value, (performance.now() - t0) / 1000];
}

/** Median wall time in ms of `runs` runs of a command. */
function medianMs(cmd: string, args: string[], runs = RUNS): number {
  const times: number[] = [];
  const env: NodeJS.ProcessEnv = { ...process.env, FIXTURE_EXIT: "0" };
  delete env.NODE_OPTIONS;
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    const res = spawnSync(cmd, args, { env, stdio: "ignore" });
    times.push(performance.now() - t0);
    if (res.status !== 0) throw new Error(`${cmd} ${args.join(" ")} exited ${res.status}`);
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)] as number;
}

function mib(n: number): string {
  return `${(n / 1024 / 1024).toFixed(1)} MiB`;
}

const work = await mkdtemp(join(tmpdir(), "cnbkit-measure-"));
try {
  if (process.argv.includes("--cold")) {
    const cache = join(work, "cache");
    process.env.npm_config_cache = join(work, "npm-cache");
    const [, cold] = await timed(() =>
      compileBuildpack({ entry: fixture, outDir: join(work, "cold"), targets: [...targets], cacheDir: cache }),
    );
    console.log(`compile cold (download, strip, both targets): ${cold.toFixed(1)} s`);
    delete process.env.npm_config_cache;
  }
  await compileBuildpack({ entry: fixture, outDir: join(work, "prime"), targets: [...targets] });
  for (const t of [[...targets], ["linux/amd64"], ["linux/arm64"]] as const) {
    const [, warm] = await timed(() =>
      compileBuildpack({ entry: fixture, outDir: join(work, "warm"), targets: [...t] }),
    );
    console.log(`compile warm (${t.join(" + ")}): ${warm.toFixed(1)} s`);
  }

  const { code } = await bundleBuildpack({ entry: fixture, nodeVersion: NODE_VERSION });
  const script = join(work, "bundle.cjs");
  await writeFile(script, code);
  const rt = await ensureNodeRuntime("amd64");
  const sea = join(work, "warm", "linux-amd64", "bin", "detect");
  console.log(`startup, median of ${RUNS} (Node ${NODE_VERSION}, amd64, tiny fixture):`);
  console.log(`  SEA bin/detect:              ${medianMs(sea, []).toFixed(1)} ms`);
  console.log(`  node bundle.cjs (official):  ${medianMs(rt.node, [script]).toFixed(1)} ms`);
  console.log(`  node bundle.cjs (stripped):  ${medianMs(rt.stripped, [script]).toFixed(1)} ms`);
  console.log(`  node -e 0 (official):        ${medianMs(rt.node, ["-e", "0"]).toFixed(1)} ms`);
  const armSea = join(work, "warm", "linux-arm64", "bin", "detect");
  console.log(
    `  arm64 SEA under qemu:        ${medianMs("qemu-aarch64-static", [armSea], 5).toFixed(1)} ms (median of 5)`,
  );
  // After startup: holding 100+ MB buffers makes every later spawn (fork) slower.
  for (const arch of ["amd64", "arm64"]) {
    const bytes = await readFile(join(work, "warm", `linux-${arch}`, "bin", "main"));
    const zst = spawnSync("zstd", ["-19", "-T2", "-c"], { input: bytes, maxBuffer: 1 << 30 });
    console.log(
      `size linux/${arch}: raw ${mib(bytes.length)}, gzip -9 ${mib(gzipSync(bytes, { level: 9 }).length)}, zstd -19 ${mib(zst.stdout.length)}`,
    );
  }
} finally {
  await rm(work, { recursive: true, force: true });
}

/**
 * `npm run bench:multi-arch`: what a cold two-platform build (linux/amd64 + linux/arm64 into
 * one image index, arm64 under qemu) costs against one native build, in the same run (issue
 * 57 item 4), for examples/apps/java-hello, node-hello and python-hello:
 * - native: `--platform linux/amd64` alone (this machine's), the floor the goals are set by;
 * - both, reusing: the two platforms with the arch-neutral store (the default): the arm64
 *   build restores what the native one declared arch-neutral (the Maven-built jar, pure-JS
 *   node_modules) or made for it (a venv, its native wheels swapped for arm64's) instead of
 *   building it under qemu;
 * - both, full: the same with `--no-arch-neutral-reuse`: each platform built in full (the
 *   arm64 build's lifecycle and buildpacks' Node.js still run natively: native-lifecycle.ts);
 * - both, all under qemu (BENCH_EMULATED=1): full, and with `--no-native-lifecycle` too: the
 *   native build plus a wholly emulated one, the sum the issue measures against.
 * Each build is cold: a fresh cache dir and a fresh output (no previous image). The rounds
 * are interleaved (native, reusing, full, then again), so a change in the machine's load
 * lands on every row, and each row is a median with its ratio to the native median. The
 * issue's goals: ≤ 1.5x native for node-hello and python-hello, ≤ 2x for java-hello.
 * - the stock lifecycle (bench/stock-multi-arch.ts, BENCH_MULTI_ARCH_STOCK=1, or
 *   BENCH_MULTI_ARCH_ONLY=stock for these rows alone): node-hello's and java-hello's cold
 *   two-platform builds and warm no-op rebuilds on the same builder with the upstream
 *   lifecycle built unpatched, beside cnbkit's patched one (BENCH_STOCK_ROUNDS rounds, default 3).
 * BENCH_RUNS (default 3) sets the rounds, BENCH_APPS=java,node,python the apps. Peak RSS is this
 * process's (the platform code); the lifecycle runs in runc. The builder is the local
 * reference builder for both arches with cnbkit/java (test/e2e/multi-arch-java-builder.ts, cached by its inputs).
 */
import { mkdtemp, rm } from "node:fs/promises";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { buildPlatforms, buildApp } from "../builder-packager/src/platform/index.js";
import { caBindings, E2E_DIR, fixtureApp, ROOT } from "../test/e2e/support.js";
import { multiArchJavaBuilder } from "../test/e2e/multi-arch-java-builder.js";
import { prepareMultiArchReferenceBuilder } from "../tools/local-builder/multi-arch.js";
import { median, peakRssMb, table } from "./stats.js";
import { benchStockMultiArch } from "./stock-multi-arch.js";

const RUNS = Number(process.env.BENCH_RUNS || 3);
const APPS = (process.env.BENCH_APPS || "java,node,python").split(",").map((a) => a.trim());
/** BENCH_EMULATED=1 adds a row with nothing native in the arm64 build (`--no-native-lifecycle`, no reuse): the plain native + emulated sum. */
const EMULATED = process.env.BENCH_EMULATED === "1";
/** BENCH_MULTI_ARCH_ONLY=stock runs only the stock-lifecycle rows; BENCH_MULTI_ARCH_STOCK=1 adds them. */
const STOCK_ONLY = process.env.BENCH_MULTI_ARCH_ONLY === "stock";
const STOCK = STOCK_ONLY || process.env.BENCH_MULTI_ARCH_STOCK === "1";
const AMD64 = { os: "linux", architecture: "amd64" };
const ARM64 = { os: "linux", architecture: "arm64" };
const say = (l: string) => process.stderr.write(`[bench] ${l}\n`);
const work = await mkdtemp(join(tmpdir(), "cnbkit-bench-multi-"));
const apps: string[] = [];

try {
  say("multi-arch reference builder with cnbkit/java (cached by its inputs)");
  const builder = await multiArchJavaBuilder(say);
  const bindings = await caBindings();
  const rows: (string | number)[][] = [["app", "build", "median", "x native", "runs"]];
  let n = 0;
  for (const name of STOCK_ONLY ? [] : APPS) {
    const app = await fixtureApp(`bench-multi-${name}`, {}, join(ROOT, `examples/apps/${name}-hello`));
    apps.push(app);
    const fresh = () => {
      n++;
      return { output: `oci:${join(work, `out-${n}`)}:latest`, cacheDir: join(work, `cache-${n}`) };
    };
    const timed = async (fn: () => Promise<unknown>) => {
      const t0 = performance.now();
      await fn();
      return performance.now() - t0;
    };
    const times = { native: [] as number[], reusing: [] as number[], full: [] as number[], emulated: [] as number[] };
    for (let round = 1; round <= RUNS; round++) {
      say(`${name}-hello round ${round} of ${RUNS} (load average ${loadavg()[0]!.toFixed(1)})`);
      times.native.push(await timed(() => buildApp({ appDir: app, builder, bindings, platform: AMD64, ...fresh() })));
      times.reusing.push(
        await timed(() => buildPlatforms({ appDir: app, builder, bindings, ...fresh() }, [AMD64, ARM64])),
      );
      times.full.push(
        await timed(() =>
          buildPlatforms({ appDir: app, builder, bindings, shareArchNeutral: false, ...fresh() }, [AMD64, ARM64]),
        ),
      );
      if (EMULATED) {
        times.emulated.push(
          await timed(() =>
            buildPlatforms(
              { appDir: app, builder, bindings, shareArchNeutral: false, nativeLifecycle: false, ...fresh() },
              [AMD64, ARM64],
            ),
          ),
        );
      }
    }
    const native = median(times.native);
    for (const [label, xs] of [
      ["native (amd64)", times.native],
      ["amd64+arm64, reusing", times.reusing],
      ["amd64+arm64, full", times.full],
      ...(EMULATED ? ([["amd64+arm64, all under qemu", times.emulated]] as const) : []),
    ] as const) {
      const m = median(xs);
      rows.push([
        `${name}-hello`,
        label,
        `${(m / 1000).toFixed(1)} s`,
        `${(m / native).toFixed(2)}x`,
        xs.map((x) => (x / 1000).toFixed(0)).join(" "),
      ]);
    }
  }
  if (!STOCK_ONLY) {
    console.log(`\nCold builds, medians of ${RUNS} (load average at the end ${loadavg()[0]!.toFixed(1)}, 2 cores)`);
    table(rows);
  }
  if (STOCK) {
    // The same inputs multiArchJavaBuilder made the builder from (a no-op when they are current).
    const multi = await prepareMultiArchReferenceBuilder({
      outDir: join(E2E_DIR, "multi-arch-java", "src"),
      baseLayout: join(E2E_DIR, "multi-arch-java", "base"),
      java: true,
    });
    await benchStockMultiArch({
      work,
      builder,
      builderToml: multi.builderToml,
      inputsDigest: multi.inputsDigest,
      bindings,
      apps: ["node", "java"].filter((a) => APPS.includes(a)),
      rounds: Number(process.env.BENCH_STOCK_ROUNDS || 3),
      say,
    });
  }
  console.log(`peak RSS of the platform process: ${peakRssMb().toFixed(0)} MB`);
} finally {
  for (const a of apps) await rm(a, { recursive: true, force: true });
  await rm(work, { recursive: true, force: true });
}

/**
 * bench:multi-arch's stock-lifecycle rows (BENCH_MULTI_ARCH_STOCK=1, or BENCH_MULTI_ARCH_ONLY=stock):
 * node-hello's and java-hello's cold linux/amd64 + linux/arm64 builds (the default: arch-neutral
 * reuse, the arm64 build's lifecycle run natively) and warm no-op rebuilds, on the multi-arch
 * reference builder with cnbkit's patched lifecycle and on the same builder with the upstream
 * lifecycle built unpatched (bench/stock-builder.ts), interleaved round by round.
 *
 * The arm64 build runs its lifecycle natively only when cnbkit holds this machine's build of
 * the very lifecycle the builder carries (native-lifecycle.ts looks in the cnbkit cache's
 * lifecycle/<version> and lifecycle/<version>-arm64). For the stock builder those are the
 * stock builds, so its builds run with CNBKIT_CACHE at a view of the cnbkit cache whose
 * `lifecycle` holds them under those names and whose every other entry links to the real one.
 * Without it the stock side's arm64 lifecycle would run under qemu, and the rows would measure
 * qemu, not the patches.
 */
import { cp, mkdir, mkdtemp, readdir, rm, symlink } from "node:fs/promises";
import { loadavg } from "node:os";
import { join } from "node:path";
import { cnbkitCacheDir } from "../builder-packager/src/cache/index.js";
import { type Binding, buildPlatforms } from "../builder-packager/src/platform/index.js";
import { ROOT } from "../test/e2e/support.js";
import { table } from "./stats.js";
import { stockLifecycleDir, stockMultiArchBuilder } from "./stock-builder.js";
import { pairedRow } from "./stock-lifecycle.js";

/** What the stock rows need from bench:multi-arch. */
export interface StockMultiArchInputs {
  /** A scratch dir of the run (removed by the caller). */
  work: string;
  /** The patched multi-arch builder (`oci:<dir>:latest`) the other rows use. */
  builder: string;
  /** Its builder.toml and inputs digest, which the stock builder is made from. */
  builderToml: string;
  inputsDigest: string;
  bindings: Binding[];
  /** The apps (`node`, `java`). */
  apps: string[];
  /** Rounds of each measure. */
  rounds: number;
  say(line: string): void;
}

const LIFECYCLES = ["patched", "stock"] as const;
type Lifecycle = (typeof LIFECYCLES)[number];
const PLATFORMS = [
  { os: "linux", architecture: "amd64" },
  { os: "linux", architecture: "arm64" },
];

/** One lifecycle's figures for one app (ms), and each cold build's per-platform manifest digests. */
interface Side {
  cold: number[];
  coldExportAmd64: number[];
  coldExportArm64: number[];
  warm: number[];
  digests: string[][];
}

/** Measures and prints the stock rows. */
export async function benchStockMultiArch(o: StockMultiArchInputs): Promise<void> {
  o.say("stock lifecycle: the multi-arch builder with the upstream lifecycle (cached by its inputs)");
  const builders: Record<Lifecycle, string> = {
    patched: o.builder,
    stock: await stockMultiArchBuilder(o.builderToml, o.inputsDigest, (l) => o.say(`  ${l}`)),
  };
  const view = await stockCacheView(o.work);
  // Each app's table as soon as it is measured, so a run stopped halfway still says something.
  for (const name of o.apps) {
    const before = loadavg()[0]!;
    const sides = await measureApp(o, builders, view, name);
    console.log(
      `\n${name}-hello, linux/amd64 + linux/arm64: the patched lifecycle beside the upstream one (v0.21.17 built unpatched; arm64's runs natively on both), medians of ${o.rounds} interleaved rounds (runs in s; export = that platform's exporting phase; load average ${before.toFixed(1)} -> ${loadavg()[0]!.toFixed(1)})\n`,
    );
    table([
      ["measure", "patched", "stock", "stock / patched (median of rounds)", "patched runs", "stock runs"],
      ...sideRows(`${name}-hello`, sides),
    ]);
    console.log("\neach platform's manifest digest compared (cold builds)\n");
    table([["images", "amd64", "arm64"], ...compareDigests(`${name}-hello`, sides)]);
  }
}

/**
 * A cnbkit cache whose `lifecycle/<version>` and `lifecycle/<version>-arm64` are the stock
 * builds and `tmp/` its own dir, every other entry a link to the real cache's, so a stock build finds its arm64
 * lifecycle's native twin as a patched build finds its own.
 */
async function stockCacheView(work: string): Promise<string> {
  const real = cnbkitCacheDir();
  const view = await mkdtemp(join(work, "stock-cache-"));
  for (const entry of await readdir(real)) {
    if (entry !== "lifecycle" && entry !== "tmp") await symlink(join(real, entry), join(view, entry));
  }
  // The builds' work dirs (and the rootfs views in them) go under tmp/: runc refuses a rootfs
  // whose path has a symlink in it.
  await mkdir(join(view, "tmp"));
  await mkdir(join(view, "lifecycle"));
  await symlink(stockLifecycleDir("amd64"), join(view, "lifecycle", "0.21.17"));
  await symlink(stockLifecycleDir("arm64"), join(view, "lifecycle", "0.21.17-arm64"));
  return view;
}

/** Cold two-platform builds (fresh cache and output), then warm no-op rebuilds, sides interleaved. */
async function measureApp(
  o: StockMultiArchInputs,
  builders: Record<Lifecycle, string>,
  view: string,
  name: string,
): Promise<Record<Lifecycle, Side>> {
  const base = join(o.work, `stock-${name}`);
  const app = join(base, "app");
  await cp(join(ROOT, `examples/apps/${name}-hello`), app, { recursive: true });
  const empty = (): Side => ({ cold: [], coldExportAmd64: [], coldExportArm64: [], warm: [], digests: [] });
  const sides = { patched: empty(), stock: empty() };
  const run = (l: Lifecycle, dir: string) =>
    withCache(l === "stock" ? view : undefined, () =>
      buildPlatforms(
        {
          appDir: app,
          builder: builders[l],
          bindings: o.bindings,
          output: `oci:${join(dir, "image")}:latest`,
          cacheDir: join(dir, "cache"),
        },
        PLATFORMS,
      ),
    );
  for (let i = 0; i < o.rounds; i++) {
    o.say(`stock lifecycle: ${name}-hello cold amd64+arm64 builds, round ${i + 1} of ${o.rounds} (load ${load()})`);
    // Alternate which goes first, so neither always follows the other's page-cache state.
    for (const l of i % 2 ? [...LIFECYCLES].reverse() : LIFECYCLES) {
      const dir = join(base, l, String(i));
      await mkdir(dir, { recursive: true });
      const t0 = performance.now();
      const r = await run(l, dir);
      sides[l].cold.push(performance.now() - t0);
      sides[l].coldExportAmd64.push(exportMs(r.images[0]?.result.phases));
      sides[l].coldExportArm64.push(exportMs(r.images[1]?.result.phases));
      sides[l].digests.push(r.images.map((x) => x.digest));
      // Round 1's image and cache serve the warm rebuilds; later rounds' go now.
      if (i > 0) await rm(dir, { recursive: true, force: true });
    }
  }
  for (let i = 0; i < o.rounds; i++) {
    o.say(
      `stock lifecycle: ${name}-hello warm no-op amd64+arm64 rebuilds, round ${i + 1} of ${o.rounds} (load ${load()})`,
    );
    for (const l of i % 2 ? [...LIFECYCLES].reverse() : LIFECYCLES) {
      const t0 = performance.now();
      await run(l, join(base, l, "0"));
      sides[l].warm.push(performance.now() - t0);
    }
  }
  return sides;
}

/** Runs `fn` with CNBKIT_CACHE at `cache` (when given), as it was afterwards. */
async function withCache<T>(cache: string | undefined, fn: () => Promise<T>): Promise<T> {
  if (cache === undefined) return fn();
  const before = process.env.CNBKIT_CACHE;
  process.env.CNBKIT_CACHE = cache;
  try {
    return await fn();
  } finally {
    if (before === undefined) delete process.env.CNBKIT_CACHE;
    else process.env.CNBKIT_CACHE = before;
  }
}

const load = () => loadavg()[0]!.toFixed(1);

/** The export phase's ms among a build's phases (0 when it has none). */
function exportMs(phases: { phase: string; ms: number }[] | undefined): number {
  return phases?.find((p) => p.phase === "export")?.ms ?? 0;
}

/** The table rows of one app. */
function sideRows(name: string, sides: Record<Lifecycle, Side>): string[][] {
  const row = (what: string, pick: (side: Side) => number[]) =>
    pairedRow(`${name}: ${what}`, pick(sides.patched), pick(sides.stock));
  return [
    row("cold amd64+arm64 build", (x) => x.cold),
    row("  export, amd64", (x) => x.coldExportAmd64),
    row("  export, arm64", (x) => x.coldExportArm64),
    row("warm no-op amd64+arm64 rebuild", (x) => x.warm),
  ];
}

/** Whether each platform's manifest digest agrees: patched vs stock, and each lifecycle's cold 1 vs 2. */
function compareDigests(name: string, sides: Record<Lifecycle, Side>): string[][] {
  const pairs: [string, string[] | undefined, string[] | undefined][] = [
    ["patched vs stock", sides.patched.digests[0], sides.stock.digests[0]],
    ["patched, cold 1 vs 2", sides.patched.digests[0], sides.patched.digests[1]],
    ["stock, cold 1 vs 2", sides.stock.digests[0], sides.stock.digests[1]],
  ];
  return pairs
    .filter(([, a, b]) => a && b)
    .map(([what, a, b]) => [`${name}: ${what}`, ...PLATFORMS.map((_, i) => (a?.[i] === b?.[i] ? "same" : "differs"))]);
}

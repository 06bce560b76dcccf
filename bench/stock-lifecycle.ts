/**
 * bench:build's stock-lifecycle rows (BENCH_BUILD_STOCK=1): node-hello's and java-hello's cold
 * builds and warm no-op rebuilds with the reference builder on cnbkit's patched lifecycle and
 * on the same builder with the upstream lifecycle built unpatched (bench/stock-builder.ts),
 * interleaved round by round so the machine's drift falls on both alike; then whether the two
 * make the same image from the same app (config digest, each layer's diffID and blob digest).
 */
import { cp, mkdir, readFile, rm } from "node:fs/promises";
import { loadavg } from "node:os";
import { join } from "node:path";
import { type Binding, buildApp } from "../builder-packager/src/platform/index.js";
import { ROOT } from "../test/e2e/support.js";
import { median, table } from "./stats.js";
import { stockBuilder } from "./stock-builder.js";

/** What the stock-lifecycle rows need from the bench run. */
export interface StockBenchInputs {
  /** A scratch dir of the run (removed by the caller). */
  work: string;
  /** The patched builder (`oci:<dir>:latest`) the other rows use. */
  builder: string;
  /** The local builder's builder.toml and inputs digest the stock builder is made from. */
  builderToml: string;
  inputsDigest: string;
  bindings: Binding[];
  /** Whether the builder has cnbkit/java (not on arm64 without a local JDK). */
  java: boolean;
  /** Rounds of each measure (BENCH_STOCK_ROUNDS, default 3). */
  rounds: number;
  say(line: string): void;
}

/** One lifecycle's figures for one app: wall times and the export phase's share (ms). */
interface Side {
  cold: number[];
  coldExport: number[];
  warm: number[];
  warmExport: number[];
  /** Each cold build's image identity, for the digest comparison. */
  ids: ImageIds[];
}

/** An OCI image's identity: the manifest and config digests and each layer's two digests. */
interface ImageIds {
  manifest: string;
  config: string;
  layers: { diffId: string; digest: string }[];
}

const LIFECYCLES = ["patched", "stock"] as const;

/** Measures and prints the stock-lifecycle rows. */
export async function benchStockLifecycle(o: StockBenchInputs): Promise<void> {
  o.say("stock lifecycle: the builder with the upstream lifecycle (cached by its inputs)");
  const builders = {
    patched: o.builder,
    stock: await stockBuilder(o.builderToml, o.inputsDigest, (l) => o.say(`  ${l}`)),
  };
  const apps: [string, string][] = [["node-hello", join(ROOT, "examples/apps/node-hello")]];
  if (o.java) apps.push(["java-hello", join(ROOT, "examples/apps/java-hello")]);
  else o.say("stock lifecycle: no java-hello rows (the builder has no cnbkit/java)");
  const rows: string[][] = [];
  const digests: string[][] = [];
  const load = [loadavg()[0]!];
  for (const [name, source] of apps) {
    const sides = await measureApp(o, builders, name, source);
    load.push(loadavg()[0]!);
    rows.push(...sideRows(name, sides));
    digests.push(...compareImages(name, sides));
  }
  console.log(
    `\nThe patched lifecycle beside the upstream one (v0.21.17 built unpatched), medians of ${o.rounds} interleaved rounds (all runs in s; export = the lifecycle's exporting phase; load average ${load.map((x) => x.toFixed(1)).join(" -> ")})\n`,
  );
  table([["measure", "patched", "stock", "stock / patched (median of rounds)", "patched runs", "stock runs"], ...rows]);
  console.log("\nimage digests compared (cold builds of the same app; layers compared in order)\n");
  table([["images", "manifest", "config (image ID)", "same layer diffIDs", "same layer blob digests"], ...digests]);
}

/** Cold builds (fresh cache, no previous image) and then warm no-op rebuilds, sides interleaved. */
async function measureApp(
  o: StockBenchInputs,
  builders: Record<(typeof LIFECYCLES)[number], string>,
  name: string,
  source: string,
): Promise<Record<(typeof LIFECYCLES)[number], Side>> {
  const base = join(o.work, `stock-${name}`);
  const app = join(base, "app");
  await cp(source, app, { recursive: true });
  const empty = (): Side => ({ cold: [], coldExport: [], warm: [], warmExport: [], ids: [] });
  const sides = { patched: empty(), stock: empty() };
  const run = (l: (typeof LIFECYCLES)[number], output: string, cache: string) =>
    timedBuild({ appDir: app, builder: builders[l], output, cacheDir: cache, bindings: o.bindings });
  for (let i = 0; i < o.rounds; i++) {
    o.say(
      `stock lifecycle: ${name} cold builds, round ${i + 1} of ${o.rounds} (load average ${loadavg()[0]!.toFixed(1)})`,
    );
    // Alternate which goes first, so neither always follows the other's page-cache state.
    for (const l of i % 2 ? [...LIFECYCLES].reverse() : LIFECYCLES) {
      const dir = join(base, l, String(i));
      await mkdir(dir, { recursive: true });
      const t = await run(l, `oci:${join(dir, "image")}:latest`, join(dir, "cache"));
      sides[l].cold.push(t.total);
      sides[l].coldExport.push(t.exporting);
      sides[l].ids.push(await imageIds(join(dir, "image"), "latest"));
      // Later rounds' images and caches go now (round 1's serve the warm rebuilds), so their
      // write-back does not land on the next builds.
      if (i > 0) await rm(dir, { recursive: true, force: true });
    }
  }
  for (let i = 0; i < o.rounds; i++) {
    o.say(`stock lifecycle: ${name} warm no-op rebuilds, round ${i + 1} of ${o.rounds}`);
    for (const l of i % 2 ? [...LIFECYCLES].reverse() : LIFECYCLES) {
      // Round 1's cold build's cache and image (its identity is already read).
      const dir = join(base, l, "0");
      const t = await run(l, `oci:${join(dir, "image")}:latest`, join(dir, "cache"));
      sides[l].warm.push(t.total);
      sides[l].warmExport.push(t.exporting);
    }
  }
  return sides;
}

/** A build's wall time and its exporting phase's (from the "===> EXPORTING" header to the end). */
async function timedBuild(options: Parameters<typeof buildApp>[0]): Promise<{ total: number; exporting: number }> {
  const t0 = performance.now();
  let exportFrom: number | undefined;
  await buildApp({
    ...options,
    onOutput: (line) => {
      if (/===> EXPORTING/.test(line.replace(/\u001b\[[0-9;]*m/g, ""))) exportFrom = performance.now();
    },
  });
  const end = performance.now();
  return { total: end - t0, exporting: exportFrom === undefined ? 0 : end - exportFrom };
}

/** The table rows of one app: cold, cold export, warm, warm export. */
function sideRows(name: string, sides: Record<(typeof LIFECYCLES)[number], Side>): string[][] {
  const row = (what: string, pick: (side: Side) => number[]) =>
    pairedRow(`${name}: ${what}`, pick(sides.patched), pick(sides.stock));
  return [
    row("cold build", (x) => x.cold),
    row("  of which export", (x) => x.coldExport),
    row("warm no-op rebuild", (x) => x.warm),
    row("  of which export", (x) => x.warmExport),
  ];
}

/**
 * Rows saying which digests agree: the patched and the stock lifecycle's first cold images of
 * the same app, and each lifecycle's first two cold images (is a lifecycle's output
 * reproducible at all, so that a difference between the two means the patches).
 */
function compareImages(name: string, sides: Record<(typeof LIFECYCLES)[number], Side>): string[][] {
  const pairs: [string, ImageIds | undefined, ImageIds | undefined][] = [
    ["patched vs stock", sides.patched.ids[0], sides.stock.ids[0]],
    ["patched, cold 1 vs 2", sides.patched.ids[0], sides.patched.ids[1]],
    ["stock, cold 1 vs 2", sides.stock.ids[0], sides.stock.ids[1]],
  ];
  const rows: string[][] = [];
  for (const [what, a, b] of pairs) {
    if (!a || !b) continue;
    const same = (key: "diffId" | "digest") =>
      `${a.layers.filter((l, i) => l[key] === b.layers[i]?.[key]).length} of ${a.layers.length}`;
    rows.push([
      `${name}: ${what}`,
      a.manifest === b.manifest ? "same" : "differs",
      a.config === b.config ? "same" : "differs",
      same("diffId"),
      same("digest"),
    ]);
  }
  return rows;
}

/** The identity of the image tagged `tag` in the OCI layout `dir`. */
async function imageIds(dir: string, tag: string): Promise<ImageIds> {
  const blob = async (digest: string) =>
    JSON.parse(await readFile(join(dir, "blobs", ...digest.split(":")), "utf8")) as Record<string, unknown>;
  const index = JSON.parse(await readFile(join(dir, "index.json"), "utf8")) as {
    manifests: { digest: string; annotations?: Record<string, string> }[];
  };
  const entry =
    index.manifests.find((x) => x.annotations?.["org.opencontainers.image.ref.name"] === tag) ?? index.manifests[0];
  if (!entry) throw new Error(`${dir}: index.json lists no image`);
  const manifest = (await blob(entry.digest)) as { config: { digest: string }; layers: { digest: string }[] };
  const config = (await blob(manifest.config.digest)) as { rootfs: { diff_ids: string[] } };
  return {
    manifest: entry.digest,
    config: manifest.config.digest,
    layers: manifest.layers.map((l, i) => ({ digest: l.digest, diffId: config.rootfs.diff_ids[i] ?? "" })),
  };
}

/**
 * One row of a stock-beside-patched table (ms in, seconds out): each side's median, the
 * ratio stock / patched as the median of each round's (both were built back to back in a
 * round, so the machine's drift between rounds cancels), and every run.
 */
export function pairedRow(label: string, patched: number[], stock: number[]): string[] {
  const s = (xs: number[]) => `${(median(xs) / 1000).toFixed(2)} s`;
  const all = (xs: number[]) => xs.map((x) => (x / 1000).toFixed(2)).join(" / ");
  const paired = median(stock.map((x, i) => x / (patched[i] as number)));
  return [label, s(patched), s(stock), `${paired.toFixed(2)}x`, all(patched), all(stock)];
}

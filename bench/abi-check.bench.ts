/**
 * The ABI check's cost in a fleet rebase (issue 73's goal: at most 10% of the rebase's own
 * time): a loopback registry filled with copies of the main job's real builds (node-hello,
 * python-hello, java-hello), rebased in-process onto a patched run image with `rebaseFleet`,
 * which times the check inside each image's rebase. Three rounds, one process:
 * - images without a needs label (built before it existed), the per-layer ABI cache empty: the
 *   first image of each app reads its app layers, the run image's layers are read once;
 * - the same again onto the next patch, that cache warm (what every later rebase pays);
 * - images carrying the needs label (what a build writes now): the check reads nothing.
 * Per round: the median image's check and rebase times, and the check's share of the summed
 * rebase time. Peak RSS is printed at the end.
 *
 * Usage: npm run bench:abi-check [-- 100]   (images; needs `npm run main` first)
 */
import { existsSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ABI_NEEDS_LABEL, abiLabel, layersNeeds } from "../builder-packager/src/abi/index.js";
import { planFleetRebase, rebaseFleet, runImageNow, scanFleet } from "../builder-packager/src/fleet/index.js";
import { parseTarget } from "../builder-packager/src/fleet/targets.js";
import { makeFleet } from "../builder-packager/src/fleet/test-fleet.js";
import {
  copyImage,
  type ImageConfig,
  jsonBlob,
  MEDIA_TYPES,
  OciLayout,
  openImageSink,
  openImageSource,
} from "../builder-packager/src/oci/index.js";
import { startRegistry } from "../builder-packager/src/oci/test-registry.js";
import { table } from "./stats.js";

const ROOT = join(import.meta.dirname, "..");
const size = Number(process.argv[3] ?? process.env.BENCH_ABI_IMAGES ?? 100);
const APPS = ["app", "python-app", "java-app"].map((n) => `oci:${join(ROOT, ".cnbkit/images", n)}:latest`);
for (const a of APPS) {
  if (!existsSync(a.slice(4, a.lastIndexOf(":")))) throw new Error(`${a} is missing: run \`npm run main\` first`);
}

const work = await mkdtemp(join(tmpdir(), "cnbkit-bench-abi-"));
const registry = await startRegistry({});
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? 0;

/** A copy of `app` in `work/labelled` whose config carries the needs label, as a build writes it now. */
async function labelled(app: string, i: number): Promise<string> {
  const dir = join(work, `labelled-${i}`);
  await copyImage(await openImageSource(app), await openImageSink(`oci:${dir}:plain`));
  const src = await openImageSource(`oci:${dir}:plain`);
  const image = await src.image();
  const top = JSON.parse(image.config.config?.Labels?.["io.buildpacks.lifecycle.metadata"] ?? "{}").runImage?.topLayer;
  const first = image.config.rootfs.diff_ids.lastIndexOf(top) + 1;
  const needs = await layersNeeds(
    src,
    image.manifest.manifest.layers.slice(first),
    image.config.rootfs.diff_ids.slice(first),
    image.config.architecture,
  );
  const config: ImageConfig = {
    ...image.config,
    config: { ...image.config.config, Labels: { ...image.config.config?.Labels, [ABI_NEEDS_LABEL]: abiLabel(needs) } },
  };
  const layout = await OciLayout.open(dir);
  const blob = jsonBlob(config, MEDIA_TYPES.config);
  await layout.putBlob(blob.bytes, { mediaType: MEDIA_TYPES.config });
  await layout.writeImage({ config, layers: image.manifest.manifest.layers, tag: "latest" });
  return `oci:${dir}:latest`;
}

/** Makes a fleet of `apps` under `prefix`, then rebases all of it `rounds` times (a new patch each). */
async function round(prefix: string, apps: string[], names: string[], rows: (string | number)[][]) {
  const runImage = JSON.parse(
    (await (await openImageSource(apps[0]!)).config()).config?.Labels?.["io.buildpacks.lifecycle.metadata"] ?? "{}",
  ).runImage?.image as string;
  const fleet = await makeFleet({
    registry: registry.host,
    prefix,
    apps,
    runImage,
    repositories: Math.ceil(size / 10),
    tagsPerRepository: 10,
  });
  for (const name of names) {
    await fleet.patchAgain();
    const target = `${registry.host}/${prefix}`;
    const { inventory } = await scanFleet({ targets: [parseTarget(target)], sources: [target] });
    const to = `${fleet.runRepository}:latest`;
    const plan = await planFleetRebase(inventory, to, runImageNow());
    const report = await rebaseFleet(plan, { runImage: to, concurrency: 8 });
    const done = report.outcomes.flatMap((o) => (o.kind === "rebased" ? [o] : []));
    const failed = report.outcomes.filter((o) => o.kind !== "rebased" && o.kind !== "already");
    if (failed.length) console.log(`${name}: ${failed.length} not rebased, e.g. ${JSON.stringify(failed[0])}`);
    const check = done.map((o) => o.abiSeconds ?? 0);
    const total = done.map((o) => o.seconds);
    const share =
      check.reduce((a, b) => a + b, 0) /
      Math.max(
        total.reduce((a, b) => a + b, 0),
        1e-9,
      );
    rows.push([
      name,
      done.length,
      `${(median(check) * 1000).toFixed(1)} ms`,
      `${(median(total) * 1000).toFixed(1)} ms`,
      `${(share * 100).toFixed(1)}%`,
      `${(done.length / report.seconds).toFixed(1)}/s`,
    ]);
  }
}

const rows: (string | number)[][] = [["round", "images", "check (median)", "rebase (median)", "check share", "rate"]];
try {
  // The per-layer ABI cache (under cnbkit's cache root) in a fresh place, so the first round reads the layers.
  process.env.CNBKIT_CACHE = join(work, "cache");
  await round("plain/", APPS, ["no label, ABI cache cold", "no label, ABI cache warm"], rows);
  const withLabels = await Promise.all(APPS.map(labelled));
  await round("labelled/", withLabels, ["needs label (as built now)"], rows);
  table(rows);
  console.log(`goal: check share <= 10%; peak RSS ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MB`);
} finally {
  await registry.stop();
  await rm(work, { recursive: true, force: true });
}

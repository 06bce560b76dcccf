/**
 * `npm run bench:build`: what an app build costs with the reference builder (local Node.js
 * inventory) on this machine, against the floor of the raw package-manager install.
 *
 * For examples/apps/node-hello (npm, one dependency):
 * - cold build: fresh build cache, no previous image;
 * - warm no-op rebuild: same app, cache and previous image;
 * - floor: `npm ci` of the same app on the host, with an empty npm cache;
 * - fixed lifecycle cost: a cold build of a trivial Procfile-only app (no runtime to install);
 * - rebase onto a run image with one extra file.
 * Medians of 3. Peak RSS is this process's (the platform code); the lifecycle runs in runc.
 */
import { spawnSync } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { imageConfig } from "../builder-packager/src/oci/image.js";
import { copyImage, openImageSink, openImageSource } from "../builder-packager/src/oci/image-store.js";
import { writeLayer } from "../builder-packager/src/oci/layer.js";
import { OciLayout } from "../builder-packager/src/oci/layout.js";
import { buildApp } from "../builder-packager/src/platform/build.js";
import { rebaseImage } from "../builder-packager/src/platform/rebase.js";
import { BASE_LAYOUT, caBindings, fixtureApp, referenceBuilder, ROOT } from "../test/e2e/support.js";
import { median, peakRssMb, table } from "./stats.js";

const RUNS = 3;
const work = await mkdtemp(join(tmpdir(), "cnbkit-bench-build-"));
const say = (l: string) => process.stderr.write(`[bench] ${l}\n`);

async function timed(fn: () => Promise<unknown>): Promise<number> {
  const t0 = performance.now();
  await fn();
  return performance.now() - t0;
}

try {
  say("reference builder (cached by its inputs)");
  const builder = await referenceBuilder();
  const bindings = await caBindings();
  const hello = join(ROOT, "examples/apps/node-hello");

  say("floor: npm ci on the host with an empty npm cache");
  const floor: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const app = await fixtureApp("floor", {}, hello);
    const cache = join(work, `npm-cache-${i}`);
    floor.push(
      await timed(async () => {
        const r = spawnSync("npm", ["ci", "--omit=dev", "--no-audit", "--no-fund", "--cache", cache], {
          cwd: app,
          encoding: "utf8",
        });
        if (r.status !== 0) throw new Error(`npm ci failed: ${r.stderr}`);
      }),
    );
    await rm(app, { recursive: true, force: true });
  }

  const app = await fixtureApp("bench-npm", {}, hello);
  const build = (output: string, cacheDir: string, appDir = app) =>
    timed(() => buildApp({ appDir, builder, output, cacheDir, bindings }));

  say("cold builds (fresh cache, no previous image)");
  const cold: number[] = [];
  for (let i = 0; i < RUNS; i++)
    cold.push(await build(`oci:${join(work, `cold-${i}`)}:latest`, join(work, `cold-cache-${i}`)));

  say("warm no-op rebuilds");
  const warmOut = `oci:${join(work, "cold-0")}:latest`;
  const warm: number[] = [];
  for (let i = 0; i < RUNS; i++) warm.push(await build(warmOut, join(work, "cold-cache-0")));

  say("fixed lifecycle cost: a Procfile-only app");
  const trivial = await fixtureApp("bench-procfile", { Procfile: "web: sleep infinity\n" });
  const fixed: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    fixed.push(await build(`oci:${join(work, `procfile-${i}`)}:latest`, join(work, `procfile-cache-${i}`), trivial));
  }

  say("rebase onto the run image plus one file, and back");
  const runDir = join(work, "run2");
  await copyImage(await openImageSource(`oci:${BASE_LAYOUT}:run`), await openImageSink(`oci:${runDir}:base`));
  const layout = await OciLayout.open(runDir);
  const base = await (await openImageSource(`oci:${runDir}:base`)).image();
  const patch = await writeLayer([{ type: "file", path: "etc/patched", size: 4, data: "yes\n" }], layout.blobDir);
  const cfg = imageConfig({
    architecture: base.config.architecture,
    config: base.config.config,
    diffIds: [...base.config.rootfs.diff_ids, patch.diffId],
  });
  await layout.writeImage({ config: cfg, layers: [...base.manifest.manifest.layers, patch], tag: "patched" });
  const rebase: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const runImage = i % 2 === 0 ? `oci:${runDir}:patched` : `oci:${runDir}:base`;
    rebase.push(await timed(() => rebaseImage({ image: warmOut, runImage })));
  }

  const s = (xs: number[]) => `${(median(xs) / 1000).toFixed(2)} s`;
  const all = (xs: number[]) => xs.map((x) => (x / 1000).toFixed(2)).join(" / ");
  const f = median(floor);
  const c = median(cold);
  const w = median(warm);
  const k = median(fixed);
  console.log(`\nnode-hello (npm, 1 dependency) with the reference builder, medians of ${RUNS} (all runs in s)\n`);
  table([
    ["measure", "median", "runs"],
    ["floor: host npm ci, empty cache", s(floor), all(floor)],
    ["cold build", s(cold), all(cold)],
    ["warm no-op rebuild", s(warm), all(warm)],
    ["fixed lifecycle cost (Procfile app)", s(fixed), all(fixed)],
    ["rebase", `${median(rebase).toFixed(0)} ms`, rebase.map((x) => x.toFixed(0)).join(" / ")],
  ]);
  console.log("");
  table([
    ["ratio", "value", "goal (issue 5)"],
    ["cold / floor", (c / f).toFixed(1), ""],
    ["(cold - fixed) / floor", ((c - k) / f).toFixed(1), "<= 1.3"],
    ["warm / cold", `${((w / c) * 100).toFixed(0)} %`, "<= 15 %"],
  ]);
  console.log(`\npeak RSS of the bench process: ${peakRssMb().toFixed(0)} MB`);
} finally {
  await rm(work, { recursive: true, force: true });
}

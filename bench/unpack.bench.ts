/**
 * What `cnbkit run` (and every e2e test that asks an app over HTTP) pays to unpack an app
 * image: the first app on a run image unpacks the run image's layers and its own; each later
 * app on the same run image only its own, on a hardlink copy of the run image's tree.
 *
 * The images are cnbkit's Debian 13 run image (`ensureBaseImages`, cached) with one app layer
 * on top the size of a Node.js app's (the runtime and node_modules: 2,000 files, ~90 MB),
 * labelled as the lifecycle labels app images. Each run starts from an empty cache dir.
 *
 * Usage: npm run bench:unpack [-- runs]   (default 5 runs)
 */
import { randomBytes } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ensureBaseImages } from "../builder-packager/src/base/index.js";
import { imageConfig, type LayerEntry, OciLayout, writeLayer } from "../builder-packager/src/oci/index.js";
import { unpackImage } from "../builder-packager/src/container/unpack.js";
import { median, ms, peakRssMb, table } from "./stats.js";

const runs = Number(process.argv[3] ?? 5);
const work = await mkdtemp(join(tmpdir(), "cnbkit-bench-unpack-"));
try {
  const base = await ensureBaseImages({});
  const layout = await OciLayout.create(join(work, "layout"));
  const run = await OciLayout.open(base.run.layout);
  const runImage = await run.resolve(base.run.tag);
  if (runImage.kind !== "manifest") throw new Error("the run image is not one manifest");
  const runConfig = await run.readConfig(runImage.manifest.config.digest);
  for (const l of runImage.manifest.layers) {
    await layout.putBlob({ path: run.blobPath(l.digest) }, { digest: l.digest, mediaType: l.mediaType });
  }
  const runLayers = runImage.manifest.layers.map((l, i) => ({ ...l, diffId: runConfig.rootfs.diff_ids[i]! }));
  const topLayer = runConfig.rootfs.diff_ids.at(-1)!;

  // Two apps, each one layer of 2,000 files (1 KiB to 90 KiB, incompressible), as a Node.js
  // app's runtime and node_modules layers are in number and size.
  for (const tag of ["app1", "app2"]) {
    const entries: LayerEntry[] = [];
    for (let i = 0; i < 2000; i++) {
      const size = 1024 * (1 + (i % 90));
      entries.push({
        type: "file",
        path: `workspace/node_modules/p${i % 200}/f${i}.js`,
        size,
        data: randomBytes(size),
      });
    }
    const app = await writeLayer(entries, layout.blobDir);
    const diffIds = [...runConfig.rootfs.diff_ids, app.diffId];
    const label = JSON.stringify({ runImage: { topLayer, reference: "run" } });
    const config = imageConfig({
      architecture: runConfig.architecture,
      diffIds,
      config: {
        ...runConfig.config,
        Labels: { ...runConfig.config?.Labels, "io.buildpacks.lifecycle.metadata": label },
      },
    });
    await layout.writeImage({ config, layers: [...runLayers, app], tag });
  }

  const first: number[] = [];
  const second: number[] = [];
  for (let i = 0; i < runs; i++) {
    const cacheDir = await mkdtemp(join(work, "cache-"));
    let t0 = performance.now();
    const a = await unpackImage(`oci:${layout.dir}:app1`, { cacheDir, prune: false });
    first.push(performance.now() - t0);
    t0 = performance.now();
    const b = await unpackImage(`oci:${layout.dir}:app2`, { cacheDir, prune: false });
    second.push(performance.now() - t0);
    await a.release();
    await b.release();
    await rm(cacheDir, { recursive: true, force: true });
  }
  const f = median(first);
  const s = median(second);
  table([
    ["unpack of an app image", `median of ${runs}`, "ratio to the first"],
    ["first app on the run image (floor: all layers)", ms(f), "1.00"],
    ["another app on the same run image", ms(s), (s / f).toFixed(2)],
  ]);
  console.log(`peak RSS ${peakRssMb().toFixed(0)} MB`);
} finally {
  await rm(work, { recursive: true, force: true });
}

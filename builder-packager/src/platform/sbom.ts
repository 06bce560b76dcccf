/**
 * `cnbkit sbom`: extracts the SBOMs of an app image into a directory.
 *
 * - The buildpacks' (the layer whose diffID is `sbom.sha` in `io.buildpacks.lifecycle.metadata`),
 *   keeping the lifecycle's layout: `launch/<buildpack id>/<layer>/sbom.<format>.json`, ...
 * - The run image's (the layer whose diffID is the `io.buildpacks.base.sbom` label, which
 *   the app inherits from its run image), under `run-image/`: what the app runs on, its OS
 *   packages, beside what the buildpacks added.
 */
import { createWriteStream } from "node:fs";
import { mkdir, rename } from "node:fs/promises";
import { dirname, join, resolve } from "node:path";
import { pipeline } from "node:stream/promises";
import { createGunzip } from "node:zlib";
import tar from "tar-stream";
import { CnbError } from "@cnbkit/framework";
import { BASE_SBOM_DIR, BASE_SBOM_LABEL } from "../base/index.js";
import { type ImageSource, openImageSource } from "../oci/index.js";
import { appMetadata } from "./app-image.js";

/** Where each SBOM layer keeps its files, and where they go under the output dir. */
const SBOM_SOURCES = {
  buildpacks: { prefix: "layers/sbom/", under: "" },
  runImage: { prefix: `${BASE_SBOM_DIR}/`, under: "run-image/" },
} as const;

/**
 * Writes the SBOM files of `ref` under `outDir` and returns their relative paths: the
 * buildpacks' and, when the run image carries one, the run image's under `run-image/`.
 *
 * @example
 * const files = await exportSbom("oci:out/app:latest", "sbom");
 * // ["launch/acme_node/node/sbom.cdx.json", ..., "run-image/sbom.cdx.json", "run-image/sbom.spdx.json"]
 */
export async function exportSbom(ref: string, outDir: string): Promise<string[]> {
  const src = await openImageSource(ref);
  const { config } = await src.image();
  const { lifecycle, labels } = appMetadata(config, `image ${ref}`);
  const layers = [
    { diffId: lifecycle.sbom?.sha, ...SBOM_SOURCES.buildpacks },
    { diffId: labels[BASE_SBOM_LABEL], ...SBOM_SOURCES.runImage },
  ].filter((l): l is typeof l & { diffId: string } => Boolean(l.diffId));
  if (layers.length === 0) {
    throw new CnbError(`image ${ref} has no SBOM layer (its buildpacks wrote no SBOM and its run image carries none)`);
  }
  const out = resolve(outDir);
  await mkdir(out, { recursive: true });
  const files: string[] = [];
  for (const layer of layers) files.push(...(await extractSbomLayer(src, ref, layer, out)));
  return files.sort();
}

/** Extracts the files under `prefix` of the layer with `diffId` to `<out>/<under>`. */
async function extractSbomLayer(
  src: ImageSource,
  ref: string,
  layer: { diffId: string; prefix: string; under: string },
  out: string,
): Promise<string[]> {
  const { manifest, config } = await src.image();
  const index = config.rootfs.diff_ids.indexOf(layer.diffId as (typeof config.rootfs.diff_ids)[number]);
  const desc = manifest.manifest.layers[index];
  if (index < 0 || !desc) throw new CnbError(`image ${ref}: SBOM layer ${layer.diffId} is not among its layers`);
  const files: string[] = [];
  const extract = tar.extract();
  const consume = (async () => {
    for await (const entry of extract) {
      const name = entry.header.name.replace(/^\.?\//, "");
      if (entry.header.type !== "file" || !name.startsWith(layer.prefix)) {
        entry.resume();
        continue;
      }
      const rel = `${layer.under}${name.slice(layer.prefix.length)}`;
      if (rel.split("/").some((p) => p === ".." || p === "")) {
        throw new CnbError(`image ${ref}: SBOM entry "${name}" is not a plain relative path`);
      }
      const dest = join(out, rel);
      await mkdir(dirname(dest), { recursive: true });
      const tmp = `${dest}.tmp-${process.pid}`;
      await pipeline(entry, createWriteStream(tmp));
      await rename(tmp, dest);
      files.push(rel);
    }
  })();
  const blob = await src.blob(desc.digest);
  const input = desc.mediaType.endsWith("gzip") ? blob.pipe(createGunzip()) : blob;
  await Promise.all([pipeline(input, extract), consume]);
  return files;
}

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
import { type ImageSource, openImageSource, type Platform } from "../oci/index.js";
import { pinPlatform } from "./app-build/builder-platform.js";
import { appMetadata } from "./app-image.js";

/** Where each SBOM layer keeps its files, and where they go under the output dir. */
const SBOM_SOURCES = {
  buildpacks: { prefix: "layers/sbom/", under: "" },
  runImage: { prefix: `${BASE_SBOM_DIR}/`, under: "run-image/" },
} as const;

/**
 * Writes the SBOM files of `ref` (its `platform` image when it is an index; default this
 * machine's) under `outDir` and returns their relative paths: the
 * buildpacks' and, when the run image carries one, the run image's under `run-image/`.
 *
 * @example
 * const files = await exportSbom("oci:out/app:latest", "sbom");
 * // ["launch/acme_node/node/sbom.cdx.json", ..., "run-image/sbom.cdx.json", "run-image/sbom.spdx.json"]
 */
export async function exportSbom(ref: string, outDir: string, platform?: Platform): Promise<string[]> {
  const out = resolve(outDir);
  const files: string[] = [];
  const source = await openImageSource(ref);
  await eachSbomFile(platform ? pinPlatform(source, platform) : source, ref, async (rel, content) => {
    if (files.length === 0) await mkdir(out, { recursive: true });
    const dest = join(out, rel);
    await mkdir(dirname(dest), { recursive: true });
    const tmp = `${dest}.tmp-${process.pid}`;
    await pipeline(content, createWriteStream(tmp));
    await rename(tmp, dest);
    files.push(rel);
  });
  return files.sort();
}

/** One SBOM document of an image, read whole (they are small: a Debian base's is ~1 MB). */
export interface SbomDocument {
  /** Its path as {@link exportSbom} names it, e.g. `launch/cnbkit_nodejs/node/sbom.cdx.json`. */
  path: string;
  bytes: Buffer;
}

/** The SBOM documents of an image, in memory, sorted by path (for attestations). */
export async function readSbomDocuments(src: ImageSource, ref: string): Promise<SbomDocument[]> {
  const docs: SbomDocument[] = [];
  await eachSbomFile(src, ref, async (path, content) => {
    const chunks: Buffer[] = [];
    for await (const c of content) chunks.push(c as Buffer);
    docs.push({ path, bytes: Buffer.concat(chunks) });
  });
  return docs.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}

/** Calls `onFile` with each SBOM file of the image (relative path, content), layer by layer. */
async function eachSbomFile(
  src: ImageSource,
  ref: string,
  onFile: (rel: string, content: AsyncIterable<unknown>) => Promise<void>,
): Promise<void> {
  const { config } = await src.image();
  const { lifecycle, labels } = appMetadata(config, `image ${ref}`);
  const layers = [
    { diffId: lifecycle.sbom?.sha, ...SBOM_SOURCES.buildpacks },
    { diffId: labels[BASE_SBOM_LABEL], ...SBOM_SOURCES.runImage },
  ].filter((l): l is typeof l & { diffId: string } => Boolean(l.diffId));
  if (layers.length === 0) {
    throw new CnbError(`image ${ref} has no SBOM layer (its buildpacks wrote no SBOM and its run image carries none)`);
  }
  for (const layer of layers) await eachFileOfLayer(src, ref, layer, onFile);
}

/** Calls `onFile` for each file under `prefix` of the layer with `diffId`, as `<under><rest>`. */
async function eachFileOfLayer(
  src: ImageSource,
  ref: string,
  layer: { diffId: string; prefix: string; under: string },
  onFile: (rel: string, content: AsyncIterable<unknown>) => Promise<void>,
): Promise<void> {
  const { manifest, config } = await src.image();
  const index = config.rootfs.diff_ids.indexOf(layer.diffId as (typeof config.rootfs.diff_ids)[number]);
  const desc = manifest.manifest.layers[index];
  if (index < 0 || !desc) throw new CnbError(`image ${ref}: SBOM layer ${layer.diffId} is not among its layers`);
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
      await onFile(rel, entry);
    }
  })();
  const blob = await src.blob(desc.digest);
  const input = desc.mediaType.endsWith("gzip") ? blob.pipe(createGunzip()) : blob;
  await Promise.all([pipeline(input, extract), consume]);
}

/**
 * `cnbkit sbom`: extracts the SBOM layer of an app image (the layer whose diffID is
 * `sbom.sha` in `io.buildpacks.lifecycle.metadata`) into a directory, keeping the
 * lifecycle's layout: `launch/<buildpack id>/<layer>/sbom.<format>.json`, `build/...`, ...
 */
import { createWriteStream } from "node:fs";
import { mkdir, rename } from "node:fs/promises";
import { dirname, join, resolve } from "node:path";
import { pipeline } from "node:stream/promises";
import { createGunzip } from "node:zlib";
import tar from "tar-stream";
import { CnbError } from "@cnbkit/framework";
import { openImageSource } from "../oci/index.js";
import { appMetadata } from "./app-image.js";

/** The prefix of SBOM files inside the lifecycle's SBOM layer. */
const SBOM_PREFIX = "layers/sbom/";

/**
 * Writes the SBOM files of `ref` under `outDir` and returns their relative paths.
 *
 * @example
 * const files = await exportSbom("oci:out/app:latest", "sbom");   // ["launch/acme_node/node/sbom.cdx.json", ...]
 */
export async function exportSbom(ref: string, outDir: string): Promise<string[]> {
  const src = await openImageSource(ref);
  const { manifest, config } = await src.image();
  const { lifecycle } = appMetadata(config, `image ${ref}`);
  const sha = lifecycle.sbom?.sha;
  if (!sha) throw new CnbError(`image ${ref} has no SBOM layer (its buildpacks wrote no SBOM)`);
  const index = config.rootfs.diff_ids.indexOf(sha as (typeof config.rootfs.diff_ids)[number]);
  const layer = manifest.manifest.layers[index];
  if (index < 0 || !layer) throw new CnbError(`image ${ref}: SBOM layer ${sha} is not among its layers`);
  const out = resolve(outDir);
  await mkdir(out, { recursive: true });
  const files: string[] = [];
  const extract = tar.extract();
  const consume = (async () => {
    for await (const entry of extract) {
      const name = entry.header.name.replace(/^\.?\//, "");
      if (entry.header.type !== "file" || !name.startsWith(SBOM_PREFIX)) {
        entry.resume();
        continue;
      }
      const rel = name.slice(SBOM_PREFIX.length);
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
  const blob = await src.blob(layer.digest);
  const input = layer.mediaType.endsWith("gzip") ? blob.pipe(createGunzip()) : blob;
  await Promise.all([pipeline(input, extract), consume]);
  return files.sort();
}

/**
 * An app image's size as `docker images` counts it (the layers unpacked: the sum of their
 * uncompressed tars) and as a registry stores it (compressed), with what each layer is, so
 * bench:build can set an image against published figures such as Paketo's.
 */
import { createGunzip } from "node:zlib";
import type { Readable } from "node:stream";
import { openImageSource } from "../builder-packager/src/oci/index.js";
import { inspectImage } from "../builder-packager/src/platform/inspect.js";

/** One layer's sizes, bottom first. */
export interface LayerSize {
  /** What put it there (`run image`, `cnbkit/java:jre`, `app`, ...), as `cnbkit inspect` says. */
  origin: string;
  compressed: number;
  uncompressed: number;
}

/** Bytes a layer blob unpacks to: gunzipped when its media type says gzip. */
async function unpackedBytes(blob: Readable, gzip: boolean): Promise<number> {
  let n = 0;
  const body = gzip ? blob.pipe(createGunzip()) : blob;
  for await (const chunk of body as AsyncIterable<Buffer>) n += chunk.length;
  return n;
}

/**
 * The layers of an image (e.g. `oci:out/app:latest`) with their compressed and unpacked sizes.
 *
 * @example
 * const layers = await imageLayerSizes("oci:/tmp/out:app");
 * const total = layers.reduce((a, l) => a + l.uncompressed, 0);
 */
export async function imageLayerSizes(ref: string): Promise<LayerSize[]> {
  const info = await inspectImage(ref);
  const src = await openImageSource(ref);
  const { manifest } = await src.image();
  const out: LayerSize[] = [];
  for (const [i, l] of info.layers.entries()) {
    const gzip = /gzip/.test(manifest.manifest.layers[i]?.mediaType ?? "");
    out.push({
      origin: l.origin,
      compressed: l.size,
      uncompressed: await unpackedBytes(await src.blob(l.digest), gzip),
    });
  }
  return out;
}

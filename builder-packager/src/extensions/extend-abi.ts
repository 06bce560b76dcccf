/**
 * The `io.cnbkit.base.abi` record of an image `cnbkit base extend` made: what its library
 * directories provide once the new layer is on top (abi stage), so a rebase onto the extended
 * run image reads it from the label rather than scanning its layers. The base image's layers
 * are read once per machine (facts cached by diffID: cnbkit's own run image was read at
 * `base create`), the new layer from the blob just written.
 */
import { createReadStream, existsSync } from "node:fs";
import { join } from "node:path";
import { ABI_PROVIDES_LABEL, abiLabel, layersProvides } from "../abi/index.js";
import { type Digest, type ImageConfig, type ImageSource, MEDIA_TYPES } from "../oci/index.js";

/**
 * Whether an image is a build image: the CNB platform spec's build images set `CNB_STACK_ID`
 * for older buildpacks (cnbkit's, Paketo's); a build image is never the target of a rebase,
 * and reading its ~600 MB of layers would only slow `base extend` down.
 */
export function isBuildImage(config: ImageConfig): boolean {
  return (config.config?.Env ?? []).some((e) => e.startsWith("CNB_STACK_ID="));
}

/**
 * Sets `config`'s `io.cnbkit.base.abi` label to what the image provides: `baseLayers` read
 * through `source`, `added` from `blobDir`. A build image is left as it is.
 */
export async function recordProvides(
  config: ImageConfig,
  source: ImageSource,
  baseLayers: readonly { mediaType: string; digest: Digest; size: number }[],
  added: readonly { digest: Digest; size: number }[],
  blobDir: string,
): Promise<void> {
  if (isBuildImage(config)) return;
  const local = (digest: Digest) => join(blobDir, digest.slice("sha256:".length));
  const reader = {
    blob: async (digest: Digest, size?: number) =>
      existsSync(local(digest)) ? createReadStream(local(digest)) : source.blob(digest, size),
  };
  const layers = [...baseLayers, ...added.map((l) => ({ mediaType: MEDIA_TYPES.layerGzip, ...l }))];
  const provides = await layersProvides(reader, layers, config.rootfs.diff_ids, config.architecture);
  config.config = { ...config.config, Labels: { ...config.config?.Labels, [ABI_PROVIDES_LABEL]: abiLabel(provides) } };
}

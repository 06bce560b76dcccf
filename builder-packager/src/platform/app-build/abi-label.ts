/**
 * The exported app image labelled with what its own layers need from the run image
 * (`io.cnbkit.abi.needs`, abi/records.ts), so a rebase and `fleet scan` read it from the
 * config instead of the layers. Computed here, from the layer tars the exporter wrote, rather
 * than by each buildpack: it covers any buildpack and any file an app layer holds. The record
 * is a function of the layers' bytes (sorted, no times), so the digest stays reproducible.
 */
import { ABI_NEEDS_LABEL, abiLabel, layersNeeds } from "../../abi/index.js";
import {
  type ImageConfig,
  type ImageManifest,
  type ImageSource,
  jsonBlob,
  MEDIA_TYPES,
  type OciLayout,
} from "../../oci/index.js";
import { LABELS, type LifecycleMetadata } from "../app-image.js";

/**
 * `manifest` with its config labelled with the app layers' needs (the layers above the run
 * image's top layer, read through `source`, which reaches the run and reused layers too);
 * unchanged when the config records no top layer or a layer cannot be read.
 */
export async function withAbiNeeds(
  layout: OciLayout,
  manifest: ReturnType<typeof jsonBlob>,
  source: ImageSource,
): Promise<ReturnType<typeof jsonBlob>> {
  const parsed = JSON.parse(manifest.bytes.toString("utf8")) as ImageManifest;
  const config = JSON.parse((await layout.readBlob(parsed.config.digest)).toString("utf8")) as ImageConfig;
  const labels = config.config?.Labels ?? {};
  let top: string | undefined;
  try {
    top = (JSON.parse(labels[LABELS.lifecycle] ?? "{}") as LifecycleMetadata).runImage?.topLayer;
  } catch {
    return manifest;
  }
  const index = top ? config.rootfs.diff_ids.lastIndexOf(top as (typeof config.rootfs.diff_ids)[number]) : -1;
  if (index < 0) return manifest;
  let needs: Awaited<ReturnType<typeof layersNeeds>>;
  try {
    needs = await layersNeeds(
      source,
      parsed.layers.slice(index + 1),
      config.rootfs.diff_ids.slice(index + 1),
      config.architecture,
    );
  } catch {
    // A layer that is no tar cnbkit reads: no record, and a rebase reads the layers itself.
    return manifest;
  }
  const labelled: ImageConfig = {
    ...config,
    config: { ...config.config, Labels: { ...labels, [ABI_NEEDS_LABEL]: abiLabel(needs) } },
  };
  const blob = jsonBlob(labelled, parsed.config.mediaType);
  await layout.putBlob(blob.bytes, { mediaType: parsed.config.mediaType });
  return jsonBlob({ ...parsed, config: blob.descriptor }, MEDIA_TYPES.manifest);
}

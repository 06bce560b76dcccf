/**
 * The extended run image as the lifecycle's exporter reads it (lifecycle 0.21
 * phase/exporter.go `addExtensionLayers`, image/layout_handler.go `FromLayoutPath`):
 * `<layers>/extended/run/` holds exactly one directory, a "sparse" OCI layout whose index
 * names one manifest. The manifest lists the run image's layers and then the extension
 * layers, but only the extension layers' blobs are there: a layer whose blob is missing is the
 * run image's, a layer whose blob is present is added to the app image, with the history entry
 * of its index as its created-by. This is what the lifecycle's own extender writes
 * (phase/extender.go `saveSparse`); cnbkit, the extender here, writes the same.
 *
 * In layout mode (cnbkit's export) the exporter adds those layers but does not take the
 * extended config (exporter.go `supportsRunImageExtension` is false with -layout), so the
 * `io.buildpacks.rebasable=false` label the config carries here is put on the app image by
 * cnbkit too (../platform/app-build/write-image.ts).
 */
import { mkdir, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import {
  type Descriptor,
  type Digest,
  type HistoryEntry,
  type ImageConfig,
  jsonBlob,
  type ImageManifest,
  MEDIA_TYPES,
  NORMALIZED_CREATED,
} from "../oci/index.js";

/** The label the spec uses for "the run image may be swapped under the app layers". */
export const REBASABLE_LABEL = "io.buildpacks.rebasable";

/** The history line of an extension layer, as the lifecycle's extender writes it (layers.ExtensionLayerName). */
export function extensionLayerHistory(createdBy: string, extensionIds: readonly string[]): string {
  return `Layer: '${createdBy}', Created by extension: ${extensionIds.join(",")}`;
}

/** A layer made by applying the run.Dockerfiles (its gzip blob is at `path`). */
export interface ExtensionLayer {
  digest: Digest;
  diffId: Digest;
  size: number;
  /** What made it: the RUN lines, for the history entry. */
  createdBy: string;
  /** The extensions whose run.Dockerfiles it holds. */
  extensionIds: readonly string[];
}

/** The extended run image's config and manifest, from the run image's and the new layer. */
export function extendedRunImage(
  base: { config: ImageConfig; manifest: ImageManifest },
  layer: ExtensionLayer,
): { config: ImageConfig; manifest: ImageManifest } {
  const diffIds = base.config.rootfs.diff_ids;
  // The exporter pairs the Nth layer with the Nth non-empty history entry: a base history that
  // does not line up with its layers is replaced by one empty entry per layer, as imgutil's
  // NormalizedHistory does.
  const baseHistory = (base.config.history ?? []).filter((h) => !h.empty_layer);
  const history: HistoryEntry[] =
    baseHistory.length === diffIds.length ? baseHistory : diffIds.map(() => ({ created: NORMALIZED_CREATED }));
  const config: ImageConfig = {
    ...base.config,
    config: {
      ...base.config.config,
      Labels: { ...(base.config.config?.Labels ?? {}), [REBASABLE_LABEL]: "false" },
    },
    rootfs: { type: "layers", diff_ids: [...diffIds, layer.diffId] },
    history: [
      ...history,
      { created: NORMALIZED_CREATED, created_by: extensionLayerHistory(layer.createdBy, layer.extensionIds) },
    ],
  };
  const configBlob = jsonBlob(config, MEDIA_TYPES.config);
  const manifest: ImageManifest = {
    schemaVersion: 2,
    mediaType: MEDIA_TYPES.manifest,
    config: configBlob.descriptor,
    layers: [
      ...base.manifest.layers.map((l) => ({ mediaType: ociLayerType(l.mediaType), digest: l.digest, size: l.size })),
      { mediaType: MEDIA_TYPES.layerGzip, digest: layer.digest, size: layer.size },
    ],
  };
  return { config, manifest };
}

/** Docker's gzip layer type as OCI's (the layout is OCI); others as they are. */
function ociLayerType(t: string): string {
  return t === MEDIA_TYPES.dockerLayerGzip ? MEDIA_TYPES.layerGzip : t;
}

/**
 * Writes the sparse layout into `<extendedDir>/run/<manifest digest>/` (anything there before
 * is removed: the exporter wants exactly one image) with the config, the manifest and the
 * extension layer's blob, which the caller has already put at `layerBlob`'s path under
 * `<dir>/blobs/sha256/` (see {@link extendedRunBlobDir}). Returns the manifest's descriptor.
 */
export async function writeExtendedRunLayout(
  dir: string,
  image: { config: ImageConfig; manifest: ImageManifest },
): Promise<Descriptor> {
  const blobs = join(dir, "blobs", "sha256");
  await mkdir(blobs, { recursive: true });
  const configBlob = jsonBlob(image.config, MEDIA_TYPES.config);
  const manifestBlob = jsonBlob(image.manifest, MEDIA_TYPES.manifest);
  await writeFile(join(blobs, configBlob.descriptor.digest.slice(7)), configBlob.bytes);
  await writeFile(join(blobs, manifestBlob.descriptor.digest.slice(7)), manifestBlob.bytes);
  await writeFile(join(dir, "oci-layout"), JSON.stringify({ imageLayoutVersion: "1.0.0" }));
  await writeFile(
    join(dir, "index.json"),
    JSON.stringify({ schemaVersion: 2, mediaType: MEDIA_TYPES.index, manifests: [manifestBlob.descriptor] }),
  );
  return manifestBlob.descriptor;
}

/** Where the extended run image goes, made empty: `<layers>/extended/run/<name>`; the blob dir is `<that>/blobs/sha256`. */
export async function extendedRunBlobDir(layersDir: string, name: string): Promise<{ dir: string; blobs: string }> {
  const run = join(layersDir, "extended", "run");
  await rm(run, { recursive: true, force: true });
  const dir = join(run, name);
  const blobs = join(dir, "blobs", "sha256");
  await mkdir(blobs, { recursive: true });
  return { dir, blobs };
}

/**
 * The exported app image's manifest with `io.buildpacks.rebasable=false` in its config (the
 * config blob is written to `layout`): the exporter in layout mode adds the extension layers
 * but not the extended config's label, and an app image whose run image was extended must not
 * be rebased (spec platform.md, "rebasable"; the lifecycle's rebaser refuses it too).
 */
export async function markNotRebasable(
  layout: {
    readBlob(digest: string): Promise<Buffer>;
    putBlob(bytes: Buffer, expected: { mediaType?: string }): Promise<Descriptor>;
  },
  manifest: ImageManifest,
): Promise<ImageManifest> {
  const config = JSON.parse((await layout.readBlob(manifest.config.digest)).toString("utf8")) as ImageConfig;
  const labelled: ImageConfig = {
    ...config,
    config: { ...config.config, Labels: { ...(config.config?.Labels ?? {}), [REBASABLE_LABEL]: "false" } },
  };
  const blob = jsonBlob(labelled, manifest.config.mediaType);
  await layout.putBlob(blob.bytes, { mediaType: manifest.config.mediaType });
  return { ...manifest, config: blob.descriptor };
}

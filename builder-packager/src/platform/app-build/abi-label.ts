/**
 * The exported app image labelled with what its own layers need from the run image
 * (`io.cnbkit.abi.needs`, abi/records.ts), so a rebase and `fleet scan` read it from the
 * config instead of the layers. Computed here, from the layer tars the exporter wrote, rather
 * than by each buildpack: it covers any buildpack and any file an app layer holds. The record
 * is a function of the layers' bytes (sorted, no times), so the digest stays reproducible.
 *
 * A layer the exporter has just written from a buildpack's layer directory is read from that
 * directory, which is still there in the build's view, rather than from its blob: the same
 * files, but no gunzip of the whole layer (Caddy's 57 MB binary: 0.25-1.1 s of a rebuild
 * after an edit, against a read of the file from the page cache). Every other layer (reused,
 * or not a buildpack's directory) is read from its blob, its facts cached by diffID.
 */
import { open, readFile } from "node:fs/promises";
import { join } from "node:path";
import {
  ABI_NEEDS_LABEL,
  abiLabel,
  addElfFile,
  elfMachine,
  emptyLayerAbi,
  isElf,
  type LayerAbi,
  layerAbi,
  needsOf,
  readElfDynamic,
} from "../../abi/index.js";
import {
  type Descriptor,
  type ImageConfig,
  type ImageManifest,
  type ImageSource,
  jsonBlob,
  MEDIA_TYPES,
  type OciLayout,
} from "../../oci/index.js";
import { LABELS, type LifecycleMetadata } from "../app-image.js";
import { buildpackLayerDirs, walkLayerDir } from "./layer-dirs.js";

/**
 * `manifest` with its config labelled with the app layers' needs (the layers above the run
 * image's top layer, read through `source`, which reaches the run and reused layers too);
 * unchanged when the config records no top layer or a layer cannot be read. `layersDir` is
 * the build's /layers on this machine, while the exporter's layers are still in it.
 */
export async function withAbiNeeds(
  layout: OciLayout,
  manifest: ReturnType<typeof jsonBlob>,
  source: ImageSource,
  layersDir?: string,
): Promise<ReturnType<typeof jsonBlob>> {
  const parsed = JSON.parse(manifest.bytes.toString("utf8")) as ImageManifest;
  const config = JSON.parse((await layout.readBlob(parsed.config.digest)).toString("utf8")) as ImageConfig;
  const labels = config.config?.Labels ?? {};
  let metadata: LifecycleMetadata;
  try {
    metadata = JSON.parse(labels[LABELS.lifecycle] ?? "{}") as LifecycleMetadata;
  } catch {
    return manifest;
  }
  const top = metadata.runImage?.topLayer;
  const index = top ? config.rootfs.diff_ids.lastIndexOf(top as (typeof config.rootfs.diff_ids)[number]) : -1;
  if (index < 0) return manifest;
  let needs: ReturnType<typeof needsOf>;
  try {
    const dirs = layersDir ? buildpackLayerDirs(metadata) : new Map<string, string>();
    const facts: LayerAbi[] = [];
    for (const [i, layer] of parsed.layers.entries()) {
      if (i <= index) continue;
      const diffId = config.rootfs.diff_ids[i]!;
      const dir = dirs.get(diffId);
      // Only a blob this export wrote was made from the directory as it is now; a reused
      // layer's directory may hold nothing but its metadata.
      if (layersDir && dir && (await layout.hasBlob(layer.digest)))
        facts.push(await dirAbi(join(layersDir, dir), `/layers/${dir}`, config.architecture));
      else facts.push(await layerAbi(source, layer as Descriptor, diffId, "all", config.architecture));
    }
    needs = needsOf(facts);
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

/**
 * The {@link LayerAbi} of the layer the exporter tarred from `dir` (seen in the image at
 * `inImage`), as the blob scan (abi/layer-scan.ts) would read it: regular files of at least
 * 64 bytes that start with the ELF magic, by their path in the image, symlinks not followed.
 * Each name of a hard-linked file counts, as the lifecycle's tar writes each as a file. The
 * facts do not depend on the order files are read in; the walk is the exporter's all the same
 * (layer-dirs.ts).
 */
export async function dirAbi(dir: string, inImage: string, arch: string): Promise<LayerAbi> {
  const abi = emptyLayerAbi();
  const machine = elfMachine(arch);
  await walkLayerDir(dir, async (r, st) => {
    if (!st.isFile() || st.size < 64) return;
    if (!(await startsWithElf(join(dir, r)))) return;
    const facts = readElfDynamic(await readFile(join(dir, r)));
    if (facts) addElfFile(abi, `${inImage}/${r}`, facts, machine);
  });
  return abi;
}

async function startsWithElf(file: string): Promise<boolean> {
  const fd = await open(file, "r");
  try {
    const head = Buffer.alloc(4);
    const { bytesRead } = await fd.read(head, 0, 4, 0);
    return isElf(head.subarray(0, bytesRead));
  } finally {
    await fd.close();
  }
}

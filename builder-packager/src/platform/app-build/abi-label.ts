/**
 * The exported app image labelled with what its own layers need from the run image
 * (`io.cnbkit.abi.needs`, abi/records.ts), so a rebase and `fleet scan` read it from the
 * config instead of the layers. Computed here, from the layer tars the exporter wrote, rather
 * than by each buildpack: it covers any buildpack and any file an app layer holds. The record
 * is a function of the layers' bytes (sorted, no times), so the digest stays reproducible.
 *
 * A layer the exporter has just written from a buildpack's layer directory is read from that
 * directory, which is still there in the build's view, rather than from its blob: no gunzip of
 * the whole layer (Caddy's 57 MB binary: 0.25-1.1 s of a rebuild after an edit, against a read
 * of the file from the page cache). That reading is kept only when the layer check proved the
 * directory makes the layer's tar byte for byte (layer-guard/dir-layer-scan.ts), so the files
 * read are the image's. Every other layer (reused, not a buildpack's directory, or not proven)
 * is read from its blob, its facts cached by diffID.
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
 * The build's /layers on this machine while the exporter's layer dirs are still in it, and the
 * diffIDs of the layers whose dirs the layer check proved to make their tars, byte for byte
 * (layer-guard/dir-layer-scan.ts): a buildpack process still running during the export could
 * have changed a file after the exporter read it, and the label must say what the image holds.
 */
export interface LayerDirs {
  dir: string;
  proven: Promise<ReadonlySet<string>>;
}

/**
 * `manifest` with its config labelled with the app layers' needs (the layers above the run
 * image's top layer, read through `source`, which reaches the run and reused layers too);
 * unchanged when the config records no top layer or a layer cannot be read. A layer this
 * export wrote from a buildpack's dir is read from `layers.dir` meanwhile, and kept only when
 * `layers.proven` names it (else its blob is read); a failed proof fails this too.
 */
export async function withAbiNeeds(
  layout: OciLayout,
  manifest: ReturnType<typeof jsonBlob>,
  source: ImageSource,
  layers?: LayerDirs,
): Promise<ReturnType<typeof jsonBlob>> {
  // awaited once the dirs are read (appLayerFacts); a refusal before then is not unhandled
  layers?.proven.catch(() => {});
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
  const appLayers = parsed.layers.flatMap((layer, i) =>
    i > index ? [{ layer: layer as Descriptor, diffId: config.rootfs.diff_ids[i]! }] : [],
  );
  const facts = await appLayerFacts(appLayers, { layout, source, metadata, arch: config.architecture, layers });
  if (!facts) return manifest;
  const needs = needsOf(facts);
  const labelled: ImageConfig = {
    ...config,
    config: { ...config.config, Labels: { ...labels, [ABI_NEEDS_LABEL]: abiLabel(needs) } },
  };
  const blob = jsonBlob(labelled, parsed.config.mediaType);
  await layout.putBlob(blob.bytes, { mediaType: parsed.config.mediaType });
  return jsonBlob({ ...parsed, config: blob.descriptor }, MEDIA_TYPES.manifest);
}

/**
 * Each app layer's {@link LayerAbi}: from its buildpack's dir when this export wrote it from
 * there and the layer check proved the dir makes it, else from its blob; undefined when a layer
 * is no tar cnbkit reads (no record then, and a rebase reads the layers itself).
 */
async function appLayerFacts(
  appLayers: { layer: Descriptor; diffId: string }[],
  at: { layout: OciLayout; source: ImageSource; metadata: LifecycleMetadata; arch: string; layers?: LayerDirs },
): Promise<LayerAbi[] | undefined> {
  const fromBlob = ({ layer, diffId }: { layer: Descriptor; diffId: string }) =>
    layerAbi(at.source, layer, diffId, "all", at.arch);
  const dirs = at.layers ? buildpackLayerDirs(at.metadata) : new Map<string, string>();
  const facts: (LayerAbi | undefined)[] = [];
  const fromDirs = new Set<number>();
  try {
    for (const [i, l] of appLayers.entries()) {
      const dir = dirs.get(l.diffId);
      // Only a blob this export wrote was made from the directory; a reused layer's directory
      // may hold nothing but its metadata.
      if (at.layers && dir && (await at.layout.hasBlob(l.layer.digest))) {
        fromDirs.add(i);
        facts.push(await dirAbi(join(at.layers.dir, dir), `/layers/${dir}`, at.arch).catch(() => undefined));
      } else facts.push(await fromBlob(l));
    }
  } catch {
    return undefined;
  }
  if (fromDirs.size === 0 || !at.layers) return facts as LayerAbi[];
  // A dir's reading is kept once the layer check proved the dir (it ran meanwhile); a refusal
  // there fails the build, so its error is this one's too.
  const proven = await at.layers.proven;
  try {
    for (const i of fromDirs) {
      if (!facts[i] || !proven.has(appLayers[i]!.diffId)) facts[i] = await fromBlob(appLayers[i]!);
    }
  } catch {
    return undefined;
  }
  return facts as LayerAbi[];
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

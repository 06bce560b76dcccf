/**
 * The ABI records of images as they are: from their labels when they carry one, else read
 * from their layers once (each layer's facts cached under `~/.cache/cnbkit/abi/` by diffID,
 * so a run image someone else made, or an app image built before cnbkit recorded its needs,
 * is read once per machine, and the layers two images share are read once).
 */
import { mkdir, readFile, utimes } from "node:fs/promises";
import { basename, join } from "node:path";
import { writeAtomic } from "@cnbkit/framework/fs";
import { cnbkitCacheDir, pruneCacheKind } from "../cache/index.js";
import type { Descriptor, ImageSource, ResolvedImage } from "../oci/index.js";
import { needsOf, providesOf } from "./combine.js";
import { type LayerAbi, type ScanScope, scanLayer } from "./layer-scan.js";
import { ABI_NEEDS_LABEL, ABI_PROVIDES_LABEL, type AbiNeeds, type AbiProvides, parseAbiLabel } from "./records.js";

/** Where a record came from: the image's label, or its layers read now (or from the per-layer cache). */
export type AbiSource = "label" | "layers";

/**
 * Where layer blobs are read from: an image source, or anything else that streams blobs by
 * digest (`cnbkit base create` and `base extend` read the layers they just wrote from disk).
 */
export type BlobReader = Pick<ImageSource, "blob">;

/** Options of the readers: the cache dir (default `~/.cache/cnbkit/abi`). */
export interface AbiReadOptions {
  cacheDir?: string;
}

/** Bump when {@link LayerAbi} or the scan changes, so cached facts are not reused. */
const LAYER_RECIPE = "1";

/**
 * Layers' facts this process has at hand, by cache file: a fleet rebase asks for the same run
 * and runtime layers for every image, and concurrent rebases share one read of a new layer.
 * Bounded (oldest dropped first): the facts of a layer are a few KB.
 */
const inProcess = new Map<string, Promise<LayerAbi>>();
const IN_PROCESS_MAX = 4096;

/** The facts of one layer of `source`, from the cache or read now and cached. */
export function layerAbi(
  source: BlobReader,
  layer: Descriptor,
  diffId: string,
  scope: ScanScope,
  arch: string,
  opts: AbiReadOptions = {},
): Promise<LayerAbi> {
  const dir = opts.cacheDir ?? join(cnbkitCacheDir(), "abi");
  const file = join(dir, `${LAYER_RECIPE}-${scope}-${arch}-${diffId.replace(/^sha256:/, "")}.json`);
  let pending = inProcess.get(file);
  if (!pending) {
    pending = readOrScan(source, layer, scope, arch, dir, file);
    inProcess.set(file, pending);
    pending.catch(() => inProcess.delete(file));
    if (inProcess.size > IN_PROCESS_MAX) inProcess.delete(inProcess.keys().next().value as string);
  }
  return pending;
}

async function readOrScan(
  source: BlobReader,
  layer: Descriptor,
  scope: ScanScope,
  arch: string,
  dir: string,
  file: string,
): Promise<LayerAbi> {
  const cached = await readFile(file, "utf8").then(
    (t) => JSON.parse(t) as LayerAbi,
    () => undefined,
  );
  if (cached) {
    // Least recently used goes first when the cache is pruned: a hit counts as a use.
    const now = new Date();
    await utimes(file, now, now).catch(() => {});
    return cached;
  }
  const abi = await scanLayer(
    await source.blob(layer.digest, layer.size),
    layer.mediaType.includes("gzip"),
    scope,
    arch,
  );
  await mkdir(dir, { recursive: true });
  await writeAtomic(file, JSON.stringify(abi));
  await pruneNowAndThen(dir, file);
  return abi;
}

/** New entries this process wrote, by cache dir: the first prunes, then every {@link PRUNE_EVERY}th. */
const written = new Map<string, number>();
const PRUNE_EVERY = 1000;

/**
 * Bounds the cache (`CNBKIT_CACHE_MAX_ABI`, cache/prune.ts) after a new entry, not after every
 * one: a fleet scan writes one per new layer, and each prune lists the whole dir.
 */
async function pruneNowAndThen(dir: string, file: string): Promise<void> {
  const n = written.get(dir) ?? 0;
  written.set(dir, n + 1);
  if (n % PRUNE_EVERY === 0) await pruneCacheKind("abi", dir, { keep: basename(file) });
}

/**
 * What the layers of `image` from index `first` on (its app layers: above the run image's
 * top layer) need: the `io.cnbkit.abi.needs` label when present, else read from those layers.
 */
export async function appImageNeeds(
  source: ImageSource,
  image: ResolvedImage,
  first: number,
  opts: AbiReadOptions = {},
): Promise<{ needs: AbiNeeds; from: AbiSource }> {
  const labelled = parseAbiLabel<AbiNeeds>(image.config.config?.Labels?.[ABI_NEEDS_LABEL]);
  if (labelled) return { needs: labelled, from: "label" };
  const layers = image.manifest.manifest.layers.slice(first);
  const diffIds = image.config.rootfs.diff_ids.slice(first);
  return { needs: await layersNeeds(source, layers, diffIds, image.config.architecture, opts), from: "layers" };
}

/**
 * What `layers` (an image's app layers, with their diffIDs) need, read from the layers (no
 * label asked): what the build writes into the label.
 */
export async function layersNeeds(
  source: BlobReader,
  layers: Descriptor[],
  diffIds: string[],
  arch: string,
  opts: AbiReadOptions = {},
): Promise<AbiNeeds> {
  return needsOf(await layersAbi(source, layers, diffIds, "all", arch, opts));
}

/**
 * What `layers` (a run image's, or the bottom of an app image: the run image it was built on)
 * provide, read from the layers (each layer's facts cached by diffID).
 */
export async function layersProvides(
  source: BlobReader,
  layers: Descriptor[],
  diffIds: string[],
  arch: string,
  opts: AbiReadOptions = {},
): Promise<AbiProvides> {
  return providesOf(await layersAbi(source, layers, diffIds, "library-dirs", arch, opts));
}

/** Each of `layers`' facts in `scope`, one layer after another (each cached by its diffID). */
async function layersAbi(
  source: BlobReader,
  layers: Descriptor[],
  diffIds: string[],
  scope: ScanScope,
  arch: string,
  opts: AbiReadOptions,
): Promise<LayerAbi[]> {
  const facts: LayerAbi[] = [];
  for (let i = 0; i < layers.length; i++)
    facts.push(await layerAbi(source, layers[i]!, diffIds[i]!, scope, arch, opts));
  return facts;
}

/** What a run image provides: its `io.cnbkit.base.abi` label when present, else read from its layers. */
export async function runImageProvides(
  source: ImageSource,
  image: ResolvedImage,
  opts: AbiReadOptions = {},
): Promise<{ provides: AbiProvides; from: AbiSource }> {
  const labelled = parseAbiLabel<AbiProvides>(image.config.config?.Labels?.[ABI_PROVIDES_LABEL]);
  if (labelled) return { provides: labelled, from: "label" };
  const { layers } = image.manifest.manifest;
  const diffIds = image.config.rootfs.diff_ids;
  return { provides: await layersProvides(source, layers, diffIds, image.config.architecture, opts), from: "layers" };
}

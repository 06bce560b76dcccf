/**
 * One image patched: its config and manifest rewritten with the reference's layers in place
 * of its own, the SBOM layer remade with the new layers' documents, layers the rule drops
 * removed, and the lifecycle label saying all of it, as a fresh build would have. Nothing
 * else changes: app layers, the launcher, the run image and history stay byte for byte, so
 * the result is the image a rebuild on the newer runtime gives (patch-plan.ts says why).
 */
import { Readable } from "node:stream";
import { gzipSync } from "node:zlib";
import {
  type Descriptor,
  type Digest,
  type ImageConfig,
  type ImageSink,
  type ImageSource,
  canonicalJson,
  type ResolvedImage,
  sha256,
} from "../oci/index.js";
import { appMetadata, LABELS, type LifecycleMetadata } from "../platform/index.js";
import { blobBytes, type LayerChange, layerDescriptor, newEntry, type PatchReference } from "./patch-plan.js";
import { replaceSbomEntries, sbomPrefixes } from "./patch-sbom.js";

/** A new blob a patch writes (the SBOM layer, the config). */
export interface NewBlob {
  descriptor: Descriptor;
  bytes: Buffer;
}

/** The new SBOM layer (gzip) and its diffID. */
export interface PatchedSbom {
  blob: NewBlob;
  diffId: Digest;
}

/** The image a patch writes, before it is written. */
export interface PatchedImage {
  config: NewBlob;
  manifest: { bytes: Buffer; mediaType: string; digest: Digest };
  sbom: PatchedSbom | undefined;
  /** The layers it takes from the reference. */
  fromReference: Descriptor[];
  /** Layers removed by a rule's `drop` (`<buildpack>:<layer>`). */
  dropped: string[];
}

/**
 * The SBOM layer of `image` with `changes`' documents from the reference's. One per distinct
 * old SBOM layer and set of changes (`cache`): a fleet of one app's images shares it.
 */
export function patchedSbom(
  image: ResolvedImage,
  src: ImageSource,
  changes: LayerChange[],
  reference: PatchReference,
  cache: Map<string, Promise<PatchedSbom>>,
  where: string,
): Promise<PatchedSbom> | undefined {
  const old = appMetadata(image.config, where).lifecycle.sbom?.sha;
  if (!old) return undefined;
  const key = `${old} ${changes.map((c) => `${c.key}=${c.to.entry.sha}`).join(" ")}`;
  let made = cache.get(key);
  if (!made) {
    made = (async () => {
      const desc = layerDescriptor(image, old, where);
      const tar = await blobBytes(src, desc);
      const prefixes = changes.flatMap((c) => sbomPrefixes(c.from.buildpack, c.from.name));
      const next = replaceSbomEntries(tar, reference.sbomTar, prefixes, where);
      const diffId = sha256(next);
      // The same app's SBOM layer as the reference's (the reference is one of the fleet's
      // apps): its own blob, so the image is the fresh build's byte for byte, and nothing new.
      const refSbom = appMetadata(reference.image.config, reference.ref).lifecycle.sbom?.sha;
      if (refSbom === diffId) {
        const descriptor = layerDescriptor(reference.image, refSbom, reference.ref);
        return {
          diffId,
          blob: { descriptor, bytes: await blobBytes(reference.src, { ...descriptor, mediaType: "raw" }) },
        };
      }
      const gz = gzipSync(next, { level: 6 });
      return {
        diffId,
        blob: { descriptor: { mediaType: desc.mediaType, digest: sha256(gz), size: gz.length }, bytes: gz },
      };
    })();
    cache.set(key, made);
    made.catch(() => cache.delete(key));
  }
  return made;
}

/** The lifecycle label after the patch: the reference's entries for changed layers, dropped ones gone. */
function patchedLabel(
  lifecycle: LifecycleMetadata,
  changes: LayerChange[],
  dropped: Set<string>,
  sbom: PatchedSbom | undefined,
): LifecycleMetadata {
  const byKey = new Map(changes.map((c) => [c.key, c]));
  const buildpacks = (lifecycle.buildpacks ?? []).map((bp) => {
    const layers: Record<string, { sha: string }> = {};
    for (const [name, entry] of Object.entries(bp.layers ?? {})) {
      const key = `${bp.key}:${name}`;
      if (dropped.has(key)) continue;
      const change = byKey.get(key);
      layers[name] = change ? newEntry(change) : entry;
    }
    return { ...bp, layers };
  });
  return { ...lifecycle, buildpacks, ...(sbom ? { sbom: { ...lifecycle.sbom, sha: sbom.diffId } } : {}) };
}

/** The `<buildpack>:<layer>` keys `changes`' rules drop that `image` has, with their diffIDs. */
function droppedLayers(lifecycle: LifecycleMetadata, changes: LayerChange[]): Map<string, string> {
  const out = new Map<string, string>();
  for (const c of changes) {
    for (const d of c.to.record.derived ?? []) {
      if (d.action !== "drop" || !d.layer) continue;
      const sha = lifecycle.buildpacks?.find((b) => b.key === c.from.buildpack)?.layers?.[d.layer]?.sha;
      if (sha) out.set(`${c.from.buildpack}:${d.layer}`, sha);
    }
  }
  return out;
}

/**
 * The patched config and manifest of `image`: each changed layer's diffID and descriptor
 * become the reference's, the SBOM layer's the new one's, dropped layers go (with their
 * history entries), and the lifecycle label says so.
 */
export function patchedImage(
  image: ResolvedImage,
  changes: LayerChange[],
  sbom: PatchedSbom | undefined,
  where: string,
  reference?: ImageConfig,
): PatchedImage {
  const { lifecycle, labels: old } = appMetadata(image.config, where);
  const drops = droppedLayers(lifecycle, changes);
  const replace = new Map<string, { diffId: Digest; desc: Descriptor }>();
  for (const c of changes) replace.set(c.from.entry.sha, { diffId: c.to.entry.sha as Digest, desc: c.to.descriptor });
  if (sbom && lifecycle.sbom?.sha) replace.set(lifecycle.sbom.sha, { diffId: sbom.diffId, desc: sbom.blob.descriptor });
  const gone = new Set(drops.values());
  const diffIds: Digest[] = [];
  const layers: Descriptor[] = [];
  const keep: boolean[] = [];
  image.config.rootfs.diff_ids.forEach((d, i) => {
    const desc = image.manifest.manifest.layers[i]!;
    keep.push(!gone.has(d));
    if (gone.has(d)) return;
    const r = replace.get(d);
    diffIds.push(r ? r.diffId : d);
    layers.push(r ? r.desc : desc);
  });
  const label = patchedLabel(lifecycle, changes, new Set(drops.keys()), sbom);
  const config: ImageConfig = {
    ...image.config,
    config: {
      ...image.config.config,
      Labels: { ...derivedLabels(old, diffIds, reference), [LABELS.lifecycle]: JSON.stringify(label) },
    },
    rootfs: { ...image.config.rootfs, diff_ids: diffIds },
  };
  if (image.config.history && gone.size > 0) config.history = withoutLayers(image.config.history, keep);
  const mediaType = image.manifest.mediaType;
  const configBytes = Buffer.from(serializeLike(image.config, image.manifest.manifest.config.digest)(config));
  const configDesc = { ...image.manifest.manifest.config, digest: sha256(configBytes), size: configBytes.length };
  const manifest = {
    ...image.manifest.manifest,
    config: configDesc,
    layers: layers.map((l, i) => sameKeys(image.manifest.manifest.layers[i] ?? l, l)),
  };
  const bytes = Buffer.from(serializeLike(image.manifest.manifest, image.manifest.digest)(manifest));
  return {
    config: { descriptor: configDesc, bytes: configBytes },
    manifest: { bytes, mediaType, digest: sha256(bytes) },
    sbom,
    fromReference: changes.map((c) => c.to.descriptor),
    dropped: [...drops.keys()],
  };
}

/**
 * How the image's own JSON was written, to write the patched one the same way: the
 * lifecycle's Go field order (kept by JSON.parse and the spreads above) or cnbkit's canonical
 * JSON. Then a patched config equals a fresh build's byte for byte, not only as a value.
 */
function serializeLike(original: unknown, digest: string): (value: unknown) => string {
  // Canonical first: a canonical original is also its own JSON.stringify (parsed in order),
  // but a value with a key added or replaced is canonical only when written so.
  if (sha256(canonicalJson(original)) === digest) return canonicalJson;
  if (sha256(JSON.stringify(original)) === digest) return (v) => JSON.stringify(v);
  return (v) => JSON.stringify(v);
}

/** `next` with `like`'s key order (a descriptor written as the image wrote the one it replaces). */
function sameKeys(like: Descriptor, next: Descriptor): Descriptor {
  const out: Record<string, unknown> = {};
  for (const k of Object.keys(like)) if (k in next) out[k] = next[k as keyof Descriptor];
  for (const [k, v] of Object.entries(next)) if (!(k in out) && k !== "annotations") out[k] = v;
  return out as unknown as Descriptor;
}

/**
 * `io.cnbkit.abi.needs` (builder-packager/src/abi/records.ts): what the launch layers' ELF
 * files need from the run image, computed from the layers a patch changes. With exactly the
 * reference's layers it is the reference's label (the same layers give the same record);
 * otherwise it is left out, and a reader computes it from the layers, never from a stale one.
 */
const ABI_NEEDS_LABEL = "io.cnbkit.abi.needs";

/** The image's labels with those derived from its layers brought up to date (see {@link ABI_NEEDS_LABEL}). */
function derivedLabels(
  labels: Record<string, string>,
  diffIds: Digest[],
  reference: ImageConfig | undefined,
): Record<string, string> {
  if (!(ABI_NEEDS_LABEL in labels)) return labels;
  const { [ABI_NEEDS_LABEL]: _stale, ...rest } = labels;
  const same = reference && JSON.stringify(reference.rootfs.diff_ids) === JSON.stringify(diffIds);
  const fresh = same ? reference.config?.Labels?.[ABI_NEEDS_LABEL] : undefined;
  return fresh === undefined ? rest : { ...labels, [ABI_NEEDS_LABEL]: fresh };
}

/** History without the entries of removed layers (`keep[i]` per non-empty layer). */
function withoutLayers<T extends { empty_layer?: boolean }>(history: T[], keep: boolean[]): T[] {
  let i = 0;
  return history.filter((h) => (h.empty_layer ? true : (keep[i++] ?? true)));
}

/**
 * Writes the patched image's blobs to `sink` (the repository of the image): the reference's
 * layers mounted from its repository (or copied from a layout), the SBOM layer once per
 * repository (`known`), the config; returns the bytes uploaded (mounts and blobs already
 * there cost none).
 */
export async function writePatchedBlobs(
  sink: ImageSink,
  patched: PatchedImage,
  reference: PatchReference,
  known: Map<string, Promise<number>>,
): Promise<number> {
  const home = sink.ref.kind === "registry" ? `${sink.ref.registry}/${sink.ref.repository}` : sink.ref.path;
  const mountFrom = reference.src.ref.kind === "registry" ? reference.src.ref : undefined;
  const place = (desc: Descriptor, open: () => Promise<Readable>) => {
    const key = `${home}@${desc.digest}`;
    let placed = known.get(key);
    if (!placed) {
      placed = sink
        .putBlob(desc, open, mountFrom ? { mountFrom } : {})
        .then((how) => (how === "uploaded" ? desc.size : 0));
      known.set(key, placed);
      placed.catch(() => known.delete(key));
      return placed;
    }
    return placed.then(() => 0);
  };
  let bytes = 0;
  for (const desc of patched.fromReference)
    bytes += await place(desc, () => reference.src.blob(desc.digest, desc.size));
  const sbom = patched.sbom?.blob;
  if (sbom) bytes += await place(sbom.descriptor, async () => Readable.from([sbom.bytes]));
  const config = patched.config;
  await sink.putBlob(config.descriptor, async () => Readable.from([config.bytes]), { justMade: true });
  return bytes + config.bytes.length;
}

/**
 * A `--cache-image` behind the guard: the lifecycle never talks to the cache's registry.
 * Left to itself, its exporter pushes the cache image at the end of the build, before cnbkit
 * sees a layer, so a secret in a cache layer would be in the registry (and every mirror of
 * it) whatever the guard then found. Instead cnbkit mirrors the cache image into the build's
 * volume cache before the lifecycle runs ({@link pullCacheImage}: the layers it lacks, as the
 * lifecycle's `committed/<diffID>.tar`), the lifecycle uses that directory (`-cache-dir`),
 * the guard scans the new tars as it does any volume cache, and only a build that passed
 * pushes the directory back as the cache image ({@link pushCacheImage}), in the lifecycle's
 * own format (one layer per cache tar, the metadata in the
 * `io.buildpacks.lifecycle.cache.metadata` label), so pack and kpack read it as before.
 * A side effect on purpose: no lifecycle container holds the registry's credentials.
 */
import { createReadStream, createWriteStream } from "node:fs";
import { chown, mkdir, readdir, readFile, rename, rm, stat, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { createGunzip, createGzip } from "node:zlib";
import { CnbError } from "@cnbkit/framework";
import {
  type Descriptor,
  type Digest,
  digestHex,
  HashingStream,
  hostPlatform,
  type ImageConfig,
  imageConfig,
  imageManifest,
  jsonBlob,
  MEDIA_TYPES,
  parseConfig,
  parseReference,
  RegistryClient,
  type RegistryReference,
  selectPlatform,
} from "../../../oci/index.js";

/** The lifecycle's cache metadata: a file in a volume cache, a label on a cache image. */
export const CACHE_METADATA = "io.buildpacks.lifecycle.cache.metadata";

/** What {@link pullCacheImage} found, for {@link pushCacheImage} to reuse. */
export interface PulledCache {
  ref: RegistryReference & { tag: string };
  /** The image's compressed layers by diffID: pushed again without recompressing. */
  layers: Map<string, Descriptor>;
  /** The image's platform, kept on the new cache image. */
  platform: { os: string; architecture: string };
}

/** The registry, repository and tag of a `--cache-image` (checked a registry one by flags.ts). */
function cacheRef(image: string): RegistryReference & { tag: string } {
  const ref = parseReference(image);
  if (ref.kind !== "registry") throw new CnbError(`--cache-image ${image}: not a registry reference`);
  return { ...ref, tag: ref.tag ?? "latest" };
}

/** A cache image not read (`--clear-cache`): everything is pushed anew. */
export function emptyCache(image: string): PulledCache {
  return { ref: cacheRef(image), layers: new Map(), platform: hostPlatform() };
}

/**
 * Makes `<cacheDir>/committed` hold the cache image `image`: downloads (and gunzips, checking
 * each diffID) the layers it lacks, drops tars the image has not, writes the metadata file.
 * A missing image is an empty cache, as the lifecycle takes it.
 */
export async function pullCacheImage(image: string, cacheDir: string, say: (l: string) => void): Promise<PulledCache> {
  const ref = cacheRef(image);
  const client = new RegistryClient(ref.registry);
  const committed = join(cacheDir, "committed");
  const pulled = emptyCache(image);
  let config: ImageConfig | undefined;
  if (await client.hasManifest(ref.repository, ref.tag)) {
    let parsed = await client.getManifest(ref.repository, ref.tag);
    if (parsed.kind === "index") {
      const one = selectPlatform(parsed.index, hostPlatform());
      if (!one) throw new CnbError(`--cache-image ${image}: an index with no ${hostPlatform().architecture} image`);
      parsed = await client.getManifest(ref.repository, one.digest);
    }
    if (parsed.kind !== "manifest") throw new CnbError(`--cache-image ${image}: not an image`);
    const { manifest } = parsed;
    config = parseConfig(await client.getBlobBytes(ref.repository, manifest.config.digest, manifest.config.size));
    pulled.platform = { os: config.os, architecture: config.architecture };
    for (const [i, desc] of manifest.layers.entries()) {
      const diffId = config.rootfs.diff_ids[i];
      if (diffId) pulled.layers.set(diffId, desc);
    }
  }
  const owner = await stat(cacheDir);
  await mkdir(committed, { recursive: true });
  await chown(committed, owner.uid, owner.gid);
  const have = new Set(await readdir(committed));
  for (const name of have) {
    if (name.endsWith(".tar") && !pulled.layers.has(name.slice(0, -".tar".length))) await rm(join(committed, name));
  }
  let fetched = 0;
  for (const [diffId, desc] of pulled.layers) {
    if (have.has(`${diffId}.tar`)) continue;
    const file = join(committed, `${diffId}.tar`);
    const tmp = `${file}.download`;
    const hash = new HashingStream();
    await pipeline(
      await client.getBlob(ref.repository, desc.digest as Digest, desc.size),
      createGunzip(),
      hash,
      createWriteStream(tmp),
    );
    if (hash.digest !== diffId) {
      await rm(tmp, { force: true });
      throw new CnbError(`--cache-image ${image}: layer ${desc.digest} unpacks to ${hash.digest}, not ${diffId}`, {
        hint: "the cache image is damaged; build once with --clear-cache to replace it",
      });
    }
    await rename(tmp, file);
    await chown(file, owner.uid, owner.gid);
    fetched++;
  }
  const metadata = config?.config?.Labels?.[CACHE_METADATA];
  const metaFile = join(committed, CACHE_METADATA);
  if (metadata === undefined) await rm(metaFile, { force: true });
  else {
    await writeFile(metaFile, metadata);
    await chown(metaFile, owner.uid, owner.gid);
  }
  if (pulled.layers.size > 0) {
    say(`Restored the cache image ${image}: ${fetched} of ${pulled.layers.size} layers downloaded, the rest were here`);
  }
  return pulled;
}

/**
 * Pushes `<cacheDir>/committed` (the cache the lifecycle left, checked by the guard) as the
 * cache image: the pulled image's compressed layers as they were, new tars gzipped in `work`.
 */
export async function pushCacheImage(pulled: PulledCache, cacheDir: string, work: string): Promise<Digest> {
  const { ref } = pulled;
  const client = new RegistryClient(ref.registry);
  const committed = join(cacheDir, "committed");
  const tars = (await readdir(committed).catch(() => [] as string[])).filter((f) => f.endsWith(".tar")).sort();
  const metadata = await readFile(join(committed, CACHE_METADATA), "utf8").catch(() => undefined);
  const blobs = join(work, "cache-image-blobs");
  await mkdir(blobs, { recursive: true });
  const layers: Descriptor[] = [];
  const diffIds: Digest[] = [];
  for (const tar of tars) {
    const diffId = tar.slice(0, -".tar".length) as Digest;
    const known = pulled.layers.get(diffId);
    const desc = known ?? (await gzipTar(join(committed, tar), blobs));
    if (!known) {
      const file = join(blobs, digestHex(desc.digest));
      await client.putBlob(ref.repository, {
        digest: desc.digest as Digest,
        size: desc.size,
        open: (start, end) => createReadStream(file, { start, end: Math.max(start, end - 1) }),
      });
    }
    layers.push(desc);
    diffIds.push(diffId);
  }
  const config = jsonBlob(
    imageConfig({
      ...pulled.platform,
      diffIds,
      config: metadata === undefined ? {} : { Labels: { [CACHE_METADATA]: metadata } },
    }),
    MEDIA_TYPES.config,
  );
  await client.putBlob(
    ref.repository,
    { digest: config.descriptor.digest, size: config.bytes.length, open: () => Readable.from([config.bytes]) },
    { justMade: true },
  );
  const manifest = jsonBlob(imageManifest(config.descriptor, layers), MEDIA_TYPES.manifest);
  return client.putManifest(ref.repository, ref.tag, manifest.bytes, MEDIA_TYPES.manifest);
}

/** Gzips a cache tar into `dir` as `<dir>/<digest hex>`; its descriptor. */
async function gzipTar(file: string, dir: string): Promise<Descriptor> {
  const hash = new HashingStream();
  const tmp = join(dir, ".tmp-gzip");
  await pipeline(createReadStream(file), createGzip({ level: 6 }), hash, createWriteStream(tmp));
  await rename(tmp, join(dir, digestHex(hash.digest)));
  return { mediaType: MEDIA_TYPES.layerGzip, digest: hash.digest, size: hash.size };
}

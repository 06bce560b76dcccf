/**
 * One way to read and write images wherever they live (OCI layout or registry), and a copy
 * between any two that transfers only the blobs the destination lacks.
 */
import { pipeline, type Readable, Transform } from "node:stream";
import { CnbError } from "@cnbkit/framework";
import { type Digest, sha256 } from "./digest.js";
import {
  type Descriptor,
  dockerManifestToOci,
  hostPlatform,
  type ImageConfig,
  isManifestType,
  jsonBlob,
  MEDIA_TYPES,
  type ParsedManifest,
  type Platform,
  parseConfig,
  parseManifest,
  selectPlatform,
} from "./image.js";
import { OciLayout } from "./layout.js";
import { type ImageReference, parseReference, type RegistryReference } from "./reference.js";
import { fileBlob, mapLimit, type PutBlobResult, RegistryClient, type RegistryOptions } from "./registry.js";

/** A single-platform image: its manifest and config. */
export interface ResolvedImage {
  manifest: Extract<ParsedManifest, { kind: "manifest" }>;
  config: ImageConfig;
}

/** Read access to an image, wherever it is. */
export interface ImageSource {
  readonly ref: ImageReference;
  /** The manifest or index the reference names. */
  manifest(): Promise<ParsedManifest>;
  /** A manifest or index by digest (children of an index). */
  manifestByDigest(digest: Digest, mediaType?: string): Promise<ParsedManifest>;
  /** The image for a platform (default: the host's; a single manifest is returned as is). */
  image(platform?: Platform): Promise<ResolvedImage>;
  /** The config of {@link image}(). */
  config(platform?: Platform): Promise<ImageConfig>;
  /**
   * A verified stream of a blob; `size` (the descriptor's) lets a registry download tell a
   * short body from a whole one. From a registry, drops and stalls are resumed underneath.
   */
  blob(digest: Digest, size?: number): Promise<Readable>;
  /**
   * The local file holding a blob, when the source is an OCI layout on this machine: a
   * layout sink can hardlink it instead of copying (blobs are content-addressed and never
   * written in place).
   */
  blobFile?(digest: Digest): Promise<string | undefined>;
}

/** Write access to an image location. */
export interface ImageSink {
  readonly ref: ImageReference;
  hasBlob(digest: Digest): Promise<boolean>;
  /** Stores a blob; `open` may be called more than once (retries). */
  putBlob(
    desc: Descriptor,
    open: () => Promise<Readable>,
    options?: {
      mountFrom?: RegistryReference;
      /** A local file with the blob (see {@link ImageSource.blobFile}). */
      linkFrom?: string;
      onProgress?: (done: number, total: number) => void;
      /**
       * The blob was just made (a rebased image's config): it is all but never there, so a
       * registry is not asked first; uploading one that is costs its bytes, nothing more.
       */
      justMade?: boolean;
    },
  ): Promise<PutBlobResult>;
  /** Stores manifest/index bytes as-is; `tag` names it (else it is stored by digest only). */
  putManifest(bytes: Buffer, mediaType: string, tag?: string): Promise<Descriptor>;
  /** The tag the reference asks for (layouts default to "latest"). */
  readonly defaultTag: string | undefined;
  /** True when Docker-typed manifests must be rewritten as OCI (layouts: skopeo/umoci skip Docker types). */
  readonly ociOnly: boolean;
}

/** Options for opening sources and sinks. */
export interface StoreOptions extends RegistryOptions {
  /** Where an OCI layout's warnings go (a corrupt blob removed); default stderr. */
  onWarning?: (line: string) => void;
  /** Reuse one client per registry (token cache, stats). */
  clients?: Map<string, RegistryClient>;
}

function client(registry: string, o: StoreOptions): RegistryClient {
  const existing = o.clients?.get(registry);
  if (existing) return existing;
  const c = new RegistryClient(registry, o);
  o.clients?.set(registry, c);
  return c;
}

async function resolveImage(
  src: ImageSource,
  top: ParsedManifest,
  platform?: Platform,
  configBytes?: (desc: Descriptor) => Promise<Buffer>,
): Promise<ResolvedImage> {
  let m = top;
  if (m.kind === "index") {
    const want = platform ?? hostPlatform();
    const desc =
      selectPlatform(m.index, want) ??
      (m.index.manifests.filter((d) => isManifestType(d.mediaType)).length === 1
        ? m.index.manifests.find((d) => isManifestType(d.mediaType))
        : undefined);
    if (!desc) {
      throw new CnbError(
        `image ${describe(src.ref)}: no ${want.os}/${want.architecture} image in its index (has ${m.index.manifests
          .map((d) => (d.platform ? `${d.platform.os}/${d.platform.architecture}` : d.digest))
          .join(", ")})`,
      );
    }
    m = await src.manifestByDigest(desc.digest, desc.mediaType);
    if (m.kind !== "manifest")
      throw new CnbError(`image ${describe(src.ref)}: nested index ${desc.digest} is not supported`);
  }
  let bytes: Buffer;
  if (configBytes) {
    bytes = await configBytes(m.manifest.config);
  } else {
    const chunks: Buffer[] = [];
    for await (const c of await src.blob(m.manifest.config.digest, m.manifest.config.size)) chunks.push(c as Buffer);
    bytes = Buffer.concat(chunks);
  }
  return { manifest: m, config: parseConfig(bytes, `${describe(src.ref)} config`) };
}

function describe(ref: ImageReference): string {
  return ref.kind === "layout"
    ? `oci:${ref.path}${ref.tag ? `:${ref.tag}` : ""}`
    : `${ref.registry}/${ref.repository}${ref.tag ? `:${ref.tag}` : ""}`;
}

/**
 * Opens an image for reading: `oci:dir[:tag]` or a registry reference.
 *
 * @example
 * const src = await openImageSource("oci:out/builder:latest");
 * const { config } = await src.image();
 */
export async function openImageSource(ref: string | ImageReference, options: StoreOptions = {}): Promise<ImageSource> {
  const r = typeof ref === "string" ? parseReference(ref) : ref;
  if (r.kind === "layout") {
    const layout = await OciLayout.open(r.path, { onWarning: options.onWarning });
    const src: ImageSource = {
      ref: r,
      // The image's blobs are checked before anyone reuses them (cheap once checked): a
      // corrupt one is removed with a warning and the image reads as broken, so a build
      // does without its previous image instead of reusing a bad layer.
      manifest: async () => {
        const desc = await layout.descriptor(r.digest ?? r.tag);
        await layout.checkImage(desc);
        return layout.resolve(r.digest ?? r.tag);
      },
      manifestByDigest: async (digest, mediaType) =>
        parseManifest(await layout.readBlob(digest), mediaType, `${layout.dir}: ${digest}`),
      image: async (platform) => resolveImage(src, await src.manifest(), platform),
      config: async (platform) => (await src.image(platform)).config,
      blob: (digest) => layout.blobStream(digest),
      blobFile: async (digest) => ((await layout.hasBlob(digest)) ? layout.blobPath(digest) : undefined),
    };
    return src;
  }
  const reg = client(r.registry, options);
  const reference = r.digest ?? r.tag ?? "latest";
  const src: ImageSource = {
    ref: r,
    manifest: () => reg.getManifest(r.repository, reference),
    manifestByDigest: (digest) => reg.getManifest(r.repository, digest),
    // a config is read whole, without a stream between (a fleet rebase reads thousands)
    image: async (platform) =>
      resolveImage(src, await src.manifest(), platform, (d) => reg.getBlobBytes(r.repository, d.digest, d.size)),
    config: async (platform) => (await src.image(platform)).config,
    blob: (digest, size) => reg.getBlob(r.repository, digest, size),
  };
  return src;
}

/**
 * Opens a place to write an image: `oci:dir[:tag]` (created if missing) or a registry
 * reference.
 */
export async function openImageSink(ref: string | ImageReference, options: StoreOptions = {}): Promise<ImageSink> {
  const r = typeof ref === "string" ? parseReference(ref) : ref;
  if (r.kind === "layout") {
    const layout = await OciLayout.create(r.path, { onWarning: options.onWarning });
    return {
      ref: r,
      defaultTag: r.tag ?? "latest",
      ociOnly: true,
      hasBlob: (d) => layout.hasBlob(d),
      async putBlob(desc, open, opts) {
        // A corrupt blob already there is removed (with a warning) and written again.
        if ((await layout.checkBlob(desc.digest)) === "ok") return "exists";
        if (opts?.linkFrom && (await layout.linkBlob(opts.linkFrom, desc))) return "uploaded";
        let done = 0;
        const counter = new Transform({
          transform(chunk: Buffer, _e, cb) {
            done += chunk.length;
            opts?.onProgress?.(done, desc.size);
            cb(null, chunk);
          },
        });
        // errors stay recorded on `counter` for putBlob's pipeline, even if raised before it listens
        counter.on("error", () => {});
        pipeline(await open(), counter, () => {});
        await layout.putBlob(counter, { digest: desc.digest, mediaType: desc.mediaType, size: desc.size });
        return "uploaded";
      },
      putManifest: (bytes, mediaType, tag) => layout.putManifest(bytes, mediaType, tag),
    };
  }
  const reg = client(r.registry, options);
  return {
    ref: r,
    defaultTag: r.tag,
    ociOnly: false,
    hasBlob: (d) => reg.hasBlob(r.repository, d, true),
    async putBlob(desc, open, opts) {
      const mountFrom =
        opts?.mountFrom && opts.mountFrom.registry === r.registry && opts.mountFrom.repository !== r.repository
          ? opts.mountFrom.repository
          : undefined;
      return reg.putBlob(
        r.repository,
        {
          digest: desc.digest,
          size: desc.size,
          async open(start, end) {
            return slice(await open(), start, end);
          },
        },
        { mountFrom, onProgress: opts?.onProgress, justMade: opts?.justMade },
      );
    },
    async putManifest(bytes, mediaType, tag) {
      const digest = await reg.putManifest(r.repository, tag ?? sha256(bytes), bytes, mediaType);
      return { mediaType, digest, size: bytes.length };
    },
  };
}

/** Bytes [start, end) of a stream (for chunked uploads from a non-seekable source). */
function slice(input: Readable, start: number, end: number): Readable {
  let pos = 0;
  const t = new Transform({
    transform(chunk: Buffer, _e, cb) {
      const from = Math.max(0, start - pos);
      const to = Math.min(chunk.length, end - pos);
      pos += chunk.length;
      if (to > from) this.push(chunk.subarray(from, to));
      if (pos >= end) {
        this.push(null);
        input.destroy();
      }
      cb();
    },
  });
  // not pipeline(): destroying `input` early is intended here, not a premature close
  input.on("error", (e) => t.destroy(e));
  return input.pipe(t);
}

/** Options of {@link copyImage}. */
export interface CopyOptions {
  /** Parallel blob transfers (default 3). */
  concurrency?: number;
  /**
   * Tag to write at the destination (default: the sink reference's tag); `null` stores the
   * image by digest only, for a caller that tags it later (e.g. once it is signed).
   */
  tag?: string | null;
  /** Called as bytes move: totals over all blobs that needed transferring or checking. */
  onProgress?: (done: number, total: number) => void;
  /**
   * Blobs the caller is already storing in this sink, by digest: waited for and counted as
   * they end, not stored again (a builder pushes its layers while it is still making others).
   */
  pushed?: ReadonlyMap<string, Promise<PutBlobResult>>;
}

/** What {@link copyImage} did. */
export interface CopyResult {
  /** The top-level manifest or index as written. */
  descriptor: Descriptor;
  /** Its bytes, to tag it later with `sink.putManifest(bytes, descriptor.mediaType, tag)`. */
  bytes: Buffer;
  /** Blobs transferred, already present, mounted. */
  uploaded: number;
  existing: number;
  mounted: number;
}

/**
 * Copies the image a source names (a manifest, or an index with all its images) to a sink,
 * transferring only blobs the sink lacks, and keeping manifest bytes (so digests stay).
 * Exception: Docker v2 manifests written to an OCI layout are rewritten with OCI media types
 * (new manifest digest, same blobs), because skopeo and umoci ignore Docker-typed entries there.
 *
 * @example
 * await copyImage(await openImageSource("oci:out/app:latest"), await openImageSink("127.0.0.1:5000/app:1"));
 */
export async function copyImage(source: ImageSource, sink: ImageSink, options: CopyOptions = {}): Promise<CopyResult> {
  const top = await source.manifest();
  const images = await imagesOf(source, top);
  const counts = await copyBlobs(source, sink, images, options);
  const tag = options.tag === null ? undefined : (options.tag ?? sink.defaultTag);
  const put = async (bytes: Buffer, mediaType: string): Promise<CopyResult> => {
    const descriptor = await sink.putManifest(bytes, mediaType, tag);
    return { descriptor, bytes, ...counts };
  };
  if (top.kind === "manifest") {
    const oci = sink.ociOnly ? dockerManifestToOci(top) : undefined;
    return oci ? put(oci.bytes, oci.descriptor.mediaType) : put(top.bytes, top.mediaType);
  }
  // An index: write each image (converted if needed), then the index pointing at what was written.
  let changed = false;
  const children: Descriptor[] = [];
  for (const [i, m] of images.entries()) {
    const entry = top.index.manifests[i]!;
    const oci = sink.ociOnly ? dockerManifestToOci(m) : undefined;
    if (oci) {
      changed = true;
      await sink.putManifest(oci.bytes, oci.descriptor.mediaType);
      children.push({ ...entry, ...oci.descriptor });
    } else {
      await sink.putManifest(m.bytes, m.mediaType);
      children.push(entry);
    }
  }
  if (changed || (sink.ociOnly && top.mediaType !== MEDIA_TYPES.index)) {
    const idx = jsonBlob({ ...top.index, mediaType: MEDIA_TYPES.index, manifests: children }, MEDIA_TYPES.index);
    return put(idx.bytes, MEDIA_TYPES.index);
  }
  return put(top.bytes, top.mediaType);
}

type ImageManifest = Extract<ParsedManifest, { kind: "manifest" }>;

/** The images `top` names: itself, or each of an index's (a nested index is refused). */
async function imagesOf(source: ImageSource, top: ParsedManifest): Promise<ImageManifest[]> {
  if (top.kind !== "index") return [top];
  const images: ImageManifest[] = [];
  for (const d of top.index.manifests) {
    const m = await source.manifestByDigest(d.digest, d.mediaType);
    if (m.kind !== "manifest")
      throw new CnbError(`image ${describe(source.ref)}: nested index ${d.digest} is not supported`);
    images.push(m);
  }
  return images;
}

/**
 * Every config and layer blob of `images` into the sink, each once, a few at a time: linked
 * from a layout file or mounted from the source's repository where the sink can, and waited
 * for where the caller is already pushing it. Counts how each one got there.
 */
async function copyBlobs(
  source: ImageSource,
  sink: ImageSink,
  images: ImageManifest[],
  options: CopyOptions,
): Promise<{ uploaded: number; existing: number; mounted: number }> {
  const blobs = new Map<string, Descriptor>();
  for (const m of images) for (const d of [m.manifest.config, ...m.manifest.layers]) blobs.set(d.digest, d);
  const list = [...blobs.values()];
  const total = list.reduce((n, d) => n + d.size, 0);
  const done = new Map<string, number>();
  const report = () =>
    options.onProgress?.(
      [...done.values()].reduce((a, b) => a + b, 0),
      total,
    );
  const counts = { uploaded: 0, existing: 0, mounted: 0 };
  const mountFrom = source.ref.kind === "registry" ? source.ref : undefined;
  await mapLimit(list, options.concurrency ?? 3, async (d) => {
    const early = options.pushed?.get(d.digest);
    const linkFrom = early ? undefined : await source.blobFile?.(d.digest);
    const how = early
      ? await early
      : await sink.putBlob(d, () => source.blob(d.digest, d.size), {
          mountFrom,
          ...(linkFrom ? { linkFrom } : {}),
          onProgress: (n) => {
            done.set(d.digest, n);
            report();
          },
        });
    done.set(d.digest, d.size);
    report();
    if (how === "uploaded") counts.uploaded++;
    else if (how === "mounted") counts.mounted++;
    else counts.existing++;
  });
  return counts;
}

/** Uploads a blob file from a layout to a registry (for callers that push layers they just wrote). */
export { fileBlob };

/**
 * The builder image as it is being made: the blobs `builder create` wrote (or hardlinked
 * from a local layout) sit in a scratch OCI layout; blobs it only reuses stay where they are
 * (a registry base image's layers, a `.cnb` file's layer blobs) until the output is written,
 * when they are mounted, streamed, or skipped because the output has them already. A
 * registry base image was downloaded in full (~200 MB) on every create only to be mounted
 * back into the same registry.
 */
import { createReadStream } from "node:fs";
import type { Readable } from "node:stream";
import {
  type Descriptor,
  type Digest,
  type ImageConfig,
  type ImageSink,
  type ImageSource,
  imageManifest,
  type LayerDescriptor,
  MEDIA_TYPES,
  type OciLayout,
  type ParsedManifest,
  parseConfig,
  parseManifest,
  type Platform,
  type PutBlobResult,
} from "../oci/index.js";

/** A scratch layout plus the blobs that stay in their source images, by digest. */
export class ScratchImage {
  private readonly elsewhere = new Map<string, ImageSource>();
  /** Blobs already being stored in the output registry, by digest (see {@link pushTo}). */
  readonly pushed = new Map<string, Promise<PutBlobResult>>();
  private sink: ImageSink | undefined;
  private running = 0;
  private readonly waiting: (() => void)[] = [];

  constructor(readonly layout: OciLayout) {}

  /**
   * Stores every blob in `sink` (a registry) as soon as it is part of the image, three at a
   * time, so buildpack layers and base-layer mounts go while the lifecycle layer is still
   * compressed; the final copy then only waits for them (see `CopyOptions.pushed`).
   */
  pushTo(sink: ImageSink): void {
    this.sink = sink;
  }

  /** Marks a blob this process wrote into the layout as part of the image (it may be pushed now). */
  added(desc: Descriptor): void {
    this.pushEarly(desc);
  }

  /** Resolves when no early push is running any more (before the scratch dir is removed). */
  async settled(): Promise<void> {
    await Promise.allSettled(this.pushed.values());
  }

  private pushEarly(desc: Descriptor): void {
    const sink = this.sink;
    if (!sink || this.pushed.has(desc.digest)) return;
    const run = async (): Promise<PutBlobResult> => {
      if (this.running >= 3) await new Promise<void>((go) => this.waiting.push(go));
      this.running++;
      try {
        return await sink.putBlob(desc, () => this.open(desc.digest, desc.size));
      } finally {
        this.running--;
        this.waiting.shift()?.();
      }
    };
    const p = run();
    p.catch(() => {}); // thrown where the copy waits for it
    this.pushed.set(desc.digest, p);
  }

  private open(digest: Digest, size?: number): Promise<Readable> {
    const other = this.elsewhere.get(digest);
    return other
      ? other.blob(digest, size)
      : Promise.resolve(createReadStream(this.layout.blobPath(digest), { highWaterMark: 1 << 20 }));
  }

  /**
   * Makes `desc` part of the image: hardlinked when the source is a local layout, otherwise
   * left in `source` and read from there only if the output lacks it.
   */
  async bring(source: ImageSource, desc: Descriptor): Promise<void> {
    if (this.elsewhere.has(desc.digest) || (await this.layout.hasBlob(desc.digest))) return this.pushEarly(desc);
    const file = await source.blobFile?.(desc.digest);
    if (!(file && (await this.layout.linkBlob(file, desc)))) this.elsewhere.set(desc.digest, source);
    this.pushEarly(desc);
  }

  /**
   * Writes the config and the manifest (the layers are in the layout or left in their
   * sources); returns the manifest's descriptor with its platform.
   */
  async writeImage(config: ImageConfig, layers: LayerDescriptor[]): Promise<Descriptor> {
    const configDesc = await this.layout.putJson(config, MEDIA_TYPES.config);
    const manifest = await this.layout.putJson(imageManifest(configDesc, layers), MEDIA_TYPES.manifest);
    const platform: Platform = { architecture: config.architecture, os: config.os };
    if (config.variant) platform.variant = config.variant;
    return { ...manifest, platform };
  }

  /**
   * The image as a source to copy out, whose top is `top`. Blobs in the layout were written
   * or linked by this process just now, so they are read without hashing them again (the
   * sink checks digests as it stores them); the others come from their sources.
   */
  source(top: Descriptor): ImageSource {
    const { layout, elsewhere } = this;
    const manifestByDigest = async (digest: Digest, mediaType?: string): Promise<ParsedManifest> =>
      parseManifest(await layout.readBlob(digest), mediaType, `${layout.dir}: ${digest}`);
    const src: ImageSource = {
      ref: { kind: "layout", path: layout.dir },
      manifest: () => manifestByDigest(top.digest, top.mediaType),
      manifestByDigest,
      async image() {
        const m = await src.manifest();
        if (m.kind !== "manifest") throw new Error(`${layout.dir}: ${top.digest} is an index`);
        const config = parseConfig(await layout.readBlob(m.manifest.config.digest), `${layout.dir}: config`);
        return { manifest: m, config };
      },
      config: async () => (await src.image()).config,
      blob: (digest: Digest, size?: number) => this.open(digest, size),
      async blobFile(digest: Digest) {
        const other = elsewhere.get(digest);
        return other ? other.blobFile?.(digest) : layout.blobPath(digest);
      },
    };
    return src;
  }
}

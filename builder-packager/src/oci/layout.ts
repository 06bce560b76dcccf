/**
 * OCI image layouts on disk (`oci-layout`, `index.json`, `blobs/sha256/`).
 *
 * Writes are atomic: blobs are written to dot-prefixed temp files and renamed to their
 * digest (a partial blob is never visible under its name), and index.json is replaced by
 * rename last, so a crash leaves the previous layout intact. Concurrent writers in different
 * processes may lose each other's tags (last rename wins); blobs are never corrupted.
 */
import { createReadStream, createWriteStream } from "node:fs";
import { access, link, mkdir, readFile, rename, rm, stat } from "node:fs/promises";
import { join, resolve } from "node:path";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { CnbError } from "@cnbkit/framework";
import { type Digest, digestAlgorithm, digestHex, HashingStream, isDigest } from "./digest.js";
import {
  type Descriptor,
  type ImageConfig,
  type ImageIndex,
  imageIndex,
  imageManifest,
  isIndexType,
  jsonBlob,
  MEDIA_TYPES,
  type ParsedManifest,
  type Platform,
  parseConfig,
  parseManifest,
  REF_NAME_ANNOTATION,
} from "./image.js";
import { tempPath } from "./layer.js";
import { compareBytes } from "./tar.js";
import { writeAtomic } from "@cnbkit/framework/fs";
export { writeAtomic };

/** What {@link OciLayout.putBlob} accepts: bytes, a file path, or a stream. */
export type BlobSource = Uint8Array | string | { path: string } | Readable | AsyncIterable<Uint8Array>;

/** Input of {@link OciLayout.writeImage}. */
export interface WriteImageInput {
  /** The image config; it is serialised canonically. */
  config: ImageConfig;
  /** Layer descriptors, bottom first; their blobs must already be in the layout. */
  layers: Descriptor[];
  /** Tag to name the manifest with in index.json (org.opencontainers.image.ref.name). */
  tag?: string;
  /** Manifest annotations. */
  annotations?: Record<string, string>;
}

/**
 * An OCI image layout directory.
 *
 * @example
 * const layout = await OciLayout.create("out/app");
 * const layer = await layerFromDir("bp", { prefix: "cnb/buildpacks/x/1.0" }, layout.blobDir);
 * await layout.writeImage({ config: imageConfig({ architecture: "amd64", diffIds: [layer.diffId] }), layers: [layer], tag: "latest" });
 */
export class OciLayout {
  /** Absolute path of the layout directory. */
  readonly dir: string;

  private constructor(dir: string) {
    this.dir = resolve(dir);
  }

  /** Directory holding sha256 blobs; {@link writeLayer} can write straight into it. */
  get blobDir(): string {
    return join(this.dir, "blobs", "sha256");
  }

  /** Opens an existing layout; a one-line error if `dir` is not one. */
  static async open(dir: string): Promise<OciLayout> {
    const layout = new OciLayout(dir);
    let text: string;
    try {
      text = await readFile(join(layout.dir, "oci-layout"), "utf8");
    } catch {
      throw new CnbError(`${dir}: not an OCI image layout (no oci-layout file)`);
    }
    let version: unknown;
    try {
      version = JSON.parse(text).imageLayoutVersion;
    } catch {
      version = undefined;
    }
    if (typeof version !== "string" || !version.startsWith("1.")) {
      throw new CnbError(`${dir}/oci-layout: imageLayoutVersion ${String(version)} is not supported (need 1.x)`);
    }
    return layout;
  }

  /** Opens `dir` as a layout, creating an empty one if it does not exist yet. */
  static async create(dir: string): Promise<OciLayout> {
    const layout = new OciLayout(dir);
    try {
      await access(join(layout.dir, "oci-layout"));
      return OciLayout.open(dir);
    } catch {
      // create below
    }
    await mkdir(layout.blobDir, { recursive: true });
    await writeAtomic(join(layout.dir, "oci-layout"), '{"imageLayoutVersion":"1.0.0"}');
    try {
      await access(join(layout.dir, "index.json"));
    } catch {
      await writeAtomic(join(layout.dir, "index.json"), JSON.stringify(imageIndex([])));
    }
    return layout;
  }

  /** Path of a blob (whether or not it exists). */
  blobPath(digest: string): string {
    if (!isDigest(digest)) throw new CnbError(`${this.dir}: "${digest}" is not a valid digest`);
    return join(this.dir, "blobs", digestAlgorithm(digest), digestHex(digest));
  }

  /** True when the blob is present. */
  async hasBlob(digest: string): Promise<boolean> {
    try {
      await access(this.blobPath(digest));
      return true;
    } catch {
      return false;
    }
  }

  /** Reads a whole blob (for manifests and configs; stream layers with {@link blobStream}). */
  async readBlob(digest: string): Promise<Buffer> {
    try {
      return await readFile(this.blobPath(digest));
    } catch {
      throw new CnbError(`${this.dir}: blob ${digest} is missing`);
    }
  }

  /** A read stream of a blob. */
  async blobStream(digest: string): Promise<Readable> {
    if (!(await this.hasBlob(digest))) throw new CnbError(`${this.dir}: blob ${digest} is missing`);
    return createReadStream(this.blobPath(digest));
  }

  /**
   * Stores a blob, hashing while writing; returns its descriptor. When `expected` gives a
   * digest, a mismatch fails and nothing is stored. Already-present blobs are not rewritten
   * when the digest is known up front.
   */
  async putBlob(source: BlobSource, expected: { mediaType?: string; digest?: string } = {}): Promise<Descriptor> {
    const mediaType = expected.mediaType ?? "application/octet-stream";
    if (expected.digest && (await this.hasBlob(expected.digest))) {
      const st = await stat(this.blobPath(expected.digest));
      if (source instanceof Readable) source.destroy();
      return { mediaType, digest: expected.digest as Digest, size: st.size };
    }
    await mkdir(this.blobDir, { recursive: true });
    const tmp = tempPath(this.blobDir);
    const hash = new HashingStream();
    try {
      const input =
        typeof source === "string"
          ? createReadStream(source)
          : source instanceof Uint8Array
            ? Readable.from([Buffer.from(source)])
            : "path" in source && typeof source.path === "string" && !(source instanceof Readable)
              ? createReadStream(source.path)
              : Readable.from(source as AsyncIterable<Uint8Array>);
      await pipeline(input, hash, createWriteStream(tmp));
      const digest = hash.digest;
      if (expected.digest && expected.digest !== digest) {
        throw new CnbError(`blob content has digest ${digest}, expected ${expected.digest}`);
      }
      await rename(tmp, this.blobPath(digest));
      return { mediaType, digest, size: hash.size };
    } catch (err) {
      await rm(tmp, { force: true });
      throw err;
    }
  }

  /**
   * Hardlinks `file`, a blob of another local layout, in as `desc` when both are on one
   * filesystem and its size matches; false (nothing done) otherwise, so the caller copies.
   * Saves copying hundreds of MB between layouts; content-addressed blobs are never written
   * in place, so sharing the inode is safe.
   */
  async linkBlob(file: string, desc: { digest: string; size: number }): Promise<boolean> {
    const st = await stat(file).catch(() => undefined);
    if (!st?.isFile() || st.size !== desc.size) return false;
    await mkdir(this.blobDir, { recursive: true });
    try {
      await link(file, this.blobPath(desc.digest));
      return true;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === "EEXIST") return true;
      return false;
    }
  }

  /** Stores a value as canonical JSON with `mediaType`. */
  async putJson(value: unknown, mediaType: string): Promise<Descriptor> {
    const { bytes, descriptor } = jsonBlob(value, mediaType);
    await this.putBlob(bytes, descriptor);
    return descriptor;
  }

  /**
   * Writes config and manifest for layers already in the layout, and tags the manifest when
   * `tag` is given. Returns the manifest descriptor (with platform from the config).
   */
  async writeImage(input: WriteImageInput): Promise<Descriptor> {
    for (const l of input.layers) {
      if (!(await this.hasBlob(l.digest))) throw new CnbError(`${this.dir}: layer blob ${l.digest} is missing`);
    }
    const config = await this.putJson(input.config, MEDIA_TYPES.config);
    const manifest = await this.putJson(imageManifest(config, input.layers, input.annotations), MEDIA_TYPES.manifest);
    const platform: Platform = { architecture: input.config.architecture, os: input.config.os };
    if (input.config.variant) platform.variant = input.config.variant;
    const desc: Descriptor = { ...manifest, platform };
    if (input.tag) await this.tag(desc, input.tag);
    return desc;
  }

  /** Writes an index of manifest descriptors (each with `platform`) and tags it when `tag` is given. */
  async writeIndex(manifests: Descriptor[], tag?: string, annotations?: Record<string, string>): Promise<Descriptor> {
    const desc = await this.putJson(imageIndex(manifests, annotations), MEDIA_TYPES.index);
    if (tag) await this.tag(desc, tag);
    return desc;
  }

  /** Stores raw manifest bytes as-is (keeping their digest) and tags them when `tag` is given. */
  async putManifest(bytes: Buffer, mediaType: string, tag?: string): Promise<Descriptor> {
    const desc = await this.putBlob(bytes, { mediaType });
    if (tag) await this.tag(desc, tag);
    return desc;
  }

  /** The layout's index.json. */
  async index(): Promise<ImageIndex> {
    const path = join(this.dir, "index.json");
    let text: string;
    try {
      text = await readFile(path, "utf8");
    } catch {
      return imageIndex([]);
    }
    try {
      const idx = JSON.parse(text) as ImageIndex;
      if (!Array.isArray(idx.manifests)) throw new Error("no manifests");
      return idx;
    } catch {
      throw new CnbError(`${path}: not a valid image index`);
    }
  }

  /** Tags in index.json, in file order. */
  async tags(): Promise<string[]> {
    return (await this.index()).manifests.flatMap((m) => {
      const t = m.annotations?.[REF_NAME_ANNOTATION];
      return t ? [t] : [];
    });
  }

  /**
   * Points `tag` at `desc` in index.json (replacing an entry with the same tag). index.json
   * is rewritten atomically.
   */
  async tag(desc: Descriptor, tag: string): Promise<void> {
    checkLayoutTag(tag, this.dir);
    const idx = await this.index();
    const rest = idx.manifests.filter((m) => m.annotations?.[REF_NAME_ANNOTATION] !== tag);
    const entry: Descriptor = {
      mediaType: desc.mediaType,
      digest: desc.digest,
      size: desc.size,
      ...(desc.platform ? { platform: desc.platform } : {}),
      annotations: { ...(desc.annotations ?? {}), [REF_NAME_ANNOTATION]: tag },
    };
    rest.push(entry);
    rest.sort((a, b) =>
      compareBytes(a.annotations?.[REF_NAME_ANNOTATION] ?? "", b.annotations?.[REF_NAME_ANNOTATION] ?? ""),
    );
    await writeAtomic(join(this.dir, "index.json"), `${JSON.stringify({ ...idx, manifests: rest }, null, 2)}\n`);
  }

  /** Removes a tag from index.json (blobs stay). */
  async untag(tag: string): Promise<void> {
    const idx = await this.index();
    const rest = idx.manifests.filter((m) => m.annotations?.[REF_NAME_ANNOTATION] !== tag);
    await writeAtomic(join(this.dir, "index.json"), `${JSON.stringify({ ...idx, manifests: rest }, null, 2)}\n`);
  }

  /**
   * The descriptor a tag names (or, with no tag, the only entry of index.json). `tag` may
   * also be a digest. One-line error when it is not there.
   */
  async descriptor(tag?: string): Promise<Descriptor> {
    const idx = await this.index();
    if (tag && isDigest(tag)) {
      const hit = idx.manifests.find((m) => m.digest === tag);
      if (hit) return hit;
      if (await this.hasBlob(tag)) {
        const parsed = parseManifest(await this.readBlob(tag), undefined, `${this.dir}: ${tag}`);
        return { mediaType: parsed.mediaType, digest: parsed.digest, size: parsed.bytes.length };
      }
      throw new CnbError(`${this.dir}: no manifest ${tag}`);
    }
    if (!tag) {
      if (idx.manifests.length === 1) return idx.manifests[0]!;
      const tags = await this.tags();
      if (idx.manifests.length === 0) throw new CnbError(`${this.dir}: the layout holds no image`);
      throw new CnbError(`${this.dir}: the layout holds ${idx.manifests.length} images; name one with :TAG`, {
        hint: `tags: ${tags.join(", ") || "(none)"}`,
      });
    }
    const hit = idx.manifests.find((m) => m.annotations?.[REF_NAME_ANNOTATION] === tag);
    if (!hit) {
      const tags = await this.tags();
      throw new CnbError(`${this.dir}: no image tagged "${tag}"`, { hint: `tags: ${tags.join(", ") || "(none)"}` });
    }
    return hit;
  }

  /** Resolves a tag (or digest, or the only entry) to its parsed manifest or index. */
  async resolve(tag?: string): Promise<ParsedManifest> {
    const desc = await this.descriptor(tag);
    const bytes = await this.readBlob(desc.digest);
    return parseManifest(bytes, desc.mediaType, `${this.dir}: ${desc.digest}`);
  }

  /** Reads and parses an image config blob. */
  async readConfig(digest: string): Promise<ImageConfig> {
    return parseConfig(await this.readBlob(digest), `${this.dir}: config ${digest}`);
  }
}

/** True when a resolved entry is an index rather than a single image. */
export function isIndex(p: ParsedManifest): p is Extract<ParsedManifest, { kind: "index" }> {
  return p.kind === "index" || isIndexType(p.mediaType);
}

const TAG_RE = /^[A-Za-z0-9_][A-Za-z0-9._-]{0,127}$/;

/** Throws a one-line error unless `tag` is a valid tag. */
export function checkLayoutTag(tag: string, where: string): void {
  if (!TAG_RE.test(tag)) {
    throw new CnbError(`${where}: tag "${tag}" may only contain letters, digits, '_', '.' and '-' (max 128)`);
  }
}

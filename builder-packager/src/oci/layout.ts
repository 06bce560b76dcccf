/**
 * OCI image layouts on disk (`oci-layout`, `index.json`, `blobs/sha256/`).
 *
 * Writes are atomic: blobs are written to dot-prefixed temp files and renamed to their
 * digest (a partial blob is never visible under its name), and index.json is replaced by
 * rename last, so a crash leaves the previous layout intact.
 *
 * Concurrent writers take the layout's lock for every change of index.json, register while
 * they write, and blobs nothing references any more are collected after a tag changes
 * (layout-writers.ts); tags and index.json entries are in layout-tags.ts. Blobs are checked
 * against their digest before they are reused (`blob-check.ts`); a corrupt one is removed
 * with a warning that names it.
 */
import { createHash } from "node:crypto";
import { createReadStream, createWriteStream } from "node:fs";
import { access, link, mkdir, readFile, rename, rm, stat } from "node:fs/promises";
import { join, resolve } from "node:path";
import { Readable, Transform } from "node:stream";
import { pipeline } from "node:stream/promises";
import { CnbError } from "@cnbkit/framework";
import { checkBlobFile, isRemembered, rememberBlobFile } from "./blob-check.js";
import { diskFullError } from "./disk-full.js";
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
import { ATTACHED_TAG, checkLayoutTag, entryTag, withoutTag, withTag } from "./layout-tags.js";
import { collectUnreferenced, registerWriter, withLayoutLock } from "./layout-writers.js";
import { writeAtomic } from "@cnbkit/framework/fs";

export { ATTACHED_TAG, checkLayoutTag } from "./layout-tags.js";

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

/** Options of {@link OciLayout.open} and {@link OciLayout.create}. */
export interface LayoutOptions {
  /** Where warnings go (a corrupt blob removed); default: stderr as `warning: ...`. */
  onWarning?: (line: string) => void;
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

  private readonly warn: (line: string) => void;

  private constructor(dir: string, options: LayoutOptions = {}) {
    this.dir = resolve(dir);
    this.warn = options.onWarning ?? ((line) => process.stderr.write(`warning: ${line}\n`));
  }

  /** Directory holding sha256 blobs; {@link writeLayer} can write straight into it. */
  get blobDir(): string {
    return join(this.dir, "blobs", "sha256");
  }

  /** Opens an existing layout; a one-line error if `dir` is not one. */
  static async open(dir: string, options: LayoutOptions = {}): Promise<OciLayout> {
    const layout = new OciLayout(dir, options);
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

  /**
   * Opens `dir` as a layout to write to, creating an empty one if it does not exist yet:
   * registers this process as a writer and removes partial blobs of dead writers.
   */
  static async create(dir: string, options: LayoutOptions = {}): Promise<OciLayout> {
    let layout = new OciLayout(dir, options);
    let exists = true;
    try {
      await access(join(layout.dir, "oci-layout"));
    } catch {
      exists = false;
    }
    if (exists) {
      layout = await OciLayout.open(dir, options);
    } else {
      await mkdir(layout.blobDir, { recursive: true });
      await writeLayoutFile(join(layout.dir, "oci-layout"), '{"imageLayoutVersion":"1.0.0"}');
      try {
        await access(join(layout.dir, "index.json"));
      } catch {
        await writeLayoutFile(join(layout.dir, "index.json"), JSON.stringify(imageIndex([])));
      }
    }
    await registerWriter(layout);
    return layout;
  }

  /** Runs `fn` holding the layout's lock (every index.json change and the collection of blobs). */
  private locked<T>(fn: () => Promise<T>): Promise<T> {
    return withLayoutLock(this.dir, fn);
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

  /**
   * Reads a whole blob (for manifests and configs; stream layers with {@link blobStream}),
   * checking it against its digest: a corrupt one is removed, with a warning, and is an error.
   */
  async readBlob(digest: string): Promise<Buffer> {
    let bytes: Buffer;
    try {
      bytes = await readFile(this.blobPath(digest));
    } catch {
      throw new CnbError(`${this.dir}: blob ${digest} is missing`);
    }
    const actual = `sha256:${createHash("sha256").update(bytes).digest("hex")}`;
    if (digestAlgorithm(digest) === "sha256" && actual !== digest) {
      await this.dropCorrupt(digest as Digest, actual as Digest);
      throw corruptError(this.dir, digest, actual);
    }
    return bytes;
  }

  /**
   * Checks a blob before it is reused: "ok", "missing", or "dropped" when its bytes did not
   * match its digest and it was removed (with a warning naming it), so the caller writes it
   * again or does without it. Cheap for a blob checked before (see `blob-check.ts`).
   */
  async checkBlob(digest: string): Promise<"ok" | "missing" | "dropped"> {
    const r = await checkBlobFile(this.dir, this.blobPath(digest), digest as Digest);
    if (typeof r === "string") return r;
    await this.dropCorrupt(digest as Digest, r.corrupt);
    return "dropped";
  }

  /** Removes a blob whose bytes hash to `actual`, not `digest`, and says so. */
  private async dropCorrupt(digest: Digest, actual: Digest): Promise<void> {
    await this.locked(() => rm(this.blobPath(digest), { force: true }));
    this.warn(
      `${this.dir}: blob ${digest} was corrupt (its bytes hash to ${actual}); removed it, it is written again or not reused`,
    );
  }

  /**
   * Checks every blob of the image `desc` names (manifest, config, layers; the images of an
   * index) that is present, removing corrupt ones (see {@link checkBlob}). Throws a one-line
   * error naming the first corrupt blob, so a caller reusing the image (a build's previous
   * image) can do without it.
   */
  async checkImage(desc: { digest: string; mediaType?: string }): Promise<void> {
    const parsed = parseManifest(await this.readBlob(desc.digest), desc.mediaType, `${this.dir}: ${desc.digest}`);
    const blobs =
      parsed.kind === "index"
        ? parsed.index.manifests.map((m) => ({ ...m, child: true }))
        : [parsed.manifest.config, ...parsed.manifest.layers].map((m) => ({ ...m, child: false }));
    for (const b of blobs) {
      if (b.child) {
        if (await this.hasBlob(b.digest)) await this.checkImage(b);
        continue;
      }
      if ((await this.checkBlob(b.digest)) === "dropped") {
        throw new CnbError(`${this.dir}: blob ${b.digest} of image ${desc.digest} was corrupt and was removed`);
      }
    }
  }

  /**
   * A read stream of a blob. It fails at its end, naming the blob, when the bytes do not
   * match the digest (and the blob is removed), so a corrupt layer never passes silently.
   */
  async blobStream(digest: string): Promise<Readable> {
    if (!(await this.hasBlob(digest))) throw new CnbError(`${this.dir}: blob ${digest} is missing`);
    const path = this.blobPath(digest);
    if (await isRemembered(this.dir, path, digest as Digest)) return createReadStream(path); // checked before
    const layout = this;
    const hash = createHash("sha256");
    const check = new Transform({
      transform(chunk: Buffer, _enc, cb) {
        hash.update(chunk);
        cb(null, chunk);
      },
      flush(cb) {
        const actual = `sha256:${hash.digest("hex")}` as Digest;
        if (actual === digest) {
          rememberBlobFile(layout.dir, path, actual).then(
            () => cb(),
            () => cb(),
          );
          return;
        }
        layout.dropCorrupt(digest as Digest, actual).then(
          () => cb(corruptError(layout.dir, digest, actual)),
          () => cb(corruptError(layout.dir, digest, actual)),
        );
      },
    });
    const file = createReadStream(path);
    file.on("error", (err) => check.destroy(err));
    return file.pipe(check);
  }

  /**
   * Stores a blob, hashing while writing; returns its descriptor. When `expected` gives a
   * digest, a mismatch fails and nothing is stored. Already-present blobs are not rewritten
   * when the digest is known up front, unless they are corrupt. A full disk is one line
   * naming the layout, the blob and how much it needed (`expected.size`, when known).
   */
  async putBlob(
    source: BlobSource,
    expected: { mediaType?: string; digest?: string; size?: number } = {},
  ): Promise<Descriptor> {
    const mediaType = expected.mediaType ?? "application/octet-stream";
    if (expected.digest && (await this.checkBlob(expected.digest)) === "ok") {
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
      const size = expected.size ?? (source instanceof Uint8Array ? source.length : undefined);
      throw await diskFullError(err, `${this.dir}: writing blob ${expected.digest ?? ""}`.trimEnd(), this.dir, size);
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
    await this.locked(async () => {
      await this.writeIndexJson(withTag(await this.index(), desc, tag));
      await this.collectUnreferenced();
    });
  }

  /** Removes a tag from index.json; blobs only it referenced are collected. */
  async untag(tag: string): Promise<void> {
    await this.locked(async () => {
      await this.writeIndexJson(withoutTag(await this.index(), tag));
      await this.collectUnreferenced();
    });
  }

  /** Replaces index.json (atomically; the caller holds the lock). */
  private async writeIndexJson(idx: ImageIndex): Promise<void> {
    await writeLayoutFile(join(this.dir, "index.json"), `${JSON.stringify(idx, null, 2)}\n`);
  }

  /**
   * Removes blobs that nothing in index.json reaches, when this process is the only live
   * writer (see layout-writers.ts). The caller holds the lock. Returns how many went.
   */
  collectUnreferenced(): Promise<number> {
    return collectUnreferenced(this);
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
      // Signatures and attestations beside an image (cosign's tags) are not images to pick.
      const images = idx.manifests.filter((m) => !ATTACHED_TAG.test(entryTag(m)));
      if (images.length === 1) return images[0]!;
      const tags = await this.tags();
      if (images.length === 0) throw new CnbError(`${this.dir}: the layout holds no image`);
      throw new CnbError(`${this.dir}: the layout holds ${images.length} images; name one with :TAG`, {
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

function corruptError(dir: string, digest: string, actual: string): CnbError {
  return new CnbError(`${dir}: blob ${digest} is corrupt (its bytes hash to ${actual}); it was removed`, {
    hint: "write the image again (rebuild, or copy it from where it came from)",
  });
}

/** The framework's {@link writeAtomic} for the layout's own files, naming a full disk (path and room needed). */
async function writeLayoutFile(path: string, content: string | Uint8Array): Promise<void> {
  try {
    await writeAtomic(path, content);
  } catch (err) {
    throw await diskFullError(err, `writing ${path}`, resolve(path, ".."), content.length);
  }
}

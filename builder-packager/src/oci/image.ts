/**
 * OCI image data: config, manifest and index types, their builders, canonical JSON, and a
 * reader that also accepts Docker v2 media types.
 *
 * Everything we write is serialised with {@link canonicalJson} (keys sorted, no spaces), so
 * the same image gives the same digests everywhere. Things we read keep their raw bytes:
 * re-serialising someone else's manifest would change its digest.
 */
import { type Digest, sha256 } from "./digest.js";

/** Media types we write (OCI) and the Docker v2 ones we also read. */
export const MEDIA_TYPES = {
  manifest: "application/vnd.oci.image.manifest.v1+json",
  index: "application/vnd.oci.image.index.v1+json",
  config: "application/vnd.oci.image.config.v1+json",
  layerGzip: "application/vnd.oci.image.layer.v1.tar+gzip",
  layerTar: "application/vnd.oci.image.layer.v1.tar",
  layerZstd: "application/vnd.oci.image.layer.v1.tar+zstd",
  dockerManifest: "application/vnd.docker.distribution.manifest.v2+json",
  dockerManifestList: "application/vnd.docker.distribution.manifest.list.v2+json",
  dockerConfig: "application/vnd.docker.container.image.v1+json",
  dockerLayerGzip: "application/vnd.docker.image.rootfs.diff.tar.gzip",
} as const;

/** The Accept header for manifest requests: every manifest and index type we can read. */
export const MANIFEST_ACCEPT = [
  MEDIA_TYPES.manifest,
  MEDIA_TYPES.index,
  MEDIA_TYPES.dockerManifest,
  MEDIA_TYPES.dockerManifestList,
].join(", ");

/** The fixed `created` time of configs we write. */
export const NORMALIZED_CREATED = "1980-01-01T00:00:01Z";

/** The annotation that names a manifest in an OCI layout's index.json. */
export const REF_NAME_ANNOTATION = "org.opencontainers.image.ref.name";

/** os/architecture/variant of an image, as in an index entry. */
export interface Platform {
  architecture: string;
  os: string;
  variant?: string;
  "os.version"?: string;
  "os.features"?: string[];
}

/** A content descriptor: what a manifest or index points at. */
export interface Descriptor {
  mediaType: string;
  digest: Digest;
  size: number;
  /** An artifact's type (OCI 1.1), as a referrers index lists it. */
  artifactType?: string;
  annotations?: Record<string, string>;
  platform?: Platform;
  urls?: string[];
}

/** The runtime part of an image config (Docker's field names, as the spec keeps them). */
export interface ContainerConfig {
  User?: string;
  Env?: string[];
  Entrypoint?: string[];
  Cmd?: string[];
  WorkingDir?: string;
  Labels?: Record<string, string>;
  ExposedPorts?: Record<string, Record<string, never>>;
  Volumes?: Record<string, Record<string, never>>;
  StopSignal?: string;
}

/** One history entry of an image config. */
export interface HistoryEntry {
  created?: string;
  created_by?: string;
  author?: string;
  comment?: string;
  empty_layer?: boolean;
}

/** An image config (application/vnd.oci.image.config.v1+json). */
export interface ImageConfig {
  architecture: string;
  os: string;
  variant?: string;
  "os.version"?: string;
  created?: string;
  author?: string;
  config?: ContainerConfig;
  rootfs: { type: "layers"; diff_ids: Digest[] };
  history?: HistoryEntry[];
}

/** An image manifest (OCI or Docker v2 schema 2). */
export interface ImageManifest {
  schemaVersion: 2;
  mediaType?: string;
  artifactType?: string;
  config: Descriptor;
  layers: Descriptor[];
  subject?: Descriptor;
  annotations?: Record<string, string>;
}

/** An image index (OCI) or Docker manifest list. */
export interface ImageIndex {
  schemaVersion: 2;
  mediaType?: string;
  manifests: Descriptor[];
  annotations?: Record<string, string>;
}

/**
 * JSON with object keys sorted (by UTF-16 code unit, like Go's encoding/json for ASCII keys),
 * no whitespace, undefined members dropped: the same value always gives the same bytes.
 */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(sortKeys(value));
}

function sortKeys(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(sortKeys);
  if (v && typeof v === "object") {
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(v).sort()) {
      const x = (v as Record<string, unknown>)[k];
      if (x !== undefined) out[k] = sortKeys(x);
    }
    return out;
  }
  return v;
}

/** A serialised JSON blob and its descriptor, ready to store. */
export interface JsonBlob {
  bytes: Buffer;
  descriptor: Descriptor;
}

/** Serialises `value` canonically and describes it with `mediaType`. */
export function jsonBlob(value: unknown, mediaType: string): JsonBlob {
  const bytes = Buffer.from(canonicalJson(value));
  return { bytes, descriptor: { mediaType, digest: sha256(bytes), size: bytes.length } };
}

/** Input of {@link imageConfig}. */
export interface ImageConfigInput {
  architecture: string;
  os?: string;
  variant?: string;
  config?: ContainerConfig;
  /** diffIds of the layers, bottom first. */
  diffIds: Digest[];
  history?: HistoryEntry[];
}

/**
 * Builds an image config with `created` fixed to 1980-01-01T00:00:01Z, so the config digest
 * depends only on content.
 *
 * @example
 * imageConfig({ architecture: "amd64", diffIds: [layer.diffId], config: { User: "1000:1000" } })
 */
export function imageConfig(input: ImageConfigInput): ImageConfig {
  return {
    architecture: input.architecture,
    os: input.os ?? "linux",
    ...(input.variant ? { variant: input.variant } : {}),
    created: NORMALIZED_CREATED,
    config: input.config ?? {},
    rootfs: { type: "layers", diff_ids: [...input.diffIds] },
    history: input.history ?? input.diffIds.map(() => ({ created: NORMALIZED_CREATED })),
  };
}

/** Builds an OCI image manifest for a config blob and layer blobs (bottom first). */
export function imageManifest(
  config: Descriptor,
  layers: Descriptor[],
  annotations?: Record<string, string>,
): ImageManifest {
  return {
    schemaVersion: 2,
    mediaType: MEDIA_TYPES.manifest,
    config: { mediaType: config.mediaType, digest: config.digest, size: config.size },
    layers: layers.map((l) => ({
      mediaType: l.mediaType,
      digest: l.digest,
      size: l.size,
      ...(l.annotations ? { annotations: l.annotations } : {}),
    })),
    ...(annotations && Object.keys(annotations).length ? { annotations } : {}),
  };
}

/** Builds an OCI image index; each entry should carry a `platform`. */
export function imageIndex(manifests: Descriptor[], annotations?: Record<string, string>): ImageIndex {
  return {
    schemaVersion: 2,
    mediaType: MEDIA_TYPES.index,
    manifests: manifests.map((m) => ({ ...m })),
    ...(annotations && Object.keys(annotations).length ? { annotations } : {}),
  };
}

/** A manifest or index read from somewhere, with the raw bytes its digest is computed over. */
export type ParsedManifest =
  | { kind: "manifest"; mediaType: string; digest: Digest; bytes: Buffer; manifest: ImageManifest }
  | { kind: "index"; mediaType: string; digest: Digest; bytes: Buffer; index: ImageIndex };

/** True for an image manifest media type (OCI or Docker v2). */
export function isManifestType(mt: string | undefined): boolean {
  return mt === MEDIA_TYPES.manifest || mt === MEDIA_TYPES.dockerManifest;
}

/** True for an index media type (OCI index or Docker manifest list). */
export function isIndexType(mt: string | undefined): boolean {
  return mt === MEDIA_TYPES.index || mt === MEDIA_TYPES.dockerManifestList;
}

/**
 * Parses manifest or index bytes. The media type comes from the document, else from
 * `mediaTypeHint` (a Content-Type header or a descriptor), else from its shape.
 * Throws a one-line error for anything else (e.g. Docker schema 1).
 */
export function parseManifest(bytes: Buffer, mediaTypeHint?: string, where = "manifest"): ParsedManifest {
  let doc: Record<string, unknown>;
  try {
    doc = JSON.parse(bytes.toString("utf8"));
  } catch {
    throw new Error(`${where}: not valid JSON`);
  }
  if (!doc || typeof doc !== "object") throw new Error(`${where}: not a JSON object`);
  if (doc.schemaVersion !== 2)
    throw new Error(`${where}: schemaVersion ${String(doc.schemaVersion)} is not supported (need 2)`);
  const hint = mediaTypeHint?.split(";")[0]?.trim();
  let mt = (typeof doc.mediaType === "string" ? doc.mediaType : undefined) ?? hint;
  if (!mt || (!isIndexType(mt) && !isManifestType(mt))) {
    if (Array.isArray(doc.manifests)) mt = MEDIA_TYPES.index;
    else if (doc.config && Array.isArray(doc.layers)) mt = MEDIA_TYPES.manifest;
    else throw new Error(`${where}: media type ${mt ?? "(none)"} is neither an image manifest nor an index`);
  }
  const digest = sha256(bytes);
  if (isIndexType(mt)) {
    if (!Array.isArray(doc.manifests)) throw new Error(`${where}: index has no "manifests" array`);
    return { kind: "index", mediaType: mt, digest, bytes, index: doc as unknown as ImageIndex };
  }
  if (!doc.config || !Array.isArray(doc.layers)) throw new Error(`${where}: manifest lacks "config" or "layers"`);
  return { kind: "manifest", mediaType: mt, digest, bytes, manifest: doc as unknown as ImageManifest };
}

/** Parses an image config blob (OCI or Docker; they share the format). */
export function parseConfig(bytes: Buffer, where = "image config"): ImageConfig {
  let doc: ImageConfig;
  try {
    doc = JSON.parse(bytes.toString("utf8"));
  } catch {
    throw new Error(`${where}: not valid JSON`);
  }
  if (!doc?.rootfs || !Array.isArray(doc.rootfs.diff_ids)) throw new Error(`${where}: missing rootfs.diff_ids`);
  return doc;
}

/** Picks the index entry for a platform (os/architecture, and variant when given). */
export function selectPlatform(index: ImageIndex, want: Platform): Descriptor | undefined {
  return index.manifests.find(
    (m) =>
      isManifestType(m.mediaType) &&
      m.platform?.os === want.os &&
      m.platform?.architecture === want.architecture &&
      (!want.variant || !m.platform.variant || m.platform.variant === want.variant),
  );
}

/** The platform Node runs on, in OCI terms (linux/amd64, linux/arm64, ...). */
export function hostPlatform(): Platform {
  const arch = process.arch === "x64" ? "amd64" : process.arch === "ia32" ? "386" : process.arch;
  return { os: process.platform === "win32" ? "windows" : process.platform, architecture: arch };
}

const DOCKER_TO_OCI: Record<string, string> = {
  [MEDIA_TYPES.dockerManifest]: MEDIA_TYPES.manifest,
  [MEDIA_TYPES.dockerManifestList]: MEDIA_TYPES.index,
  [MEDIA_TYPES.dockerConfig]: MEDIA_TYPES.config,
  [MEDIA_TYPES.dockerLayerGzip]: MEDIA_TYPES.layerGzip,
  "application/vnd.docker.image.rootfs.diff.tar": MEDIA_TYPES.layerTar,
  "application/vnd.docker.image.rootfs.foreign.diff.tar.gzip":
    "application/vnd.oci.image.layer.nondistributable.v1.tar+gzip",
};

/** The OCI media type for a Docker one (others unchanged). */
export function ociMediaType(mt: string): string {
  return DOCKER_TO_OCI[mt] ?? mt;
}

/**
 * Rewrites a manifest with OCI media types throughout (blobs are unchanged; the manifest
 * digest changes). OCI layouts need this: skopeo and umoci ignore Docker-typed entries in
 * index.json, and umoci refuses Docker layer types even inside an OCI manifest, which is
 * what the lifecycle's layout exporter writes. Returns undefined when nothing is Docker-typed.
 */
export function dockerManifestToOci(p: Extract<ParsedManifest, { kind: "manifest" }>): JsonBlob | undefined {
  const m = p.manifest;
  const dockerTyped = [m.config, ...m.layers].some((d) => ociMediaType(d.mediaType) !== d.mediaType);
  if (p.mediaType === MEDIA_TYPES.manifest && !dockerTyped) return undefined;
  return canonicalOciManifest(p);
}

/**
 * The manifest with OCI media types throughout, as canonical JSON. The same content gives
 * the same bytes whoever serialised it first: the lifecycle writes Go's key order, with
 * Docker layer types for new layers and the previous image's types for reused ones, so a
 * no-op rebuild would otherwise differ from the cold build by its manifest bytes alone.
 */
export function canonicalOciManifest(p: Extract<ParsedManifest, { kind: "manifest" }>): JsonBlob {
  const m = p.manifest;
  const convert = (d: Descriptor): Descriptor => ({ ...d, mediaType: ociMediaType(d.mediaType) });
  return jsonBlob(
    { ...m, mediaType: MEDIA_TYPES.manifest, config: convert(m.config), layers: m.layers.map(convert) },
    MEDIA_TYPES.manifest,
  );
}

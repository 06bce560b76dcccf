/**
 * Where signatures and attestations live, in the places cosign looks:
 *
 * - **A registry:** an image tagged `sha256-<hex>.sig` (one layer per signature: the payload
 *   blob, the signature in the `dev.cosignproject.cosign/signature` annotation) and one
 *   tagged `sha256-<hex>.att` (one layer per DSSE envelope) in the image's repository.
 * - **An OCI layout:** the same images, tagged the same way in index.json, and the index
 *   entries marked with cosign's `kind` annotation (`dev.cosignproject.cosign/image`,
 *   `…/sigs`, `…/atts`), which `cosign verify --local-image` reads. cosign takes the first
 *   entry of each kind, so those marks move to the image signed last; the tags stay, and
 *   cnbkit finds any signed image's artifacts by them.
 *
 * Adding to an artifact image keeps what it had (a second key's signature, earlier
 * attestations) and drops exact duplicates, as cosign's own `attach` does.
 */
import { Readable } from "node:stream";
import { CnbError } from "@cnbkit/framework";
import {
  type Descriptor,
  type Digest,
  digestHex,
  type ImageManifest,
  type ImageReference,
  imageManifest,
  jsonBlob,
  MEDIA_TYPES,
  OciLayout,
  REF_NAME_ANNOTATION,
  RegistryClient,
  RegistryRefusal,
  sha256,
} from "../oci/index.js";

/** The two kinds of artifact image cosign keeps beside an image. */
export type ArtifactKind = "sig" | "att";

/** One layer of an artifact image: its blob and the annotations cosign reads. */
export interface ArtifactLayer {
  mediaType: string;
  bytes: Buffer;
  annotations: Record<string, string>;
}

/** The tag cosign gives the artifact image of `digest`: `sha256-<hex>.sig` / `.att`. */
export function artifactTag(digest: Digest, kind: ArtifactKind): string {
  return `${digest.slice(0, digest.indexOf(":"))}-${digestHex(digest)}.${kind}`;
}

/** cosign's `kind` annotation on a layout's index entries, by what the entry is. */
export const LAYOUT_KIND = {
  annotation: "kind",
  image: "dev.cosignproject.cosign/image",
  sig: "dev.cosignproject.cosign/sigs",
  att: "dev.cosignproject.cosign/atts",
} as const;

/** The config, manifest and blobs of an artifact image with `layers`. */
export function artifactImage(layers: ArtifactLayer[]): {
  manifest: Buffer;
  blobs: { descriptor: Descriptor; bytes: Buffer }[];
} {
  const blobs = layers.map((l) => ({
    bytes: l.bytes,
    descriptor: { mediaType: l.mediaType, digest: sha256(l.bytes), size: l.bytes.length, annotations: l.annotations },
  }));
  // As go-containerregistry writes an image appended to `empty.Image`: layer blobs are their
  // own diffIDs (they are not compressed).
  const config = jsonBlob(
    {
      architecture: "",
      os: "",
      config: {},
      rootfs: { type: "layers", diff_ids: blobs.map((b) => b.descriptor.digest) },
    },
    MEDIA_TYPES.config,
  );
  const manifest = jsonBlob(
    imageManifest(
      config.descriptor,
      blobs.map((b) => b.descriptor),
    ),
    MEDIA_TYPES.manifest,
  );
  return { manifest: manifest.bytes, blobs: [{ descriptor: config.descriptor, bytes: config.bytes }, ...blobs] };
}

/** Read and write access to the artifact images of one image's home (registry repo or layout). */
export interface ArtifactStore {
  /** Where, for messages. */
  readonly where: string;
  /** The layers of the artifact image of `kind` for `digest`; empty when there is none. */
  read(digest: Digest, kind: ArtifactKind): Promise<ArtifactLayer[]>;
  /** Writes the artifact image of `kind` for `digest` (replacing the tag). */
  write(digest: Digest, kind: ArtifactKind, layers: ArtifactLayer[]): Promise<void>;
}

/** Merges `added` into `existing`, leaving out layers already there (same blob and annotations). */
export function mergeLayers(existing: ArtifactLayer[], added: ArtifactLayer[]): ArtifactLayer[] {
  const key = (l: ArtifactLayer) => `${sha256(l.bytes)} ${JSON.stringify(Object.entries(l.annotations).sort())}`;
  const seen = new Set(existing.map(key));
  return [...existing, ...added.filter((l) => !seen.has(key(l)))];
}

/** The artifact store of the image `ref` names. */
export function artifactStore(ref: ImageReference, clients?: Map<string, RegistryClient>): ArtifactStore {
  return ref.kind === "layout" ? layoutStore(ref.path) : registryStore(ref.registry, ref.repository, clients);
}

function registryStore(registry: string, repo: string, clients?: Map<string, RegistryClient>): ArtifactStore {
  const reg = clients?.get(registry) ?? new RegistryClient(registry);
  clients?.set(registry, reg);
  return {
    where: `${registry}/${repo}`,
    async read(digest, kind) {
      const tag = artifactTag(digest, kind);
      if (!(await reg.hasManifest(repo, tag))) return [];
      const m = await reg.getManifest(repo, tag);
      if (m.kind !== "manifest")
        throw new CnbError(`${registry}/${repo}:${tag} is an index, not cosign's ${kind} image`);
      return Promise.all(
        m.manifest.layers.map(async (l) => ({
          mediaType: l.mediaType,
          annotations: l.annotations ?? {},
          bytes: await reg.getBlobBytes(repo, l.digest),
        })),
      );
    },
    async write(digest, kind, layers) {
      const image = artifactImage(layers);
      for (const b of image.blobs) {
        await reg.putBlob(repo, {
          digest: b.descriptor.digest,
          size: b.bytes.length,
          open: async (start, end) => Readable.from([b.bytes.subarray(start, end)]),
        });
      }
      const tag = artifactTag(digest, kind);
      await reg.putManifest(repo, tag, image.manifest, MEDIA_TYPES.manifest).catch((err: unknown) => {
        if (!(err instanceof RegistryRefusal)) throw err;
        // Its blobs just went up with the same credentials: this is the registry's tag policy.
        throw new CnbError(`registry ${registry} refused ${repo}:${tag}${err.reason ? ` (${err.reason})` : ""}`, {
          hint: `cosign keeps ${kind === "sig" ? "signatures" : "attestations"} in that tag: allow pushes of sha256-*.${kind} tags to ${repo}`,
          cause: err,
        });
      });
      // Where the registry serves OCI 1.1 referrers, the signature is also a referrer of the
      // image, as `cosign sign --experimental-oci11` writes it (cosign verify --experimental-oci11
      // finds it there).
      if (kind === "sig" && (await reg.referrers(repo, digest))) {
        const subject = await reg.getManifest(repo, digest);
        const referrer = signatureReferrer(image.manifest, {
          mediaType: subject.mediaType,
          digest,
          size: subject.bytes.length,
        });
        await reg.putManifest(repo, sha256(referrer), referrer, MEDIA_TYPES.manifest);
      }
    },
  };
}

/** cosign's artifact type for a signature referrer. */
export const SIGNATURE_ARTIFACT_TYPE = "application/vnd.dev.cosign.artifact.sig.v1+json";

/**
 * The `.sig` image's manifest as an OCI 1.1 referrer of `subject`: the same config and layer
 * blobs, the config typed as the artifact type, with `artifactType` and `subject` set.
 */
export function signatureReferrer(manifest: Buffer, subject: Descriptor): Buffer {
  const m = JSON.parse(manifest.toString("utf8")) as ImageManifest;
  return jsonBlob(
    {
      ...m,
      artifactType: SIGNATURE_ARTIFACT_TYPE,
      config: { ...m.config, mediaType: SIGNATURE_ARTIFACT_TYPE },
      subject,
    },
    MEDIA_TYPES.manifest,
  ).bytes;
}

function layoutStore(dir: string): ArtifactStore {
  const open = () => OciLayout.open(dir);
  return {
    where: `oci:${dir}`,
    async read(digest, kind) {
      const layout = await open();
      const tag = artifactTag(digest, kind);
      if (!(await layout.tags()).includes(tag)) return [];
      const m = await layout.resolve(tag);
      if (m.kind !== "manifest") throw new CnbError(`oci:${dir}:${tag} is an index, not cosign's ${kind} image`);
      return Promise.all(
        m.manifest.layers.map(async (l) => ({
          mediaType: l.mediaType,
          annotations: l.annotations ?? {},
          bytes: await layout.readBlob(l.digest),
        })),
      );
    },
    async write(digest, kind, layers) {
      const layout = await OciLayout.create(dir);
      const image = artifactImage(layers);
      for (const b of image.blobs) await layout.putBlob(b.bytes, { mediaType: b.descriptor.mediaType });
      const desc = await layout.putManifest(image.manifest, MEDIA_TYPES.manifest);
      await markKind(
        layout,
        { ...desc, annotations: { [LAYOUT_KIND.annotation]: LAYOUT_KIND[kind] } },
        artifactTag(digest, kind),
      );
    },
  };
}

/**
 * Tags `desc` (with its `kind` annotation) and takes that kind's mark off every other entry,
 * so cosign's "first entry of this kind" is this one.
 */
async function markKind(layout: OciLayout, desc: Descriptor, tag: string): Promise<void> {
  const kind = desc.annotations?.[LAYOUT_KIND.annotation];
  for (const entry of (await layout.index()).manifests) {
    const entryTag = entry.annotations?.[REF_NAME_ANNOTATION];
    if (entryTag && entryTag !== tag && entry.annotations?.[LAYOUT_KIND.annotation] === kind) {
      const { [LAYOUT_KIND.annotation]: _, [REF_NAME_ANNOTATION]: __, ...rest } = entry.annotations ?? {};
      await layout.tag({ ...entry, annotations: rest }, entryTag);
    }
  }
  await layout.tag(desc, tag);
}

/**
 * Marks the layout entry tagged with `digest` as cosign's signed image (and no other entry),
 * so `cosign verify --local-image` checks that one. Does nothing for a registry (cosign
 * resolves the reference there) or an image no tag names yet.
 */
export async function markSignedImage(ref: ImageReference, digest: Digest): Promise<void> {
  if (ref.kind !== "layout") return;
  const layout = await OciLayout.create(ref.path);
  const entries = (await layout.index()).manifests.filter((m) => m.digest === digest);
  const wanted = ref.tag ?? "latest";
  const entry =
    entries.find((m) => m.annotations?.[REF_NAME_ANNOTATION] === wanted) ??
    entries.find((m) => m.annotations?.[REF_NAME_ANNOTATION]);
  const tag = entry?.annotations?.[REF_NAME_ANNOTATION];
  if (!entry || !tag) return;
  await markKind(
    layout,
    { ...entry, annotations: { ...entry.annotations, [LAYOUT_KIND.annotation]: LAYOUT_KIND.image } },
    tag,
  );
}

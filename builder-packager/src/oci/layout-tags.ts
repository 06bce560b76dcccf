/**
 * Tags of an OCI layout: the names index.json gives its entries (`org.opencontainers.image.ref.name`),
 * what a valid one looks like, the tags cosign gives artifacts attached to an image, and
 * index.json with a tag moved or removed.
 */
import { CnbError } from "@cnbkit/framework";
import { type Descriptor, type ImageIndex, REF_NAME_ANNOTATION } from "./image.js";
import { compareBytes } from "./tar.js";

const TAG_RE = /^[A-Za-z0-9_][A-Za-z0-9._-]{0,127}$/;

/**
 * The tags cosign (and the OCI referrers tag schema's fallback) give artifacts attached to
 * another manifest: `sha256-<hex>.sig`, `.att`, `.sbom`, or the bare `sha256-<hex>`.
 */
export const ATTACHED_TAG = /^sha256-[0-9a-f]{64}(\.(sig|att|sbom))?$/;

/** Throws a one-line error unless `tag` is a valid tag. */
export function checkLayoutTag(tag: string, where: string): void {
  if (!TAG_RE.test(tag)) {
    throw new CnbError(`${where}: tag "${tag}" may only contain letters, digits, '_', '.' and '-' (max 128)`);
  }
}

/** The tag of an index.json entry, or "" for an untagged one. */
export function entryTag(entry: Descriptor): string {
  return entry.annotations?.[REF_NAME_ANNOTATION] ?? "";
}

/** `idx` with `tag` pointing at `desc` (an entry with the same tag replaced), entries sorted by tag. */
export function withTag(idx: ImageIndex, desc: Descriptor, tag: string): ImageIndex {
  const rest = withoutTag(idx, tag).manifests;
  rest.push({
    mediaType: desc.mediaType,
    digest: desc.digest,
    size: desc.size,
    ...(desc.platform ? { platform: desc.platform } : {}),
    annotations: { ...(desc.annotations ?? {}), [REF_NAME_ANNOTATION]: tag },
  });
  rest.sort((a, b) => compareBytes(entryTag(a), entryTag(b)));
  return { ...idx, manifests: rest };
}

/** `idx` without the entry tagged `tag`. */
export function withoutTag(idx: ImageIndex, tag: string): ImageIndex {
  return { ...idx, manifests: idx.manifests.filter((m) => m.annotations?.[REF_NAME_ANNOTATION] !== tag) };
}

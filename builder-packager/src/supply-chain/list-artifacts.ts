/**
 * What signatures and attestations an image has, without checking them (`cnbkit inspect`):
 * counts and predicate types, read from cosign's `.sig` and `.att` images.
 */
import type { Digest, ImageReference, RegistryClient } from "../oci/index.js";
import { PREDICATE_TYPE_ANNOTATION } from "./sign-image.js";
import { artifactStore } from "./storage.js";

/** The artifacts stored for one digest. */
export interface ArtifactSummary {
  signatures: number;
  /** Attestations by predicate type. */
  attestations: Record<string, number>;
}

/** Lists the signatures and attestations stored beside the image `ref` at `digest`. */
export async function listArtifacts(
  ref: ImageReference,
  digest: Digest,
  clients?: Map<string, RegistryClient>,
): Promise<ArtifactSummary> {
  const store = artifactStore(ref, clients);
  const [sigs, atts] = await Promise.all([store.read(digest, "sig"), store.read(digest, "att")]);
  const attestations: Record<string, number> = {};
  for (const l of atts) {
    const type = l.annotations[PREDICATE_TYPE_ANNOTATION] ?? "unknown";
    attestations[type] = (attestations[type] ?? 0) + 1;
  }
  return { signatures: sigs.length, attestations };
}

/**
 * Signs an image and attaches attestations, as `cosign sign --key` and `cosign attest --key`
 * would: one simple-signing layer in the `.sig` image, one DSSE envelope per statement in
 * the `.att` image, both added to what the image already has.
 */
import { type Digest, formatReference, type ImageReference, type RegistryClient } from "../oci/index.js";
import { DSSE_MEDIA_TYPE, signEnvelope } from "./dsse.js";
import type { SigningKey } from "./keys.js";
import { SIMPLE_SIGNING_MEDIA_TYPE, simpleSigningPayload } from "./simple-signing.js";
import type { Statement } from "./statement.js";
import { type ArtifactLayer, artifactStore, mergeLayers } from "./storage.js";

/** cosign's annotation holding a signature (base64) on a `.sig` layer. */
export const SIGNATURE_ANNOTATION = "dev.cosignproject.cosign/signature";

/** cosign's annotation naming an attestation layer's predicate type. */
export const PREDICATE_TYPE_ANNOTATION = "predicateType";

/** A statement to attest, with extra annotations for its layer (e.g. which SBOM file it is). */
export interface Attestation {
  statement: Statement;
  annotations?: Record<string, string>;
}

/** Options of {@link signImage}. */
export interface SignOptions {
  /** The image's reference (its repository or layout is where the artifacts go). */
  ref: ImageReference;
  /** The manifest digest signed and attested. */
  digest: Digest;
  key: SigningKey;
  attestations?: Attestation[];
  /** Registry clients to reuse (tokens, connections). */
  clients?: Map<string, RegistryClient>;
}

/** What {@link signImage} wrote. */
export interface SignResult {
  /** Where the artifacts went (`registry/repo` or `oci:dir`). */
  where: string;
  /** Signatures the `.sig` image now holds. */
  signatures: number;
  /** Attestations the `.att` image now holds. */
  attestations: number;
}

/** The repository a signature names (`docker-reference`): the reference without tag or digest. */
export function dockerReference(ref: ImageReference): string {
  return ref.kind === "layout" ? `oci:${ref.path}` : formatReference({ ...ref, tag: undefined, digest: undefined });
}

/**
 * Signs `digest` and attaches `attestations`. The `.att` image is written before the `.sig`
 * image, so an image never shows a signature whose attestations failed to arrive.
 *
 * @example
 * const key = await loadSigningKey("cosign.key");
 * await signImage({ ref: parseReference("127.0.0.1:5000/acme/app:1"), digest, key, attestations });
 */
export async function signImage(opts: SignOptions): Promise<SignResult> {
  const store = artifactStore(opts.ref, opts.clients);
  let attestations = 0;
  if (opts.attestations?.length) {
    const added: ArtifactLayer[] = opts.attestations.map((a) => ({
      mediaType: DSSE_MEDIA_TYPE,
      bytes: signEnvelope(a.statement, opts.key),
      // cosign requires the signature annotation on every layer; an attestation's is empty
      // because its signature is inside the envelope.
      annotations: {
        [SIGNATURE_ANNOTATION]: "",
        [PREDICATE_TYPE_ANNOTATION]: a.statement.predicateType,
        ...(a.annotations ?? {}),
      },
    }));
    const layers = mergeLayers(await store.read(opts.digest, "att"), added);
    await store.write(opts.digest, "att", layers);
    attestations = layers.length;
  }
  const payload = simpleSigningPayload(dockerReference(opts.ref), opts.digest);
  const signature: ArtifactLayer = {
    mediaType: SIMPLE_SIGNING_MEDIA_TYPE,
    bytes: payload,
    annotations: { [SIGNATURE_ANNOTATION]: opts.key.sign(payload).toString("base64") },
  };
  const sigs = mergeLayers(await store.read(opts.digest, "sig"), [signature]);
  await store.write(opts.digest, "sig", sigs);
  return { where: store.where, signatures: sigs.length, attestations };
}

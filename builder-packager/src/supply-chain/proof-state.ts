/**
 * Signatures and attestations judged rather than enforced: what a fleet scan records for each
 * image (none, present, verified, invalid) where `cnbkit verify` stops at the first problem.
 * The checks are verify's own (a simple-signing payload signed by the key and naming the
 * digest; a DSSE envelope signed by the key whose statement is about the digest), so the two
 * never disagree on what counts as signed.
 */
import type { Digest } from "../oci/index.js";
import { type DsseEnvelope, IN_TOTO_PAYLOAD_TYPE, openEnvelope } from "./dsse.js";
import type { VerifyKey } from "./keys.js";
import { SIGNATURE_ANNOTATION } from "./sign-image.js";
import { claimedDigest, SIMPLE_SIGNING_MEDIA_TYPE } from "./simple-signing.js";
import { isStatementAbout, type Statement } from "./statement.js";
import type { ArtifactLayer } from "./storage.js";

/** What a signature or attestation of an image was found to be. */
export type ProofState =
  /** Nothing of that kind stored for the image's digest. */
  | "none"
  /** Stored, but not checked: no key was given. */
  | "present"
  /** Checked against the key, over this digest. */
  | "verified"
  /** Stored, but not made with the key or not about this digest. */
  | "invalid";

/**
 * The state of the signatures in a `.sig` image for `digest`: verified when one of them was
 * made with `key` over a payload naming `digest`; present when there is no key to check with.
 */
export function signatureState(layers: ArtifactLayer[], digest: Digest, key: VerifyKey | undefined): ProofState {
  const sigs = layers.filter((l) => l.mediaType === SIMPLE_SIGNING_MEDIA_TYPE);
  if (sigs.length === 0) return "none";
  if (!key) return "present";
  const ok = sigs.some(
    (l) =>
      claimedDigest(l.bytes) === digest &&
      key.verify(l.bytes, Buffer.from(l.annotations[SIGNATURE_ANNOTATION] ?? "", "base64")),
  );
  return ok ? "verified" : "invalid";
}

/**
 * The statement in one attestation layer (a DSSE envelope) and its state: verified with `key`
 * and about `digest`, or present (read without a key), or invalid. The statement is returned
 * only when it may be used: verified, or present when no key was given.
 */
export function attestationState(
  bytes: Buffer,
  digest: Digest,
  key: VerifyKey | undefined,
): { state: ProofState; statement?: Statement } {
  if (key) {
    const opened = openEnvelope(bytes, key);
    return isStatementAbout(opened, digest) ? { state: "verified", statement: opened } : { state: "invalid" };
  }
  try {
    const envelope = JSON.parse(bytes.toString("utf8")) as DsseEnvelope;
    if (envelope.payloadType !== IN_TOTO_PAYLOAD_TYPE) return { state: "invalid" };
    const statement = JSON.parse(Buffer.from(envelope.payload, "base64").toString("utf8")) as unknown;
    return isStatementAbout(statement, digest) ? { state: "present", statement } : { state: "invalid" };
  } catch {
    return { state: "invalid" };
  }
}

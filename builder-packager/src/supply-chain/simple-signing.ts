/**
 * The payload cosign signs for an image: Red Hat's "simple signing" JSON naming the manifest
 * digest. cosign checks `critical.image.docker-manifest-digest` against the image it
 * verifies; the docker-reference is informative.
 */
import type { Digest } from "../oci/index.js";

/** The media type of a signature layer (its blob is the payload, the signature an annotation). */
export const SIMPLE_SIGNING_MEDIA_TYPE = "application/vnd.dev.cosign.simplesigning.v1+json";

/** The payload's `critical.type`, as cosign writes it. */
const SIGNATURE_TYPE = "cosign container image signature";

/** The parsed payload (the fields cnbkit reads). */
export interface SimpleSigningPayload {
  critical: {
    identity: { "docker-reference": string };
    image: { "docker-manifest-digest": string };
    type: string;
  };
  optional: Record<string, unknown> | null;
}

/**
 * The payload bytes for `digest`, with cosign's field order (so a payload cnbkit writes and
 * one cosign writes for the same image are byte for byte the same).
 *
 * @param dockerReference the repository, e.g. `registry.example.com/acme/app`
 */
export function simpleSigningPayload(dockerReference: string, digest: Digest): Buffer {
  const payload: SimpleSigningPayload = {
    critical: {
      identity: { "docker-reference": dockerReference },
      image: { "docker-manifest-digest": digest },
      type: SIGNATURE_TYPE,
    },
    optional: null,
  };
  return Buffer.from(JSON.stringify(payload));
}

/** The digest a payload claims, or undefined when the bytes are not a simple-signing payload. */
export function claimedDigest(payload: Buffer): string | undefined {
  try {
    const parsed = JSON.parse(payload.toString("utf8")) as SimpleSigningPayload;
    if (parsed.critical?.type !== SIGNATURE_TYPE) return undefined;
    return parsed.critical.image?.["docker-manifest-digest"];
  } catch {
    return undefined;
  }
}

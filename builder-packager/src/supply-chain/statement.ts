/**
 * in-toto Statement v1: what an attestation says about which artifact. The subject is the
 * image's repository and manifest digest; cosign matches an attestation to an image by that
 * digest (`subject[].digest.sha256`) and to `--type` by `predicateType`.
 */
import { digestHex, type Digest } from "../oci/index.js";

/** The statement type cnbkit writes. */
export const STATEMENT_TYPE = "https://in-toto.io/Statement/v1";

/** The predicate types cnbkit attests, with the `cosign verify-attestation --type` that finds each. */
export const PREDICATE_TYPES = {
  /** `--type slsaprovenance1` */
  slsaProvenance: "https://slsa.dev/provenance/v1",
  /** `--type cyclonedx` */
  cyclonedx: "https://cyclonedx.org/bom",
  /** `--type spdxjson` */
  spdx: "https://spdx.dev/Document",
} as const;

/** An in-toto statement with a typed predicate. */
export interface Statement<P = unknown> {
  _type: typeof STATEMENT_TYPE;
  subject: { name: string; digest: Record<string, string> }[];
  predicateType: string;
  predicate: P;
}

/** A statement about the image `name` at `digest`. */
export function statement<P>(name: string, digest: Digest, predicateType: string, predicate: P): Statement<P> {
  return {
    _type: STATEMENT_TYPE,
    subject: [{ name, digest: { sha256: digestHex(digest) } }],
    predicateType,
    predicate,
  };
}

/** True when `value` is a statement whose subject names `digest`. */
export function isStatementAbout(value: unknown, digest: Digest): value is Statement {
  const s = value as Statement | undefined;
  if (!s || typeof s !== "object" || typeof s.predicateType !== "string" || !Array.isArray(s.subject)) return false;
  return s.subject.some((sub) => sub?.digest?.sha256 === digestHex(digest));
}

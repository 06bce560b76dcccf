/**
 * The supply-chain stage's public surface: signing images and attesting their provenance and
 * SBOMs in the formats cosign reads and writes (simple-signing `.sig` images, DSSE-wrapped
 * in-toto statements in `.att` images, in a registry or beside the image in an OCI layout),
 * and verifying them with policy. It builds on oci (storage) and platform (what a build or
 * rebase records, the SBOM layers); nothing below it imports it.
 */
export { type ArtifactSummary, listArtifacts } from "./list-artifacts.js";
export { type KeyAlgorithm, loadSigningKey, loadVerifyKey, type SigningKey, type VerifyKey } from "./keys.js";
export { attestationState, type ProofState, signatureState } from "./proof-state.js";
export { BUILD_TYPE, type ProvenancePredicate, REBASE_TYPE } from "./provenance.js";
export { SBOM_PATH_ANNOTATION } from "./sbom-attestations.js";
export { sealBuild, sealIndex, sealRebase, sealRebasedIndex } from "./seal.js";
export { PATCH_TYPE, type PatchFacts, patchProvenance, sealPatch } from "./seal-patch.js";
export { PREDICATE_TYPE_ANNOTATION, type SignResult, signImage } from "./sign-image.js";
export { PREDICATE_TYPES } from "./statement.js";
export { type ArtifactLayer, artifactTag, markSignedImage } from "./storage.js";
export { resolveDigest, type VerifyPolicy, type VerifyReport, verifyImage } from "./verify.js";

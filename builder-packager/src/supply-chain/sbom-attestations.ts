/**
 * The image's SBOMs as attestations: each CycloneDX and SPDX document of its SBOM layers (the
 * buildpacks' per layer, and the run image's base SBOM) becomes one statement whose predicate
 * is that document, unchanged, as `cosign attest --type cyclonedx|spdxjson` would write it.
 * The layer keeps the document's path in the image, so tools can tell them apart.
 */
import type { Digest } from "../oci/index.js";
import type { SbomDocument } from "../platform/index.js";
import type { Attestation } from "./sign-image.js";
import { PREDICATE_TYPES, statement } from "./statement.js";

/** The annotation naming the SBOM file an attestation holds (`launch/<bp>/<layer>/sbom.cdx.json`). */
export const SBOM_PATH_ANNOTATION = "io.cnbkit.sbom.path";

/** The predicate type of a document, by its file name (syft's own format has none in cosign). */
function predicateTypeOf(path: string): string | undefined {
  if (path.endsWith(".cdx.json")) return PREDICATE_TYPES.cyclonedx;
  if (path.endsWith(".spdx.json")) return PREDICATE_TYPES.spdx;
  return undefined;
}

/** One attestation per CycloneDX or SPDX document about the image `name` at `digest`. */
export function sbomAttestations(name: string, digest: Digest, docs: SbomDocument[]): Attestation[] {
  return docs.flatMap((doc) => {
    const type = predicateTypeOf(doc.path);
    if (!type) return [];
    let predicate: unknown;
    try {
      predicate = JSON.parse(doc.bytes.toString("utf8"));
    } catch {
      return []; // a buildpack's unparsable SBOM is not cnbkit's to vouch for
    }
    return [{ statement: statement(name, digest, type, predicate), annotations: { [SBOM_PATH_ANNOTATION]: doc.path } }];
  });
}

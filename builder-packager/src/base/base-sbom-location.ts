/**
 * Where a base image keeps its SBOM: the label naming the layer and the directory the
 * documents sit in. Their own module, apart from the writer (base-sbom.ts), so readers such as
 * `fleet scan` load two strings and not the SBOM libraries the writer needs.
 */

/** The label naming the diffID of a base image's SBOM layer. */
export const BASE_SBOM_LABEL = "io.buildpacks.base.sbom";

/** Where the documents sit inside the layer (and so in the image's filesystem). */
export const BASE_SBOM_DIR = "cnb/sbom";

/** The document file names, by media type. */
export const BASE_SBOM_FILES = {
  "application/vnd.cyclonedx+json": "sbom.cdx.json",
  "application/spdx+json": "sbom.spdx.json",
} as const;

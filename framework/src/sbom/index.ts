/** SBOMs: CycloneDX 1.6 and SPDX 2.3 JSON documents from components, deterministic. */
export type { SbomComponent } from "./component.js";
export { type CycloneDxOptions, cycloneDxJson } from "./cyclonedx.js";
export { REPRODUCIBLE_CREATED, type SpdxOptions, spdxJson } from "./spdx.js";
export { spdxExpression, spdxLicenseId } from "./spdx-license.js";
export { SBOM_FORMATS, type WriteSbomOptions, writeSbomFiles } from "./sbom.js";

/** SBOMs: CycloneDX 1.6 and SPDX 2.3 JSON documents from components, deterministic. */
export * from "./sbom.js";

/**
 * The fleet stage: what runs across many app images, read from their manifests, configs,
 * SBOMs and signatures alone (`cnbkit fleet scan`), questions over that inventory
 * (`fleet query`) and rebasing every image whose run image is behind (`fleet rebase`).
 * It builds on oci (registries, layouts), platform (app-image labels, rebase) and
 * supply-chain (signature and attestation checks).
 */
export { fmtCount } from "./format-count.js";
export { HIT_ROWS, type HtmlReportOptions, htmlReport } from "./html-report.js";
export * from "./inventory.js";
export { type KubeConnection, kubeConnection } from "./kube-connection.js";
export {
  type BuildpackFilter,
  type PackageFilter,
  parseBuildpackFilter,
  parsePackageFilter,
  type AbiVerdict,
  abiVerdict,
  type QueryHit,
  type QuerySpec,
  queryFleet,
  repositoryOf,
  runningText,
} from "./query.js";
export {
  type FleetRebaseOptions,
  type FleetRebaseReport,
  type PlanStep,
  planFleetRebase,
  type RebaseOutcome,
  rebaseFleet,
} from "./rebase-fleet.js";
export {
  describeStep,
  type FleetPatchReport,
  type PatchFleetOptions,
  type PatchOutcome,
  type PatchSealRequest,
  patchFleet,
  planFleetPatch,
  recordName,
} from "./patch-fleet.js";
export { type PatchReference, type PatchStep, readPatchReference } from "./patch-plan.js";
export { refreshInventory } from "./refresh.js";
export type { ReadStats } from "./repository.js";
export { type RunImageAbi, runImageAbi } from "./run-image-abi.js";
export { type RunImageNow, type RunImageState, runImageNow } from "./run-image-now.js";
export {
  type ClusterImages,
  type RunningImage,
  repositoryDigest,
  runningImages,
} from "./running-images.js";
export { ARTIFACT_TAG, type ScanOptions, type ScanSummary, scanFleet } from "./scan.js";
export { parseTarget, type ScanTarget, targetsFromFile } from "./targets.js";
export * from "./versions/index.js";

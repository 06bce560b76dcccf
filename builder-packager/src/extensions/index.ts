/**
 * The extensions stage's public surface: cnbkit as the extender of CNB image extensions (the
 * build.Dockerfiles applied to the build image, the run.Dockerfiles' RUN lines turned into a
 * layer of the run image, a run image an extension switched to), and `cnbkit base extend`,
 * whose overlay-and-diff machinery the run.Dockerfiles are applied with.
 */
export { applyBuildExtensions } from "./apply-build.js";
export { type AppliedRun, applyRunExtensions } from "./apply-run.js";
export { type ExtendResult, extendImage } from "./extend-image.js";
export type { ExtendOptions } from "./extend-inputs.js";
export { EXTENDED_LABEL } from "./extend-record.js";
export { markNotRebasable } from "./extended-run-layout.js";
export { switchedRunImage } from "./switch-run-image.js";

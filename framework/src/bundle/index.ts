/**
 * The layout of a bundled buildpack as it runs (`launched-bundle.ts`): names the packager
 * writes and the framework's own code reads at run time. On the bottom floor of the
 * framework, importing nothing, so the entry point, the CNB file readers and exec.d can use
 * it without an arrow back up; `@cnbkit/framework/packaging` re-exports it for the packager.
 */
export * from "./launched-bundle.js";

/**
 * The five lifecycle phases a phase-by-phase build runs, each in a container of its own, and
 * what each one may be given. The split is the point of running phases apart: the analyzer,
 * restorer and exporter touch images and the build cache (and so get registry credentials,
 * the cache and the layout repository), while the detector and builder run the builder's
 * buildpacks and get none of that.
 */

/** A lifecycle phase, as the verb pack and the lifecycle's headers use. */
export type Phase = "analyze" | "detect" | "restore" | "build" | "export";

/** What one phase is: its binary, its header, and whether it may see images and the cache. */
export interface PhaseFacts {
  /** The lifecycle binary that runs it. */
  binary: string;
  /** The header the creator prints for it (`===> ANALYZING`); cnbkit prints it for the phase. */
  header: string;
  /**
   * True for the phases that read or write images and the cache (analyzer, restorer,
   * exporter): only they get registry credentials, the cache and the layout repository.
   * False for the phases that run buildpacks (detector, builder).
   */
  registry: boolean;
}

/** Each phase's facts. */
export const PHASES: Record<Phase, PhaseFacts> = {
  analyze: { binary: "/cnb/lifecycle/analyzer", header: "ANALYZING", registry: true },
  detect: { binary: "/cnb/lifecycle/detector", header: "DETECTING", registry: false },
  restore: { binary: "/cnb/lifecycle/restorer", header: "RESTORING", registry: true },
  build: { binary: "/cnb/lifecycle/builder", header: "BUILDING", registry: false },
  export: { binary: "/cnb/lifecycle/exporter", header: "EXPORTING", registry: true },
};

/** The order the phases run in, as Platform API 0.7 and later have it (analyze before detect). */
export const PHASE_ORDER: readonly Phase[] = ["analyze", "detect", "restore", "build", "export"];

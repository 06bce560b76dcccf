/**
 * What each phase's container is given beyond its command line: the environment and the
 * mounts. Only the phases that touch images and the cache (analyzer, restorer, exporter)
 * get registry credentials, the build cache and the layout repository; the detector and
 * builder, where the builder's buildpacks run, get the platform dir and the app only.
 */
import type { BindMount } from "../../../container/index.js";
import { PHASES, type Phase } from "./phase.js";

/** The parts a phase's environment is made of. */
export interface PhaseEnvInputs {
  /** The environment every phase gets (the builder's, the platform's, the proxy's). */
  base: string[];
  platformApi: string;
  /** Where the layout repository is mounted (CNB_LAYOUT_DIR). */
  layoutDir: string;
  /** CNB_REGISTRY_AUTH's JSON (`{"host":"Basic ..."}`), when a registry needs credentials. */
  registryAuth?: string;
}

/**
 * The environment of `phase`'s container: `base` at `platformApi`, and for the analyzer,
 * restorer and exporter the layout repository (CNB_USE_LAYOUT, which the lifecycle reads
 * at every Platform API, unlike the `-layout` flags) and the registry credentials.
 *
 * @example
 * phaseEnv("detect", { base, platformApi: "0.13", layoutDir: "/layout-repo", registryAuth }) // no CNB_REGISTRY_AUTH
 */
export function phaseEnv(phase: Phase, i: PhaseEnvInputs): string[] {
  const base = i.base.filter((e) => !/^(CNB_PLATFORM_API|CNB_REGISTRY_AUTH|CNB_USE_LAYOUT|CNB_LAYOUT_DIR)=/.test(e));
  const env = [...base, `CNB_PLATFORM_API=${i.platformApi}`];
  if (!PHASES[phase].registry) return env;
  return [
    ...env,
    "CNB_USE_LAYOUT=true",
    `CNB_LAYOUT_DIR=${i.layoutDir}`,
    ...(i.registryAuth ? [`CNB_REGISTRY_AUTH=${i.registryAuth}`] : []),
  ];
}

/**
 * The mounts of `phase`'s container: `shared` (the platform dir and bindings) for every
 * phase, `state` (the build cache and the layout repository) for the analyzer, restorer and
 * exporter only, so no buildpack can read or poison the cache or the images, and
 * `buildOnly` (the cache layers kept by reference, layer-store/) for the builder only, the
 * one phase whose buildpacks fill them.
 */
export function phaseMounts(
  phase: Phase,
  shared: BindMount[],
  state: BindMount[],
  buildOnly: BindMount[] = [],
): BindMount[] {
  if (PHASES[phase].registry) return [...shared, ...state];
  return phase === "build" ? [...shared, ...buildOnly] : [...shared];
}

/**
 * CNB_REGISTRY_AUTH's value for `credentials` (host → `Basic ...` header value), as the
 * lifecycle reads it; undefined when there are none.
 */
export function registryAuthJson(credentials: Record<string, string>): string | undefined {
  return Object.keys(credentials).length ? JSON.stringify(credentials) : undefined;
}

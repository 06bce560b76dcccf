/**
 * The command lines of a phase-by-phase build, as one platform or another spells them.
 *
 * `cnbkit` is the default: the creator's flags split over the phases, at cnbkit's Platform
 * API. `kpack` is what kpack's build pod passes (pkg/apis/build/v1alpha2/build_pod.go,
 * Platform API 0.7–0.9), `tekton` what Tekton's buildpacks-phases task 0.3 passes (Platform
 * API 0.13, the only one that task accepts). They let a build here run with the flags a CI
 * platform would use, so a builder can be checked against them before it ships.
 *
 * What differs from those platforms, and why: the layout repository is named by
 * CNB_USE_LAYOUT/CNB_LAYOUT_DIR in the environment (see phaseEnv), not by flags, since the
 * `-layout` flags exist only from Platform API 0.12 and the variables at every API; images
 * are the repository's names; report.toml goes to /layers (cnbkit copies it out from there);
 * Tekton's restorer `-build-image` is left out (it pulls the builder from a registry for
 * the lifecycle's kaniko extender; this lifecycle has no kaniko, and cnbkit applies the
 * extensions' build.Dockerfiles itself after the detector: ../extensions/apply-build.ts).
 */
import { CnbError } from "@cnbkit/framework";
import { FALLBACK_PLATFORM_API, LATEST_PLATFORM_API } from "../../exec-env.js";
import { PHASE_ORDER, PHASES, type Phase } from "./phase.js";

/** A platform whose phase flags cnbkit can pass. */
export type FlagSetName = "cnbkit" | "kpack" | "tekton";

/** The flag set names, for `--phase-flags` and its error line. */
export const FLAG_SET_NAMES: readonly FlagSetName[] = ["cnbkit", "kpack", "tekton"];

/** What the command lines are made of: where things are in the container, and the build's choices. */
export interface PhaseInputs {
  /** The Platform API the phases run at (CNB_PLATFORM_API). */
  platformApi: string;
  /** The app image's name in the layout repository (what the exporter writes). */
  appName: string;
  /** The run image's name in the layout repository. */
  runName: string;
  /** The build cache: the mounted dir, or a registry image. */
  cache: { dir: string } | { image: string };
  /** Registries spoken to over plain HTTP (`-insecure-registry`). */
  insecureRegistries: string[];
  /** The CNB user the files belong to (`-uid`, `-gid`). */
  uid: number;
  gid: number;
  logLevel: string;
  color: boolean;
  /** Restore nothing from the previous image (`--clear-cache`: `-skip-layers`). */
  skipLayers: boolean;
  /** The image's default process (`-process-type`). */
  processType?: string;
}

/** One phase's command line (`args[0]` is the lifecycle binary). */
export interface PhaseCommand {
  phase: Phase;
  args: string[];
}

/** A flag set: the Platform APIs it is written for and each phase's flags. */
interface FlagSet {
  /** The API used when none is asked for and the builder's lifecycle does not say what it supports. */
  defaultApi: string;
  /** The lowest and highest API these flags are valid at. */
  apis: [string, string];
  flags(phase: Phase, i: PhaseInputs): string[];
}

const LAYERS = "/layers";
const GROUP = "/layers/group.toml";
const PLAN = "/layers/plan.toml";
const ANALYZED = "/layers/analyzed.toml";
const REPORT = "/layers/report.toml";

const SETS: Record<FlagSetName, FlagSet> = {
  // The creator's Platform APIs (exec-env.ts, their one source): the newest cnbkit speaks, and
  // the one it falls back to; the flags are the creator's, which -layout needs 0.12 for.
  cnbkit: {
    defaultApi: FALLBACK_PLATFORM_API,
    apis: ["0.12", LATEST_PLATFORM_API],
    flags(phase, i) {
      const common = [`-log-level=${i.logLevel}`, ...(i.color ? [] : ["-no-color"])];
      const owner = [`-uid=${i.uid}`, `-gid=${i.gid}`];
      const insecure = atLeast(i.platformApi, "0.13") ? i.insecureRegistries.map((r) => `-insecure-registry=${r}`) : [];
      const skip = i.skipLayers ? ["-skip-layers"] : [];
      const cache = "dir" in i.cache ? [`-cache-dir=${i.cache.dir}`] : [`-cache-image=${i.cache.image}`];
      const files = [`-layers=${LAYERS}`, `-group=${GROUP}`];
      switch (phase) {
        case "analyze":
          // The analyzer has no -cache-dir: a cache image it checks for write access, a dir not at all.
          return [
            ...common,
            `-layers=${LAYERS}`,
            `-analyzed=${ANALYZED}`,
            `-run-image=${i.runName}`,
            ...("image" in i.cache ? cache : []),
            ...[...insecure, ...skip, ...owner, i.appName],
          ];
        case "detect":
        case "build":
          return [...common, "-app=/workspace", ...files, `-plan=${PLAN}`, "-platform=/platform"];
        case "restore":
          return [...common, ...files, `-analyzed=${ANALYZED}`, ...cache, ...insecure, ...skip, ...owner];
        case "export":
          return [
            ...common,
            "-app=/workspace",
            ...files,
            `-analyzed=${ANALYZED}`,
            ...cache,
            ...insecure,
            `-report=${REPORT}`,
            ...(i.processType ? [`-process-type=${i.processType}`] : []),
            ...owner,
            i.appName,
          ];
      }
    },
  },
  // kpack's build pod: a volume cache goes to the restorer and exporter only, a registry
  // cache to the analyzer too; no -log-level, -uid or -gid (the pod's securityContext sets the user).
  kpack: {
    defaultApi: "0.9",
    apis: ["0.7", "0.9"],
    flags(phase, i) {
      const cache = "dir" in i.cache ? [`-cache-dir=${i.cache.dir}`] : [`-cache-image=${i.cache.image}`];
      switch (phase) {
        case "analyze":
          return [
            "-layers=/layers",
            "-analyzed=/layers/analyzed.toml",
            `-run-image=${i.runName}`,
            ...("image" in i.cache ? cache : []),
            i.appName,
          ];
        case "detect":
          return ["-app=/workspace", "-group=/layers/group.toml", "-plan=/layers/plan.toml"];
        case "restore":
          return ["-group=/layers/group.toml", "-layers=/layers", ...cache, "-analyzed=/layers/analyzed.toml"];
        case "build":
          return ["-layers=/layers", "-app=/workspace", "-group=/layers/group.toml", "-plan=/layers/plan.toml"];
        case "export":
          return [
            "-layers=/layers",
            "-app=/workspace",
            "-group=/layers/group.toml",
            "-analyzed=/layers/analyzed.toml",
            "-project-metadata=/layers/project-metadata.toml",
            ...cache,
            ...(i.processType ? [`-process-type=${i.processType}`] : []),
            `-report=${REPORT}`,
            i.appName,
          ];
      }
    },
  },
  // Tekton's buildpacks-phases task 0.3: every flag given, empty when its param is; the
  // cache both as a dir (the cache workspace) and an image; process type "web" by default.
  tekton: {
    defaultApi: "0.13",
    apis: ["0.13", "0.13"],
    flags(phase, i) {
      const log = `-log-level=${i.logLevel}`;
      const owner = [`-uid=${i.uid}`, `-gid=${i.gid}`];
      const cacheDir = "dir" in i.cache ? i.cache.dir : "";
      const cacheImage = "image" in i.cache ? i.cache.image : "";
      const insecure = `-insecure-registry=${i.insecureRegistries.join(",")}`;
      const skip = `-skip-layers=${i.skipLayers}`;
      switch (phase) {
        case "analyze":
          return [
            log,
            "-layers=/layers",
            `-run-image=${i.runName}`,
            `-cache-image=${cacheImage}`,
            ...owner,
            insecure,
            "-tag=",
            skip,
            i.appName,
          ];
        case "detect":
          return [
            log,
            "-app=/workspace",
            "-group=/layers/group.toml",
            "-plan=/layers/plan.toml",
            "-layers=/layers",
            "-platform=/platform",
          ];
        case "restore":
          return [
            log,
            "-group=/layers/group.toml",
            "-layers=/layers",
            `-cache-dir=${cacheDir}`,
            `-cache-image=${cacheImage}`,
            ...owner,
            insecure,
            skip,
          ];
        case "build":
          return [
            log,
            "-app=/workspace",
            "-layers=/layers",
            "-group=/layers/group.toml",
            "-plan=/layers/plan.toml",
            "-platform=/platform",
          ];
        case "export":
          return [
            log,
            "-app=/workspace",
            "-layers=/layers",
            "-group=/layers/group.toml",
            `-cache-dir=${cacheDir}`,
            `-cache-image=${cacheImage}`,
            `-report=${REPORT}`,
            `-process-type=${i.processType ?? "web"}`,
            ...owner,
            insecure,
            i.appName,
          ];
      }
    },
  },
};

/**
 * The five command lines of a phase-by-phase build with flag set `set`, in the order they run.
 *
 * @example
 * phaseCommands("kpack", inputs)[1] // { phase: "detect", args: ["/cnb/lifecycle/detector", "-app=/workspace", ...] }
 */
export function phaseCommands(set: FlagSetName, inputs: PhaseInputs): PhaseCommand[] {
  return PHASE_ORDER.map((phase) => ({ phase, args: [PHASES[phase].binary, ...SETS[set].flags(phase, inputs)] }));
}

/**
 * The Platform API flag set `set` runs at when none is asked for: the highest it is written
 * for that the builder's lifecycle supports (`lifecycleApis`), as kpack picks the highest its
 * build pod and the builder share and as cnbkit's creator takes 0.15 when there is one; the
 * set's own default when the lifecycle does not say or shares none (checkPlatformApi then
 * says so).
 *
 * @example
 * defaultPlatformApi("kpack", ["0.7", "0.8", "0.9", "0.10"]) // "0.9"
 */
export function defaultPlatformApi(set: FlagSetName, lifecycleApis?: string[]): string {
  const [low, high] = SETS[set].apis;
  const shared = (lifecycleApis ?? []).filter((a) => /^\d+\.\d+$/.test(a) && atLeast(a, low) && atLeast(high, a));
  return (
    shared.reduce<string | undefined>((best, a) => (best && atLeast(best, a) ? best : a), undefined) ??
    SETS[set].defaultApi
  );
}

/** `--phase-flags <name>` → the flag set; anything else is one line naming the known ones. */
export function parseFlagSet(text: string): FlagSetName {
  const found = FLAG_SET_NAMES.find((n) => n === text);
  if (found) return found;
  throw new CnbError(`--phase-flags "${text}" is not one of ${FLAG_SET_NAMES.join(", ")}`);
}

/**
 * Checks that `api` is one the builder's lifecycle supports (`lifecycle`: from the builder's
 * `io.buildpacks.builder.metadata` label; undefined for a rootfs builder, which has no labels:
 * the lifecycle then says it itself) and one flag set `set` is written for. Throws one line.
 */
export function checkPlatformApi(
  set: FlagSetName,
  api: string,
  lifecycle: { version: string; apis: string[] } | undefined,
): void {
  if (!/^\d+\.\d+$/.test(api)) {
    throw new CnbError(`--platform-api "${api}" is not a Platform API version such as 0.13`);
  }
  if (lifecycle && !lifecycle.apis.includes(api)) {
    const which = lifecycle.version ? `lifecycle ${lifecycle.version}` : "lifecycle";
    throw new CnbError(
      `--platform-api ${api}: the builder's ${which} supports Platform API ${lifecycle.apis.join(", ")}; give one of those or use a builder with a newer lifecycle`,
    );
  }
  const [low, high] = SETS[set].apis;
  if (!atLeast(api, low) || !atLeast(high, api)) {
    const range = low === high ? low : `${low} to ${high}`;
    throw new CnbError(
      `--platform-api ${api}: the ${set} phase flags are written for Platform API ${range}; give one of those or another --phase-flags`,
    );
  }
}

/** True when Platform API `a` is `b` or later (`0.10` is after `0.9`). */
export function atLeast(a: string, b: string): boolean {
  const [am, an] = a.split(".").map(Number) as [number, number];
  const [bm, bn] = b.split(".").map(Number) as [number, number];
  return am !== bm ? am > bm : an >= bn;
}

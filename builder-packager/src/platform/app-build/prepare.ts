/**
 * The first step of a build, before anything is unpacked into a view: the options that
 * conflict are found out, the output registry is pinged, and once the builder is resolved,
 * the lifecycle mode (creator or phases, extensions), the run image and the Platform API are
 * fixed. What the later steps share is the {@link Build} (options.ts) this returns.
 */
import { CnbError } from "@cnbkit/framework";
import { checkRunnable, stallTimeoutFromEnv } from "../../container/index.js";
import { RegistryClient } from "../../oci/index.js";
import { type BuildFlags, checkBuildFlags } from "./flags.js";
import { type BuildBuilder, openRunImage, runImageRef } from "./builder.js";
import { creatorPlatformApi, DEFAULT_EXEC_ENV, execEnvVars } from "../exec-env.js";
import {
  checkPlatformApi,
  defaultPlatformApi,
  type LifecycleMode,
  lifecycleMode,
  modeLine,
  withExtensions,
} from "./phases/index.js";
import { type Destination, imageDestinations } from "./destination.js";
import type { Build, BuildOptions } from "./options.js";

/** What {@link checkRequest} reads: where the image goes, the flags, and how the lifecycle is to run. */
export type RequestOptions = BuildFlags &
  Pick<Build["opts"], "builder" | "output" | "tags" | "trustBuilder" | "phases" | "phaseFlags" | "platformApi">;

/** What {@link prepareBuild} reads: the run image, how it is fetched, and how the lifecycle runs. */
export type PrepareOptions = Pick<
  Build["opts"],
  "builder" | "runImage" | "pullPolicy" | "platformApi" | "phaseFlags" | "stallTimeoutMs" | "execEnv"
>;

/** What {@link checkRequest} found out, for {@link prepareBuild}. */
export interface CheckedRequest {
  destinations: Destination[];
  /** The lifecycle mode the options and the builder's reference ask for (before its labels are read). */
  asked: LifecycleMode;
}

/**
 * What can be checked before the builder is unpacked: the destinations (parsed here, once),
 * the flags that conflict, the lifecycle mode asked for, and that an output registry answers.
 */
export async function checkRequest(opts: RequestOptions): Promise<CheckedRequest> {
  const destinations = imageDestinations(opts.output, opts.tags);
  const outRef = destinations[0]!.ref;
  checkBuildFlags(opts);
  const asked = lifecycleMode({
    builder: opts.builder,
    ...(opts.trustBuilder !== undefined ? { trustBuilder: opts.trustBuilder } : {}),
    ...(opts.phases ? { phases: true } : {}),
  });
  if (asked.kind === "creator" && (opts.phaseFlags !== undefined || opts.platformApi !== undefined)) {
    throw new CnbError(
      `${opts.phaseFlags !== undefined ? "--phase-flags" : "--platform-api"} applies to phase-by-phase builds, and this one runs the creator (trusted builder); add --phases`,
    );
  }
  // An unreachable output registry is found out before a build, not after it.
  if (outRef.kind === "registry") await new RegistryClient(outRef.registry).ping();
  return { destinations, asked };
}

/**
 * Once the builder is resolved: the mode (extensions force phases), the run image (checked
 * against the platform we build for), the Platform API, and how the builder runs here. The
 * caller adds the options to make the {@link Build}.
 */
export async function prepareBuild(
  opts: PrepareOptions,
  say: (line: string) => void,
  builder: BuildBuilder,
  { destinations, asked }: CheckedRequest,
): Promise<Omit<Build, "opts">> {
  const mode = withExtensions(asked, builder.labels);
  const runRef = await runImageRef(builder, opts.builder, opts.runImage);
  // The run image must match the platform we build for.
  const run = await openRunImage(builder, opts.builder, runRef, opts.pullPolicy);
  const platformApi = checkedPlatformApi(opts, mode, builder);
  const line = modeLine(mode, opts.builder);
  if (line) say(opts.platformApi || opts.phaseFlags ? `${line}, Platform API ${platformApi}` : line);
  const stallTimeoutMs = opts.stallTimeoutMs ?? stallTimeoutFromEnv();
  // A foreign-arch builder (arm64 here) runs its lifecycle and buildpacks under qemu.
  const execution = await checkRunnable(`builder ${opts.builder}`, run.config, { onLog: say });
  if (execution === "emulated") {
    say(`Building for linux/${builder.architecture} under qemu emulation (slower than a native build)`);
  }
  return {
    say,
    builder,
    run,
    destinations,
    startedOn: new Date(),
    mode,
    platformApi,
    execution,
    stallTimeoutMs,
  };
}

/**
 * The build's Platform API ({@link lifecyclePlatformApi}), with an exec env it cannot carry
 * found out before any work (phases at kpack's 0.9 and `--exec-env test`).
 */
function checkedPlatformApi(
  opts: Pick<PrepareOptions, "builder" | "execEnv" | "phaseFlags" | "platformApi">,
  mode: LifecycleMode,
  builder: BuildBuilder,
): string {
  const api = lifecyclePlatformApi(opts, mode, builder);
  execEnvVars(opts.execEnv ?? DEFAULT_EXEC_ENV, api, opts.builder);
  return api;
}

/**
 * The Platform API of a build: cnbkit's for the creator; for phases the one asked for or the
 * highest the flag set and the builder's lifecycle share, checked against both (one line if
 * they do not fit).
 */
function lifecyclePlatformApi(
  opts: Pick<BuildOptions, "phaseFlags" | "platformApi">,
  mode: LifecycleMode,
  builder: BuildBuilder,
): string {
  if (mode.kind === "creator") return creatorPlatformApi(builder.platformApis);
  const set = opts.phaseFlags ?? "cnbkit";
  let lifecycle: { version?: string; apis?: { platform?: { supported?: unknown } } } | undefined;
  try {
    lifecycle = JSON.parse(builder.labels["io.buildpacks.builder.metadata"] ?? "{}")?.lifecycle;
  } catch {
    lifecycle = undefined;
  }
  const supported = lifecycle?.apis?.platform?.supported;
  const known = Array.isArray(supported)
    ? { version: lifecycle?.version ?? "", apis: supported.map(String) }
    : undefined;
  const api = opts.platformApi ?? defaultPlatformApi(set, known?.apis);
  checkPlatformApi(set, api, known);
  return api;
}

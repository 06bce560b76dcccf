/**
 * Runs the lifecycle in the builder's view: the creator in one container, or each phase in
 * its own (phases/), with cnbkit as the extender between detect and build
 * (apply-extensions.ts). Its output is followed (lifecycle-output.ts) and a failed, stalled
 * or aborted build becomes one line.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { CnbError } from "@cnbkit/framework";
import {
  type BindMount,
  formatStallTimeout,
  type IsolatedNetwork,
  loopbackPortsOf,
  openIsolatedNetwork,
  proxyEnv,
  runContainer,
} from "../../container/index.js";
import { DEFAULT_EXEC_ENV, execEnvVars } from "../exec-env.js";
import { chownLayoutDirs, layoutPathOf } from "./layout-repo.js";
import { exitMessage, LIFECYCLE_EXIT } from "./lifecycle-exit.js";
import { LAYOUT_REPO_MOUNT, LifecycleOutput } from "./lifecycle-output.js";
import { pinRunImageReference } from "./pin-run-image.js";
import { type PhaseInputs, phaseCommands, phaseEnv, phaseMounts, runPhases } from "./phases/index.js";
import { applyExtensions, type ExtendedRun } from "./apply-extensions.js";
import { BUILDER_LIFECYCLE, type LifecycleBinaries, phaseBinary } from "./native-lifecycle.js";
import type { BuildOptions, BuildPart } from "./options.js";
import type { LayoutRepo } from "./place-images.js";

/** What a lifecycle run that exited 0 leaves for the export. */
export interface LifecycleRun extends ExtendedRun {
  /** The output follower: reused layers and phase times. */
  output: LifecycleOutput;
}

/** What the lifecycle step reads of a build (the extension step's part too, which it runs). */
export type LifecycleBuild = BuildPart<
  "builder" | "run" | "say" | "destinations" | "mode" | "platformApi" | "stallTimeoutMs" | "execution",
  | "builder"
  | "logLevel"
  | "onOutput"
  | "network"
  | "signal"
  | "env"
  | "secrets"
  | "execEnv"
  | "creationTime"
  | "color"
  | "clearCache"
  | "defaultProcess"
  | "phaseFlags"
  | "cnbkitCache"
  | "pullPolicy"
>;

/** The options the lifecycle's command line is made of (creator flags, phases/flag-sets.ts). */
type CommandOptions = Pick<BuildOptions, "logLevel" | "color" | "clearCache" | "defaultProcess">;

/** Runs one lifecycle process (the creator or a phase) in the view; its exit code. */
type InContainer = (args: string[], env: string[], mounts: BindMount[]) => Promise<number>;

/**
 * Runs the lifecycle in the builder's view: the creator in one container, or each phase in
 * its own (the same user, rootfs and network; the cache and layout repository, `mounts.state`,
 * and registry credentials only where phases/phase-container.ts puts them; the cache layers
 * kept by reference, `mounts.layerCache`, in the creator's or the builder's). Follows the
 * output and throws the one-line error of a failed, stalled or aborted build.
 */
export async function runLifecycle(
  build: LifecycleBuild,
  rootfs: string,
  repo: LayoutRepo,
  mounts: LifecycleMounts,
  binaries: LifecycleBinaries = BUILDER_LIFECYCLE,
  network?: Promise<IsolatedNetwork | undefined>,
): Promise<LifecycleRun> {
  const { opts, builder, run, stallTimeoutMs, execution } = build;
  const output = new LifecycleOutput({
    // The view: ad-hoc buildpacks are there, not in the cached builder.
    builderRootfs: rootfs,
    names: [
      { path: layoutPathOf(repo.appName), ref: build.destinations[0]!.given },
      { path: layoutPathOf(repo.runName), ref: run.ref },
    ],
    raw: opts.logLevel === "debug",
    show: (line, stream) => opts.onOutput?.(line, stream),
  });
  let stalled: { phase: string; idleMs: number } | undefined;
  const net = await network;
  const netnsPath = net?.path;
  const inContainer: InContainer = (args, env, containerMounts) =>
    runContainer({
      rootfs,
      args: [phaseBinary(binaries, args[0] as string), ...args.slice(1)],
      env,
      cwd: "/workspace",
      user: { uid: builder.uid, gid: builder.gid },
      mounts: [...containerMounts, ...binaries.mounts],
      // Isolated by default: buildpack code must not reach this machine's loopback or the
      // metadata address. A mirror URL in --env or a --secret on this machine stays reachable (the proxy on loopback does too: runContainer forwards the port its env
      // names).
      network: opts.network ?? "isolated",
      ...(netnsPath ? { netnsPath } : { loopbackPorts: buildLoopbackPorts(opts) }),
      onStdout: (line) => output.line(line, "stdout"),
      onStderr: (line) => output.line(line, "stderr"),
      signal: opts.signal,
      stall: {
        timeoutMs: stallTimeoutMs,
        onStall: (idleMs) => {
          stalled = { phase: output.phase, idleMs };
        },
      },
    });
  // No lifecycle container gets registry credentials: the lifecycle reaches no registry (images
  // go through the layout repository, a --cache-image through the volume cache, pulled and
  // pushed by cnbkit around the guard's check: layer-guard/cache-image.ts).
  const at: LifecycleSite = { rootfs, repo, mounts, inContainer, output };
  const ran = build.mode.kind === "creator" ? await runCreator(build, at) : await runEachPhase(build, at);
  // No container of this build runs any more: its network goes now, beside the layer check and
  // the write-out rather than after them (the build's own close at its end waits for this one).
  void net?.close().catch(() => {});
  // A failed build's last error line (and hint) goes into the one final line, not twice.
  const failure =
    ran.code === LIFECYCLE_EXIT.failedBuild && !opts.signal?.aborted && !stalled ? output.failure() : undefined;
  output.flush();
  output.end();
  if (opts.signal?.aborted) throw new CnbError("build aborted; the output image was not changed");
  if (stalled) throw stallError(stalled.phase, stallTimeoutMs, execution, build.destinations[0]!.given);
  if (ran.code !== 0) {
    const hint = failure?.error === undefined ? undefined : failure.hint;
    throw new CnbError(
      exitMessage(ran.code, output.lastLines, output.group, failure),
      hint === undefined ? undefined : { hint },
    );
  }
  return { ...ran.extended, output };
}

/** The lifecycle's mounts, by who may see them (phases/phase-container.ts). */
export interface LifecycleMounts {
  /** /platform and the bindings: every container. */
  shared: BindMount[];
  /** The build cache and the layout repository: the creator, analyzer, restorer, exporter. */
  state: BindMount[];
  /** The cache layers kept by reference (layer-store/): the creator and the builder; none when off. */
  layerCache?: BindMount[];
}

/** Where the creator or the phases run, and what they run with: the same for either path. */
interface LifecycleSite {
  rootfs: string;
  repo: LayoutRepo;
  mounts: LifecycleMounts;
  inContainer: InContainer;
  output: LifecycleOutput;
}

/** The creator, in one container with every mount; no extensions (they force phases). */
async function runCreator(
  build: LifecycleBuild,
  { repo, mounts, inContainer }: LifecycleSite,
): Promise<{ code: number; extended: ExtendedRun }> {
  const code = await inContainer(creatorArgs(build.opts, repo), lifecycleEnv(build), [
    ...mounts.shared,
    ...mounts.state,
    ...(mounts.layerCache ?? []),
  ]);
  return { code, extended: { run: build.run } };
}

/**
 * The phases, each in its own container with the env and mounts phases/phase-container.ts
 * gives it, and cnbkit as the extender after detect (a switched run image pinned for the
 * restorer).
 */
async function runEachPhase(
  build: LifecycleBuild,
  { rootfs, repo, mounts, inContainer, output }: LifecycleSite,
): Promise<{ code: number; extended: ExtendedRun }> {
  const { opts, builder } = build;
  const base = lifecycleEnv(build);
  const commands = phaseCommands(opts.phaseFlags ?? "cnbkit", phaseInputs(build, repo));
  let extended: ExtendedRun = { run: build.run };
  const result = await runPhases(
    commands,
    builder,
    ({ phase, args }) =>
      inContainer(
        args,
        phaseEnv(phase, {
          base,
          platformApi: build.platformApi,
          layoutDir: LAYOUT_REPO_MOUNT,
        }),
        phaseMounts(phase, mounts.shared, mounts.state, mounts.layerCache),
      ),
    (header) => output.line(header, "stdout"),
    async (phase) => {
      // The exporter parses the run image's layout path, which a registry port makes unparsable.
      if (phase === "restore") {
        await pinRunImageReference(join(rootfs, "layers"), repo.dir, LAYOUT_REPO_MOUNT);
        await chownLayoutDirs(repo.dir, builder.uid, builder.gid);
      }
      if (phase === "detect") extended = await applyExtensions(build, rootfs, repo, (l) => output.line(l, "stdout"));
    },
  );
  return { code: result.code, extended };
}

/** What the phases' command lines are made of (phases/flag-sets.ts). */
function phaseInputs(
  { opts, builder, platformApi }: BuildPart<"builder" | "platformApi", keyof CommandOptions>,
  repo: LayoutRepo,
): PhaseInputs {
  return {
    platformApi,
    appName: repo.appName,
    runName: repo.runName,
    // A --cache-image too: cnbkit mirrors it there (layer-guard/cache-image.ts).
    cache: { dir: "/cache" },
    insecureRegistries: [],
    uid: builder.uid,
    gid: builder.gid,
    logLevel: opts.logLevel ?? "info",
    color: opts.color === true,
    skipLayers: opts.clearCache === true,
    ...(opts.defaultProcess ? { processType: opts.defaultProcess } : {}),
  };
}

/**
 * The lifecycle's environment, the creator's or each phase's: the builder's, and what cnbkit
 * sets for the platform at the build's Platform API (the phases' may be below 0.15, where a
 * non-production exec env is one line, not ignored).
 */
function lifecycleEnv({
  builder,
  opts,
  platformApi: api,
}: BuildPart<"builder" | "platformApi", "builder" | "execEnv" | "creationTime">): string[] {
  return [
    ...builder.env.filter((e) => !e.startsWith("CNB_PLATFORM_API=") && !e.startsWith("CNB_EXEC_ENV=")),
    `CNB_PLATFORM_API=${api}`,
    ...execEnvVars(opts.execEnv ?? DEFAULT_EXEC_ENV, api, opts.builder),
    // We ask for the layout export on purpose: no "experimental feature" warning each build.
    // (Lifecycle 0.21 knows warn, quiet and error; "silent" would fall back to a warning.)
    "CNB_EXPERIMENTAL_MODE=quiet",
    `CNB_USER_ID=${builder.uid}`,
    `CNB_GROUP_ID=${builder.gid}`,
    "SERVICE_BINDING_ROOT=/platform/bindings",
    `HOME=/home/cnb`,
    // As pack does: buildpacks download through the proxy this machine uses.
    ...proxyEnv(),
    // Unset, the lifecycle dates the image 1980-01-01: the same app gives the same image.
    ...(opts.creationTime === undefined ? [] : [`SOURCE_DATE_EPOCH=${opts.creationTime}`]),
  ];
}

/** The creator's command line; the flags pack users know map onto its own flags. */
function creatorArgs(opts: CommandOptions, repo: LayoutRepo): string[] {
  // A --cache-image too: cnbkit mirrors it there (layer-guard/cache-image.ts).
  const cache = ["-cache-dir", "/cache"];
  return [
    "/cnb/lifecycle/creator",
    "-app",
    "/workspace",
    "-layers",
    "/layers",
    "-platform",
    "/platform",
    ...cache,
    "-run-image",
    repo.runName,
    "-layout",
    "-layout-dir",
    LAYOUT_REPO_MOUNT,
    "-log-level",
    opts.logLevel ?? "info",
    ...(opts.color ? [] : ["-no-color"]),
    "-report",
    "/layers/report.toml",
    ...(opts.clearCache ? ["-skip-restore"] : []),
    ...(opts.defaultProcess ? ["-process-type", opts.defaultProcess] : []),
    repo.appName,
  ];
}

/**
 * Opens the isolated network a build's containers share (`opts.network` isolated, the
 * default); undefined for host or none. Started as the build starts, so pasta's start
 * overlaps the builder's and the inputs' preparation (docs/untrusted-buildpacks.md).
 */
export function openBuildNetwork(
  opts: Pick<BuildOptions, "network" | "secrets" | "env">,
): Promise<IsolatedNetwork | undefined> {
  if ((opts.network ?? "isolated") !== "isolated") return Promise.resolve(undefined);
  return openIsolatedNetwork({ loopbackPorts: buildLoopbackPorts(opts) });
}

/**
 * The host-loopback ports a build reaches: the proxy its env names, a mirror in --env, an
 * index or registry URL in a --secret (a private index on this machine: the user named it).
 */
function buildLoopbackPorts(opts: Pick<BuildOptions, "secrets" | "env">): number[] {
  const secrets = (opts.secrets ?? []).map((s) => {
    try {
      return readFileSync(s.src, "utf8").slice(0, 65_536);
    } catch {
      return ""; // unreadable: secret-flag.ts names it when it makes the binding
    }
  });
  return loopbackPortsOf(process.env, [], [...Object.values(opts.env ?? {}), ...secrets]);
}

/** The one line (and hint) for a build the stall watchdog stopped in `phase`. */
function stallError(phase: string, timeoutMs: number, execution: string, output: string): CnbError {
  const where = phase ? `phase ${phase}` : "the lifecycle's start (before ANALYZING)";
  const waits =
    phase === "DETECTING" || phase === "BUILDING"
      ? `a buildpack's ${phase === "DETECTING" ? "detect" : "build"} is waiting on something (a lock, a prompt, the network)`
      : "the lifecycle is waiting on something (a registry, the disk)";
  const qemu =
    execution === "emulated"
      ? "under emulation a qemu older than 8.0 hangs Go programs: check the interpreter in /proc/sys/fs/binfmt_misc (cnbkit registers qemu >= 8 as root); otherwise "
      : "";
  return new CnbError(
    `build stalled in ${where}: no output and no CPU time for ${formatStallTimeout(timeoutMs)}; stopped the build container, ${output} is unchanged`,
    {
      hint: `${qemu}${waits}: rerun with --verbose to see the last step, or raise --stall-timeout (CNBKIT_STALL_TIMEOUT; 0 turns the watchdog off)`,
    },
  );
}

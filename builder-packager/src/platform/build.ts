/**
 * `cnbkit build`: turns app source into an OCI image by running the real CNB lifecycle
 * inside the builder's root filesystem with runc, with no Docker daemon.
 *
 * One container runs the lifecycle's `creator` (analyze, detect, restore, build, export in
 * one process): fewer moving parts than five containers, one place for output and exit
 * codes, and the phases share no state through the host. The lifecycle always exports to
 * an OCI layout "repository" (experimental `-layout` mode): the run image and the previous
 * app image are placed there first, the exported app image is copied out afterwards to the
 * requested OCI layout or registry. So registry and layout outputs take one path, the run
 * image may itself be an OCI layout, and the output is only written once the build
 * succeeded (nothing half-written on failure). The build cache is a directory per app and
 * builder; the previous image (for "Reusing layer") is the current output image.
 *
 * The unpacked builder is in use (never pruned) from its unpack until the build ends, and
 * released then. What the user sees of the lifecycle's output, and what is read from it,
 * is lifecycle-output.ts's business; cnbkit prints one digest, that of the image written.
 */
import { createHash } from "node:crypto";
import { chown, mkdir, mkdtemp, rm, stat, writeFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import { CnbError } from "@cnbkit/framework";
import {
  cnbkitCacheDir,
  lockBuildCache,
  ownedPrefix,
  pruneCacheKind,
  STALE_PREFIXES,
  sweepStale,
  useCacheEntry,
} from "../cache/index.js";
import {
  basicAuth,
  canonicalOciManifest,
  copyImage,
  type Descriptor,
  type Digest,
  type ImageConfig,
  type ImageManifest,
  type ImageSource,
  jsonBlob,
  loadCredentials,
  MEDIA_TYPES,
  OciLayout,
  openImageSink,
  openImageSource,
  parseReference,
  type Platform,
  RegistryClient,
} from "../oci/index.js";
import { type AdhocBuildpack, type AdhocOrder, applyAdhocOrder } from "./adhoc-buildpacks.js";
import { appMetadata } from "./app-image.js";
import { checkBuildFlags } from "./build-flags.js";
import { copyBuildOutputs } from "./build-outputs.js";
import { type BuildRecord, builderFacts, builtBy, type SourceTree, treeDigest } from "./build-record.js";
import { type BuildBuilder, type BuildRunImage, openRunImage, resolveBuilder, runImageRef } from "./build-builder.js";
import { runImageShellEnv } from "./run-image-shell.js";
import {
  type BindMount,
  checkRunnable,
  formatStallTimeout,
  openRootfsView,
  proxyEnv,
  type RootfsView,
  runContainer,
  stallTimeoutFromEnv,
} from "../container/index.js";
import { chownLayoutDirs, layoutPathOf, placeImage, reclaimLayout, withBlobsFrom } from "./layout-repo.js";
import { creatorPlatformApi, DEFAULT_EXEC_ENV, execEnvVars } from "./exec-env.js";
import { exitMessage, LIFECYCLE_EXIT } from "./lifecycle-exit.js";
import {
  type AppliedRun,
  applyBuildExtensions,
  applyRunExtensions,
  markNotRebasable,
  pinSwitchedRunImage,
  switchedRunImage,
} from "../extensions/index.js";
import { LAYOUT_REPO_MOUNT, LifecycleOutput, type PhaseTime } from "./lifecycle-output.js";
import type { PullPolicy } from "./pull-policy.js";
import { type ProjectDescriptor, readProjectDescriptor } from "./project-descriptor.js";
import { copyWorkspace } from "./workspace.js";
import {
  checkPlatformApi,
  defaultPlatformApi,
  type FlagSetName,
  type LifecycleMode,
  lifecycleMode,
  modeLine,
  withExtensions,
  type PhaseInputs,
  phaseCommands,
  phaseEnv,
  phaseMounts,
  registryAuthJson,
  runPhases,
} from "./phases/index.js";

/**
 * The Platform API of the creator when the builder's lifecycle lacks 0.15; with 0.15 (lifecycle
 * 0.21 supports 0.7–0.15) it speaks that, for exec-env and /cnb/system.toml (exec-env.ts).
 */
export const PLATFORM_API = "0.14";

/** Names the app and run images carry inside the lifecycle's layout repository. */
const APP_NAME = "cnbkit.local/app";
const RUN_NAME = "cnbkit.local/run";

/** A service binding: `dir` (servicebinding.io layout: `type`, `provider`, secrets) mounted as `name`. */
export interface Binding {
  name: string;
  dir: string;
}

/** Options of {@link buildApp}. */
export interface BuildOptions {
  /** The app source directory. */
  appDir: string;
  /**
   * The builder: an unpacked root filesystem directory (with /cnb/lifecycle), or an image
   * reference (`oci:dir[:tag]`, registry ref) that is unpacked and cached by digest.
   */
  builder?: string;
  /** The project descriptor (default `<appDir>/project.toml`); flags win over what it says. */
  descriptor?: string;
  /** The build container's network: the host's (default) or none at all (pack's `--network`). */
  network?: "host" | "none";
  /**
   * When a registry builder or run image is fetched (pack's `--pull-policy`): `if-not-present`
   * (default) uses what is unpacked or cached, `always` asks the registry for the tag's digest
   * every build, `never` fails when it is not here.
   */
  pullPolicy?: PullPolicy;
  /** Where the app image goes: `oci:<dir>[:tag]` or a registry reference. */
  output: string;
  /** Run image reference; default: the first image in the builder's /cnb/run.toml. */
  runImage?: string;
  /** Build-time env for buildpacks, written as /platform/env/<K> files. */
  env?: Record<string, string>;
  /** Service bindings, mounted read-only at /platform/bindings/<name>. */
  bindings?: Binding[];
  /** Build cache dir; default `<cache>/build-cache/<hash of app dir and builder>`. */
  cacheDir?: string;
  /** cnbkit's cache root (default `$CNBKIT_CACHE` or ~/.cache/cnbkit). */
  cnbkitCache?: string;
  /** CNB user when `builder` is a directory (an image's CNB_USER_ID/CNB_GROUP_ID win). */
  cnbUser?: { uid: number; gid: number };
  /** Each line the lifecycle (and cnbkit) prints, as it happens. */
  onOutput?: (line: string, stream: "stdout" | "stderr") => void;
  /** Aborting kills the build container; the output is left as it was. */
  signal?: AbortSignal;
  /** Lifecycle log level (default info). */
  logLevel?: "debug" | "info" | "warn" | "error";
  /**
   * Let the lifecycle colour its output (phase headers, `ERROR:`). Off by default: the
   * lifecycle colours even into a pipe, so the caller decides (the CLI: a terminal and no NO_COLOR).
   */
  color?: boolean;
  /**
   * The platform to build for (default: this machine's): picks that image from a multi-arch
   * builder's index (and from a multi-arch run image); another arch runs under qemu.
   */
  platform?: Platform;
  /**
   * Stop the build when a phase makes no progress (no output, no CPU time) for this long, in
   * ms; 0 turns the watchdog off. Default `$CNBKIT_STALL_TIMEOUT` or 5 minutes.
   */
  stallTimeoutMs?: number;
  /** Empty the build cache first and restore no layers (pack's `--clear-cache`). */
  clearCache?: boolean;
  /** The process type the image starts by default (the creator's `-process-type`). */
  defaultProcess?: string;
  /**
   * The execution environment (pack's `--exec-env`, default `production`): buildpacks whose
   * buildpack.toml `exec-env` leaves it out do not take part. Needs Platform API 0.15.
   */
  execEnv?: string;
  /** More references the app image is also written to (pack's `--tag`). */
  tags?: string[];
  /** The image's creation time, seconds since the epoch (`SOURCE_DATE_EPOCH`); default: reproducible. */
  creationTime?: number;
  /** Copy the build's SBOMs (the lifecycle's `<layers>/sbom`) here once the image is written. */
  sbomOutputDir?: string;
  /** Copy the lifecycle's report.toml here once the image is written. */
  reportOutputDir?: string;
  /** A registry image the lifecycle keeps the build cache in instead of the cache dir. */
  cacheImage?: string;
  /** The image whose layers the exporter may reuse (default: the output image). */
  previousImage?: string;
  /**
   * Buildpacks that replace the builder's order as one group, in this order (pack's
   * `--buildpack`): a source or compiled dir, a `.cnb`, `oci:<dir>`, a registry ref, or
   * `id[@version]` of a buildpack the builder has. Relative paths resolve against the cwd.
   */
  buildpacks?: string[];
  /** Buildpacks put before every group (pack's `--pre-buildpack`); same forms as {@link buildpacks}. */
  preBuildpacks?: string[];
  /** Buildpacks put after every group (pack's `--post-buildpack`). */
  postBuildpacks?: string[];
  /**
   * Called for each place the image is written (the output, then each `--tag`) once its
   * blobs and manifest are there by digest and before its tag moves: signing and attesting
   * happen here, so a tag only ever names an image that is sealed. A throw leaves the tag
   * where it was.
   */
  seal?: (image: SealRequest) => Promise<void>;
  /**
   * Run the analyzer, detector, restorer, builder and exporter each in a container of its
   * own (pack's untrusted-builder flow) instead of the creator, whatever the builder.
   */
  phases?: boolean;
  /**
   * Trust the builder: true runs the creator, false runs phases. Default (pack's rule, see
   * phases/trust.ts): a builder on this machine or one of pack's known builders is trusted,
   * any other registry builder is not.
   */
  trustBuilder?: boolean;
  /** Whose flags the phases get (default `cnbkit`): `kpack`'s build pod or Tekton's buildpacks-phases task. */
  phaseFlags?: FlagSetName;
  /** The Platform API the phases run at (default: the flag set's; checked against the builder's lifecycle). */
  platformApi?: string;
}

/** What {@link BuildOptions.seal} gets: where the image is, its digest, and the build's record. */
export interface SealRequest {
  /** The reference as the user gave it (`--output` or a `--tag`). */
  ref: string;
  digest: Digest;
  record: BuildRecord;
  /** The image as written, to read its config and SBOM layers. */
  source: ImageSource;
}

/** What {@link buildApp} produced. */
export interface BuildResult {
  /** The output reference as given. */
  image: string;
  /** Manifest digest of the app image. */
  digest: string;
  /** Layer names the exporter reused from the previous image ("Reusing layer '...'"). */
  reusedLayers: string[];
  /** The build cache dir used. */
  cacheDir: string;
  /** Each lifecycle phase the creator ran (`analyze`, `detect`, ...) and how long it took, in order. */
  phases: PhaseTime[];
  /** The whole build, from the call to the written image, in ms. */
  totalMs: number;
}

/** What the steps of one build share. */
interface Build {
  opts: BuildOptions & { builder: string };
  say: (line: string) => void;
  builder: BuildBuilder;
  run: BuildRunImage;
  /** The output's tag (`latest` when it names none). */
  outTag: string;
  /** When the build started (for provenance). */
  startedOn: Date;
  /** The digest of /workspace as the lifecycle saw it; only when the image is sealed. */
  sourceTree?: SourceTree;
  /** Creator or phases (phases/trust.ts). */
  mode: LifecycleMode;
  /** The Platform API the lifecycle runs at. */
  platformApi: string;
  /** The run image layer the extensions' run.Dockerfiles made (extensions/apply-run.ts), if any. */
  extendedRun?: AppliedRun;
}

/**
 * Builds `appDir` with the builder's buildpacks and writes the app image to `output`.
 * Throws a one-line {@link CnbError} for anything the user can fix (missing app dir or
 * builder, no buildpack detected, a failed buildpack).
 *
 * @example
 * const r = await buildApp({ appDir: "my-app", builder: "oci:out/builder", output: "oci:out/app:latest",
 *   onOutput: (l) => console.log(l) });
 */
export async function buildApp(options: BuildOptions): Promise<BuildResult> {
  const appDir = resolve(options.appDir);
  if (!(await stat(appDir).catch(() => undefined))?.isDirectory()) {
    throw new CnbError(`app directory ${options.appDir} does not exist`);
  }
  const project = await readProjectDescriptor(appDir, options.descriptor);
  const builder = options.builder ?? project.builder;
  if (!builder) {
    throw new CnbError("no builder given: pass --builder <ref>, or set builder in project.toml's [io.buildpacks]");
  }
  if (!options.builder) options.onOutput?.(`Using builder ${builder} (from ${project.file})`, "stdout");
  return buildWithBuilder({ ...options, builder }, appDir, project);
}

/** {@link buildApp} once the builder is known. */
async function buildWithBuilder(
  opts: BuildOptions & { builder: string },
  appDir: string,
  project: ProjectDescriptor,
): Promise<BuildResult> {
  const started = performance.now();
  const say = (line: string) => opts.onOutput?.(line, "stdout");
  const outRef = parseReference(opts.output);
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
  const cache = opts.cnbkitCache ?? cnbkitCacheDir();
  const builder = await resolveBuilder(opts, cache, say);
  try {
    const mode = withExtensions(asked, builder.labels);
    const runRef = await runImageRef(builder, opts.builder, opts.runImage);
    // The run image must match the platform we build for.
    const run = await openRunImage(builder, opts.builder, runRef, opts.pullPolicy);
    const platformApi = checkedPlatformApi(opts, mode, builder);
    const build: Build = {
      opts,
      say,
      builder,
      run,
      outTag: outRef.tag ?? "latest",
      startedOn: new Date(),
      mode,
      platformApi,
    };
    const line = modeLine(mode, opts.builder);
    if (line) say(opts.platformApi || opts.phaseFlags ? `${line}, Platform API ${platformApi}` : line);
    const stallTimeoutMs = opts.stallTimeoutMs ?? stallTimeoutFromEnv();
    // A foreign-arch builder (arm64 here) runs its lifecycle and buildpacks under qemu.
    const execution = await checkRunnable(`builder ${opts.builder}`, run.config, { onLog: say });
    if (execution === "emulated") {
      say(`Building for linux/${builder.architecture} under qemu emulation (slower than a native build)`);
    }
    const buildCache = await useBuildCache(opts, cache, appDir, builder, say);
    const work = await makeWorkDir(cache);
    let view: RootfsView | undefined;
    try {
      view = await openRootfsView(
        builder.rootfs,
        (l) => {
          if (opts.logLevel === "debug") say(l);
        },
        work,
      );
      await prepareWorkspace(view.path, appDir, project, builder);
      if (opts.seal) build.sourceTree = await treeDigest(join(view.path, "workspace"));
      await applyAdhocOrder(view.path, adhocOrder(opts, project), {
        baseDir: process.cwd(),
        workDir: join(work, "adhoc"),
        platform: builder.platform,
        say,
      });
      const buildEnv = buildEnvFor(build, project.env);
      const mounts = await preparePlatform(work, buildEnv, opts.bindings ?? []);
      const repo = await prepareLayoutRepo(build, join(work, "layout-repo"));
      // The cache and the images: the creator's, or only the analyzer's, restorer's and exporter's.
      const state: BindMount[] = [
        { source: buildCache.dir, destination: "/cache" },
        { source: repo.dir, destination: LAYOUT_REPO_MOUNT },
      ];
      const output = await runLifecycle(
        build,
        view.path,
        repo,
        { shared: mounts, state },
        { stallTimeoutMs, execution },
      );
      const written = await writeAppImage(build, repo, Object.keys(buildEnv));
      await copyBuildOutputs(join(view.path, "layers"), opts, written);
      return {
        image: opts.output,
        digest: written.digest,
        reusedLayers: output.reused,
        cacheDir: buildCache.dir,
        phases: output.phaseTimes(),
        totalMs: performance.now() - started,
      };
    } finally {
      // The view (unmounted first) is inside the work dir.
      await view?.release();
      await rm(work, { recursive: true, force: true });
      await buildCache.done();
    }
  } finally {
    await builder.release();
  }
}

/**
 * The build-time env: project.toml's, then the user's `--env` (theirs win), over what the
 * platform adds for the run image (`BP_RUN_IMAGE_SHELL=false` for one with no shell).
 */
function buildEnvFor(build: Build, projectEnv: Record<string, string>): Record<string, string> {
  const userEnv = { ...projectEnv, ...(build.opts.env ?? {}) };
  const shell = runImageShellEnv(build.run.config, userEnv);
  if (shell.line) build.say(shell.line);
  return { ...shell.env, ...userEnv };
}

/** The build cache of a build: the user's `--cache-dir`, or ours per app and builder. */
async function useBuildCache(
  opts: BuildOptions,
  cache: string,
  appDir: string,
  builder: BuildBuilder,
  say: (line: string) => void,
): Promise<{ dir: string; done: () => Promise<void> }> {
  const cacheName = hash(appDir, builder.id);
  const buildCaches = opts.cacheDir ? undefined : resolve(cache, "build-cache"); // ours to bound; a --cache-dir is the user's
  const dir = resolve(opts.cacheDir ?? join(cache, "build-cache", cacheName));
  if (buildCaches) await useCacheEntry(buildCaches, cacheName);
  // One build at a time per cache.
  const lock = await lockBuildCache(dir, say).catch((err: Error) => {
    throw new CnbError(err.message, { hint: "Give --cache-dir a path in a folder you can write to.", cause: err });
  });
  try {
    if (opts.clearCache) {
      say("Clearing the build cache (--clear-cache): every layer is built afresh");
      await rm(dir, { recursive: true, force: true });
    }
    await chownTree(dir, builder.uid, builder.gid);
  } catch (err) {
    await lock.release();
    throw err;
  }
  return {
    dir,
    done: async () => {
      await lock.release();
      if (buildCaches) await pruneCacheKind("buildCaches", buildCaches, { keep: cacheName, onProgress: say });
    },
  };
}

/** The ad-hoc order of a build: the command line's buildpacks win over project.toml's groups. */
function adhocOrder(opts: BuildOptions, project: ProjectDescriptor): AdhocOrder {
  const flag = (refs: string[] | undefined, where: string): AdhocBuildpack[] | undefined =>
    refs?.length ? refs.map((ref) => ({ ref, where })) : undefined;
  return {
    group: flag(opts.buildpacks, "--buildpack") ?? project.group,
    pre: flag(opts.preBuildpacks, "--pre-buildpack") ?? project.pre,
    post: flag(opts.postBuildpacks, "--post-buildpack") ?? project.post,
  };
}

/** A fresh work dir under `<cache>/tmp`, after sweeping those of dead builds. */
async function makeWorkDir(cache: string): Promise<string> {
  const tmpRoot = join(cache, "tmp");
  await mkdir(tmpRoot, { recursive: true });
  await sweepStale(tmpRoot);
  return mkdtemp(join(tmpRoot, ownedPrefix(STALE_PREFIXES.build)));
}

/**
 * Fills /workspace (the app, as project.toml selects it) and an empty /layers in the
 * container's root. They are directories of the per-build view, not bind mounts: on one
 * mount, a buildpack's move from the app into a layer (node_modules) is a rename; across two
 * mounts it was a copy of every file (EXDEV). Made afresh, so nothing the builder image has
 * there shows through.
 */
async function prepareWorkspace(
  root: string,
  appDir: string,
  project: ProjectDescriptor,
  { uid, gid }: BuildBuilder,
): Promise<void> {
  const workspace = join(root, "workspace");
  const layers = join(root, "layers");
  await Promise.all([workspace, layers].map((d) => rm(d, { recursive: true, force: true })));
  await copyWorkspace(appDir, workspace, project, { uid, gid });
  await chownTree(layers, uid, gid);
}

/**
 * Writes `<work>/platform` (env files) and returns the mounts of it and of each service
 * binding (read-only under /platform/bindings/<name>).
 */
async function preparePlatform(work: string, env: Record<string, string>, bindings: Binding[]): Promise<BindMount[]> {
  const platform = join(work, "platform");
  await mkdir(join(platform, "env"), { recursive: true });
  await mkdir(join(platform, "bindings"), { recursive: true });
  for (const [k, v] of Object.entries(env)) {
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(k)) throw new CnbError(`--env ${k}: not a valid environment variable name`);
    await writeFile(join(platform, "env", k), v);
  }
  const mounts: BindMount[] = [{ source: platform, destination: "/platform", readonly: true }];
  for (const b of bindings) {
    if (!(await stat(b.dir).catch(() => undefined))?.isDirectory()) {
      throw new CnbError(`binding ${b.name}: ${b.dir} is not a directory`);
    }
    if (!/^[A-Za-z0-9_.-]+$/.test(b.name)) throw new CnbError(`binding name "${b.name}" is not a valid directory name`);
    await mkdir(join(platform, "bindings", b.name));
    mounts.push({ source: resolve(b.dir), destination: `/platform/bindings/${b.name}`, readonly: true });
  }
  return mounts;
}

/** The lifecycle's layout repository of one build, with the images placed in it. */
interface LayoutRepo {
  dir: string;
  /** The run image's name in the repository. */
  runName: string;
  /** The app image's name in the repository (exported there). */
  appName: string;
  /** The app image's layout dir. */
  appPath: string;
  /** The previous app image (the current output), when there is one. */
  previous: ImageSource | undefined;
}

/**
 * Makes the layout repository at `dir` and places the run image and the previous app image
 * in it. Both go in sparse (see placeImage): the run image without layers, the previous image
 * with only its SBOM layer, which the analyzer reads to restore launch SBOMs.
 */
async function prepareLayoutRepo({ opts, say, builder, run, outTag }: Build, dir: string): Promise<LayoutRepo> {
  await chownTree(dir, builder.uid, builder.gid);
  // A registry run image keeps its name, so the app image records it (rebase finds it
  // again); a layout run image has no registry name and goes by a local one.
  const runParsed = parseReference(run.ref);
  const runName =
    runParsed.kind === "registry" && !runParsed.digest
      ? `${runParsed.registry}/${runParsed.repository}:${runParsed.tag ?? "latest"}`
      : `${RUN_NAME}:latest`;
  const appName = `${APP_NAME}:${outTag}`;
  say(`Placing run image ${run.ref}`);
  await placeImage(
    run.source,
    join(dir, layoutPathOf(runName)),
    runName.slice(runName.lastIndexOf(":") + 1),
    () => false,
  );
  const appPath = join(dir, layoutPathOf(appName));
  const previousRef = opts.previousImage ?? opts.output;
  let previous = await openImageSource(previousRef).catch(() => undefined);
  if (previous && (await previous.manifest().catch(() => undefined))) {
    say(`Previous image ${previousRef}`);
    const sbom = previousSbomLayer(await previous.config());
    await placeImage(previous, appPath, outTag, (_, diffId) => diffId === sbom);
  } else if (opts.previousImage) {
    throw new CnbError(
      `--previous-image ${opts.previousImage}: cannot read it; give an image that exists or leave it out`,
    );
  } else {
    previous = undefined;
  }
  await chownLayoutDirs(dir, builder.uid, builder.gid);
  return { dir, runName, appName, appPath, previous };
}

/**
 * The build's Platform API ({@link lifecyclePlatformApi}), with an exec env it cannot carry
 * found out before any work (phases at kpack's 0.9 and `--exec-env test`).
 */
function checkedPlatformApi(
  opts: BuildOptions & { builder: string },
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
function lifecyclePlatformApi(opts: BuildOptions, mode: LifecycleMode, builder: BuildBuilder): string {
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

/**
 * Runs the lifecycle in the builder's view: the creator in one container, or each phase in
 * its own (the same user, rootfs and network; the cache and layout repository, `mounts.state`,
 * and registry credentials only where phases/phase-container.ts puts them). Follows the
 * output and throws the one-line error of a failed, stalled or aborted build.
 */
async function runLifecycle(
  build: Build,
  rootfs: string,
  repo: LayoutRepo,
  mounts: { shared: BindMount[]; state: BindMount[] },
  { stallTimeoutMs, execution }: { stallTimeoutMs: number; execution: string },
): Promise<LifecycleOutput> {
  const { opts, builder, run } = build;
  const { uid, gid } = builder;
  const output = new LifecycleOutput({
    // The view: ad-hoc buildpacks are there, not in the cached builder.
    builderRootfs: rootfs,
    names: [
      { path: layoutPathOf(repo.appName), ref: opts.output },
      { path: layoutPathOf(repo.runName), ref: run.ref },
    ],
    raw: opts.logLevel === "debug",
    show: (line, stream) => opts.onOutput?.(line, stream),
  });
  let stalled: { phase: string; idleMs: number } | undefined;
  const inContainer = (args: string[], env: string[], containerMounts: BindMount[]) =>
    runContainer({
      rootfs,
      args,
      env,
      cwd: "/workspace",
      user: { uid, gid },
      mounts: containerMounts,
      ...(opts.network === "none" ? { network: "none" as const } : { hostNetwork: true as const }),
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
  // A trusted builder's creator gets the credentials as pack gives them; phases, only the
  // analyzer, restorer and exporter.
  const registryAuth = await cacheRegistryAuth(opts);
  const base = lifecycleEnv(build);
  let code: number;
  if (build.mode.kind === "creator") {
    const env = registryAuth ? [...base, `CNB_REGISTRY_AUTH=${registryAuth}`] : base;
    code = await inContainer(creatorArgs(opts, repo), env, [...mounts.shared, ...mounts.state]);
  } else {
    const commands = phaseCommands(opts.phaseFlags ?? "cnbkit", phaseInputs(build, repo));
    let switched: string | undefined;
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
            ...(registryAuth ? { registryAuth } : {}),
          }),
          phaseMounts(phase, mounts.shared, mounts.state),
        ),
      (header) => output.line(header, "stdout"),
      async (phase) => {
        if (phase === "restore" && switched) {
          await pinSwitchedRunImage(join(rootfs, "layers"), repo.dir, LAYOUT_REPO_MOUNT);
          await chownLayoutDirs(repo.dir, uid, gid);
        }
        if (phase === "detect") switched = await applyExtensions(build, rootfs, repo, (l) => output.line(l, "stdout"));
      },
    );
    code = result.code;
  }
  // A failed build's last error line (and hint) goes into the one final line, not twice.
  const failure =
    code === LIFECYCLE_EXIT.failedBuild && !opts.signal?.aborted && !stalled ? output.failure() : undefined;
  output.flush();
  output.end();
  if (opts.signal?.aborted) throw new CnbError("build aborted; the output image was not changed");
  if (stalled) throw stallError(stalled.phase, stallTimeoutMs, execution, opts.output);
  if (code !== 0) {
    const hint = failure?.error === undefined ? undefined : failure.hint;
    throw new CnbError(
      exitMessage(code, output.lastLines, output.group, failure),
      hint === undefined ? undefined : { hint },
    );
  }
  return output;
}

/**
 * After the detector, cnbkit is the extender (extensions/): the run image a run.Dockerfile
 * switches to is placed, the build.Dockerfiles extend the build image, and the run.Dockerfiles'
 * RUN lines make the extended run image the exporter reads. Returns the switched image's name.
 */
async function applyExtensions(
  build: Build,
  rootfs: string,
  repo: LayoutRepo,
  say: (line: string) => void,
): Promise<string | undefined> {
  const { opts, builder } = build;
  const switched = await placeSwitchedRunImage(build, rootfs, repo);
  const common = {
    uid: builder.uid,
    gid: builder.gid,
    say,
    network: opts.network === "none" ? ("none" as const) : ("host" as const),
    ...(opts.signal ? { signal: opts.signal } : {}),
  };
  await applyBuildExtensions({ rootfs, builderRef: opts.builder ?? "", ...common });
  build.extendedRun = await applyRunExtensions({
    layersDir: join(rootfs, "layers"),
    runImage: build.run,
    platform: builder.platform,
    ...(opts.cnbkitCache ? { cacheDir: opts.cnbkitCache } : {}),
    ...common,
  });
  return switched;
}

/**
 * An extension's run.Dockerfile switched the run image (extensions/switch-run-image.ts): the
 * new one is opened as the run image is and placed in the layout repository (config only,
 * as the first; the exporter's layers come from it when the app image is written).
 */
async function placeSwitchedRunImage(build: Build, rootfs: string, repo: LayoutRepo): Promise<string | undefined> {
  const switched = await switchedRunImage(join(rootfs, "layers"), repo.runName);
  if (!switched) return undefined;
  const name = switched.image;
  build.say(`Run image switched by extension ${switched.extension} to ${name}`);
  // The image is the extension's choice, not the user's: an unreachable or wrong one is
  // named with the extension and its run.Dockerfile, where the fix is.
  build.run = await openRunImage(build.builder, build.opts.builder, name, build.opts.pullPolicy).catch(
    (err: unknown) => {
      throw new CnbError(
        `extension ${switched.extension}: run.Dockerfile FROM ${name}: ${err instanceof Error ? err.message : String(err)}`,
        {
          cause: err,
          hint: "fix the image the extension's run.Dockerfile names, or make its registry reachable from here",
        },
      );
    },
  );
  await placeImage(
    build.run.source,
    join(repo.dir, layoutPathOf(name)),
    name.slice(name.lastIndexOf(":") + 1),
    () => false,
  );
  await chownLayoutDirs(repo.dir, build.builder.uid, build.builder.gid);
  return name;
}

/** What the phases' command lines are made of (phases/flag-sets.ts). */
function phaseInputs({ opts, builder, platformApi }: Build, repo: LayoutRepo): PhaseInputs {
  return {
    platformApi,
    appName: repo.appName,
    runName: repo.runName,
    cache: opts.cacheImage ? { image: opts.cacheImage } : { dir: "/cache" },
    insecureRegistries: opts.cacheImage ? insecureRegistries(opts.cacheImage) : [],
    uid: builder.uid,
    gid: builder.gid,
    logLevel: opts.logLevel ?? "info",
    color: opts.color === true,
    skipLayers: opts.clearCache === true,
    ...(opts.defaultProcess ? { processType: opts.defaultProcess } : {}),
  };
}

/**
 * CNB_REGISTRY_AUTH for the phases that talk to a registry: the user's credentials for the
 * `--cache-image` registry (the only registry the lifecycle reaches; images go through the
 * layout repository), or none.
 */
async function cacheRegistryAuth(opts: BuildOptions): Promise<string | undefined> {
  if (!opts.cacheImage) return undefined;
  const ref = parseReference(opts.cacheImage);
  if (ref.kind !== "registry") return undefined;
  const creds = await loadCredentials(ref.registry);
  return registryAuthJson(creds ? { [ref.registry]: basicAuth(creds) } : {});
}

/**
 * The lifecycle's environment, the creator's or each phase's: the builder's, and what cnbkit
 * sets for the platform at the build's Platform API (the phases' may be below 0.15, where a
 * non-production exec env is one line, not ignored).
 */
function lifecycleEnv({ builder, opts, platformApi: api }: Build): string[] {
  return [
    ...builder.env.filter((e) => !e.startsWith("CNB_PLATFORM_API=") && !e.startsWith("CNB_EXEC_ENV=")),
    `CNB_PLATFORM_API=${api}`,
    ...execEnvVars(opts.execEnv ?? DEFAULT_EXEC_ENV, api, opts.builder ?? ""),
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
function creatorArgs(opts: BuildOptions, repo: LayoutRepo): string[] {
  const cache = opts.cacheImage
    ? ["-cache-image", opts.cacheImage, ...insecureRegistryArgs(opts.cacheImage)]
    : ["-cache-dir", "/cache"];
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

/** A registry on this machine speaks plain HTTP: the lifecycle is told so, as cnbkit's own client knows. */
function insecureRegistryArgs(ref: string): string[] {
  return insecureRegistries(ref).flatMap((r) => ["-insecure-registry", r]);
}

/** `ref`'s registry when it is one on this machine (plain HTTP), else none. */
function insecureRegistries(ref: string): string[] {
  const parsed = parseReference(ref);
  if (parsed.kind !== "registry") return [];
  const host = parsed.registry.replace(/:\d+$/, "");
  return host === "localhost" || host === "127.0.0.1" || host === "[::1]" ? [parsed.registry] : [];
}

/**
 * Copies the exported image out to the output and returns its digest; only now does the
 * output change. The digest is that of what was written: copying into an OCI layout
 * normalises the lifecycle's Docker media types, which changes the manifest. The lifecycle's
 * manifest is re-encoded as canonical OCI JSON first, so the same app gives the same digest
 * whether its layers were new (cold) or reused (rebuild).
 */
async function writeAppImage(build: Build, repo: LayoutRepo, envNames: string[]): Promise<Descriptor> {
  const { opts, say, run, outTag } = build;
  await reclaimLayout(repo.appPath);
  const exportLayout = await OciLayout.open(repo.appPath);
  const lifecycleManifest = await exportLayout.resolve(outTag).catch(() => exportLayout.resolve());
  let exportedRef = `oci:${repo.appPath}@${lifecycleManifest.digest}`;
  if (lifecycleManifest.kind === "manifest") {
    let canonical = canonicalOciManifest(lifecycleManifest);
    // The exporter added the extension layers but, in layout mode, not the extended config's label.
    if (build.extendedRun) {
      const labelled = await markNotRebasable(
        exportLayout,
        JSON.parse(canonical.bytes.toString("utf8")) as ImageManifest,
      );
      canonical = jsonBlob(labelled, MEDIA_TYPES.manifest);
    }
    await exportLayout.putBlob(canonical.bytes, { mediaType: canonical.descriptor.mediaType });
    exportedRef = `oci:${repo.appPath}@${canonical.descriptor.digest}`;
  }
  // The run image's layers and the reused app layers were never placed: they come from
  // where they are.
  const sources = repo.previous ? [run.source, repo.previous] : [run.source];
  const exported = withBlobsFrom(await openImageSource(exportedRef), sources);
  const record =
    opts.seal && build.sourceTree ? await buildRecord(build, build.sourceTree, exported, envNames) : undefined;
  const write = async (ref: string, tag: string): Promise<Descriptor> => {
    say(`Writing ${ref}`);
    const sink = await openImageSink(ref);
    if (!opts.seal || !record) return (await copyImage(exported, sink, { tag })).descriptor;
    const copied = await copyImage(exported, sink, { tag: null });
    await opts.seal({ ref, digest: copied.descriptor.digest, record, source: exported });
    return sink.putManifest(copied.bytes, copied.descriptor.mediaType, tag);
  };
  const descriptor = await write(opts.output, outTag);
  for (const tag of opts.tags ?? []) await write(tag, parseReference(tag).tag ?? "latest");
  return descriptor;
}

/** The facts of this build, for provenance (see build-record.ts). */
async function buildRecord(
  build: Build,
  sourceTree: SourceTree,
  exported: ImageSource,
  envNames: string[],
): Promise<BuildRecord> {
  const { opts, builder, run } = build;
  const { lifecycleVersion } = builderFacts(builder.labels);
  const runDigest = await run.source
    .image(builder.platform)
    .then((r) => r.manifest.digest)
    .catch(() => undefined);
  return {
    builder: { ref: opts.builder, ...(builder.id.startsWith("sha256:") ? { digest: builder.id } : {}) },
    buildpacks: builtBy(await exported.config(), builder.labels),
    runImage: { ref: run.ref, ...(runDigest ? { digest: runDigest } : {}) },
    ...(lifecycleVersion ? { lifecycleVersion } : {}),
    platformApi: build.platformApi,
    sourceTree,
    envNames,
    startedOn: build.startedOn,
    finishedOn: new Date(),
  };
}

function hash(...parts: string[]): string {
  return createHash("sha256").update(parts.join("\0")).digest("hex").slice(0, 24);
}

async function chownTree(dir: string, uid: number, gid: number): Promise<void> {
  await mkdir(dir, { recursive: true });
  await chown(dir, uid, gid);
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

/** The diffID of the previous image's launch-SBOM layer, if it is an app image with one. */
function previousSbomLayer(config: ImageConfig): string | undefined {
  try {
    return appMetadata(config, "previous image").lifecycle.sbom?.sha;
  } catch {
    return undefined;
  }
}

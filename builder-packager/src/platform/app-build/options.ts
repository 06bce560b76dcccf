/**
 * What `cnbkit build` (and any caller of {@link buildApp}) asks of a build, what its steps
 * share ({@link Build}), and what it gets back. The options are read in the order a build uses them: prepare.ts (builder, run image,
 * mode), inputs.ts (cache, workspace, platform dir), run-lifecycle.ts, write-image.ts.
 */
import type { ArchNeutralRole } from "@cnbkit/framework/packaging";
import type { ContainerNetwork } from "../../container/index.js";
import type { Digest, ImageSource, Platform } from "../../oci/index.js";
import type { BuildRecord } from "./record.js";
import type { PhaseTime } from "./lifecycle-output.js";
import type { PullPolicy } from "./pull-policy.js";
import type { Destination } from "./destination.js";
import type { SecretFlag } from "./layer-guard/index.js";
import type { BuildBuilder, BuildRunImage } from "./builder.js";
import type { FlagSetName, LifecycleMode } from "./phases/index.js";

/**
 * What one step reads of a {@link Build}: its parts `K` and its options `O`, so the step's
 * signature says what it depends on (as the buildpacks' steps take `StepContext<…>`). A whole
 * `Build` is one; only the stage's entries (build-app.ts's buildApp, multi-platform.ts's
 * buildPlatforms) take the whole bag, as `npm run lint:build-inputs` checks.
 */
export type BuildPart<K extends Exclude<keyof Build, "opts">, O extends keyof Build["opts"] = never> = Pick<
  Build,
  K
> & { opts: Pick<Build["opts"], O> };

/** A service binding: `dir` (servicebinding.io layout: `type`, `provider`, secrets) mounted as `name`. */
export interface Binding {
  name: string;
  dir: string;
}

/** Options of `buildApp` (build-app.ts). */
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
  /**
   * The build containers' network (`--network`): `isolated` (default), a namespace of each
   * container's own that reaches the outside (registries, mirrors, the proxy, DNS) but not
   * this machine's loopback, its addresses or the metadata ranges; `host`, this machine's
   * network as it is; `none`, no network at all.
   */
  network?: ContainerNetwork;
  /**
   * When a registry builder or run image is fetched (pack's `--pull-policy`): `if-not-present`
   * (default) uses what is unpacked or cached, `always` asks the registry for the tag's digest
   * every build, `never` fails when it is not here.
   */
  pullPolicy?: PullPolicy;
  /** Where the app image goes: `oci:<dir>[:tag]` or a registry reference. */
  output: string;
  /**
   * How messages name `output`: the progress line that writes it, and the layer guard's
   * refusal that says it is unchanged (default: `output` as given). A multi-platform build
   * stages each platform's image in a temp layout, whose path means nothing to the user: it
   * names the platform and the output the index goes to instead.
   */
  outputLabel?: string;
  /** Run image reference; default: the first image in the builder's /cnb/run.toml. */
  runImage?: string;
  /** Build-time env for buildpacks, written as /platform/env/<K> files. */
  env?: Record<string, string>;
  /** Service bindings, mounted read-only at /platform/bindings/<name>. */
  bindings?: Binding[];
  /**
   * `--secret`s: bindings of this build only, each made from one file (layer-guard/secret-flag.ts).
   * Their values, like every binding's, must not be in a new layer (layer-guard/).
   */
  secrets?: SecretFlag[];
  /** Build cache dir; default `<cache>/build-cache/<hash of app dir, output image and platform>` (build-cache-key.ts). */
  cacheDir?: string;
  /**
   * The image name the default build cache is keyed on (default: `output`): a multi-platform
   * build stages each platform's image elsewhere but keys its caches on the user's output.
   */
  cacheImageName?: string;
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
  /**
   * The arch-neutral store of a multi-platform build (multi-platform.ts sets it for each
   * platform): `dir` is bound at /platform/bindings/arch-neutral, writable when `role` is
   * `produce` (the native build), read-only when `reuse`; `reusers` are the architectures
   * of the builds that reuse (the producer's buildpacks may make a variant for each).
   */
  archNeutral?: { dir: string; role: ArchNeutralRole; reusers?: readonly string[] };
  /**
   * For a build under emulation: run this machine's builds of the builder's lifecycle and of
   * cnbkit buildpacks' Node.js runtime instead of the builder's under qemu, when cnbkit holds
   * them (native-lifecycle.ts, native-node-runtime.ts; default true). The tools the
   * buildpacks start run under qemu either way.
   */
  nativeLifecycle?: boolean;
}

/** What the steps of one build share. */
export interface Build {
  opts: BuildOptions & { builder: string };
  say: (line: string) => void;
  builder: BuildBuilder;
  /**
   * The run image `--run-image` or the builder names. An extension may switch it after
   * detect: then the image is built on the one apply-extensions.ts returns.
   */
  run: BuildRunImage;
  /** Where the image goes: the output first, then each `--tag`, parsed once (destination.ts). */
  destinations: Destination[];
  /** When the build started (for provenance). */
  startedOn: Date;
  /** Creator or phases (phases/trust.ts). */
  mode: LifecycleMode;
  /** The Platform API the lifecycle runs at. */
  platformApi: string;
  /** How the builder runs here: natively, or emulated under qemu. */
  execution: "native" | "emulated";
  /** The stall watchdog's timeout, in ms (0: off). */
  stallTimeoutMs: number;
}

/** What {@link BuildOptions.seal} gets: where the image is, its digest, and the build's record. */
export interface SealRequest {
  /** Where the image was written: the reference as given and parsed, and the tag still to move. */
  destination: Destination;
  digest: Digest;
  record: BuildRecord;
  /** The image as written, to read its config and SBOM layers. */
  source: ImageSource;
}

/** {@link BuildOptions} of a multi-platform build: also how the index is sealed. */
export interface MultiBuildOptions extends BuildOptions {
  /**
   * Share arch-neutral layers between the platforms (default true): the native platform is
   * built first and the others restore what its buildpacks declared arch-neutral instead of
   * building it again under emulation. False builds every platform in full.
   */
  shareArchNeutral?: boolean;
  /**
   * Called for each destination once the index and its images are there by digest (each image
   * already sealed through {@link BuildOptions.seal}) and before its tag moves.
   */
  sealIndex?: (req: IndexSealRequest) => Promise<void>;
}

/** One platform's image of a multi-platform build, as staged. */
export interface PlatformImage {
  platform: Platform;
  /** Its manifest digest (the same in the staging layout and at every destination). */
  digest: Digest;
  /** The single-platform build's result (phases, times, reused layers). */
  result: BuildResult;
  /** The build's record, for provenance; only when the build is sealed. */
  record?: BuildRecord;
}

/** What {@link MultiBuildOptions.sealIndex} gets: where the index is, its digest, and each platform's image. */
export interface IndexSealRequest {
  /** Where the index was written, and the tag still to move. */
  destination: Destination;
  /** The index's digest. */
  digest: Digest;
  /** Each platform's image (already sealed), with its build's record. */
  images: PlatformImage[];
}

/** What `buildApp` (build-app.ts) produced. */
export interface BuildResult {
  /** The output reference as given. */
  image: string;
  /** Manifest digest of the app image. */
  digest: string;
  /** Where the image was written, the output first, then each `--tag` (destination.ts). */
  destinations: Destination[];
  /** Layer names the exporter reused from the previous image ("Reusing layer '...'"). */
  reusedLayers: string[];
  /** The build cache dir used. */
  cacheDir: string;
  /** Each lifecycle phase the creator ran (`analyze`, `detect`, ...) and how long it took, in order. */
  phases: PhaseTime[];
  /** The whole build, from the call to the written image, in ms. */
  totalMs: number;
}

/**
 * The buildpack contract as an author sees it: what a buildpack definition is
 * ({@link BuildpackDefinition}), the contexts detect and build receive, what each returns,
 * and how a phase is run ({@link PhaseIO}). Types only: the phase runners (detect.ts,
 * build.ts), the entry point (main.ts) and the detect rules depend on this module, and it
 * depends on none of them, so the contract folder has no import cycle.
 */
import type { BuildPlan, Provide, Require } from "../cnb-files/build-plan-types.js";
import type { BuildpackDescriptor } from "../cnb-files/buildpack-toml.js";
import type { Label, Process, Slice } from "../cnb-files/launch-toml.js";
import type { Layers, MultiPlatform, SbomCollector } from "../layers/index.js";
import type { Logger } from "../log/logger.js";
import type { Bindings } from "../environment/bindings.js";
import type { ExecDHandler } from "../environment/exec-d.js";
import type { BuildTarget, Environment } from "../environment/platform.js";
import type { AppFiles } from "./app-files.js";
import type { Dependencies } from "./build-dependencies.js";
import type { BuildpackPlan } from "./buildpack-plan.js";

/** What a buildpack author writes. `M` is the type of buildpack.toml `[metadata]`. */
export interface BuildpackDefinition<M = Record<string, unknown>> {
  /** Decides whether the buildpack applies; returns `ctx.pass(plan)` or `ctx.fail(reason)`. */
  detect(ctx: DetectContext<M>): DetectResult | Promise<DetectResult>;
  /** Builds: declares layers and returns processes, labels, slices, unmet entries, store. */
  build(ctx: BuildContext<M>): BuildResult | undefined | Promise<BuildResult | undefined>;
  /** exec.d handlers by program name (see `layer.execD.addSelf`). */
  execD?: Record<string, ExecDHandler>;
  /** Checks `[metadata]` of buildpack.toml and returns it typed; throw to reject it. */
  metadata?: (raw: unknown) => M;
}

/** A declared buildpack: the definition, runnable in-process by the test harness. */
export type Buildpack<M = Record<string, unknown>> = Readonly<BuildpackDefinition<M>>;

/** The buildpack itself: `ctx.buildpack`. */
export interface BuildpackSelf<M> {
  /** The buildpack directory (CNB_BUILDPACK_DIR). */
  dir: string;
  /** buildpack.toml, parsed and validated; `metadata` is typed by the buildpack's guard. */
  descriptor: BuildpackDescriptor<M>;
  /** Shorthands for descriptor.buildpack.id/version and descriptor.metadata. */
  id: string;
  version: string;
  metadata: M;
  /**
   * `[metadata]` as written, before the guard. The framework reads the dependency
   * inventory from here, so a guard need not carry `dependencies` through.
   */
  rawMetadata: Record<string, unknown>;
}

/** Platform input: `ctx.platform`. */
export interface PlatformInput {
  /** The platform directory (CNB_PLATFORM_DIR). */
  dir: string;
  /** `<platform>/env/` as name → value. */
  env: Record<string, string>;
  /** Service bindings (SERVICE_BINDING_ROOT or `<platform>/bindings`). */
  bindings: Bindings;
}

/**
 * What every phase gets, a buildpack's (detect, build) and an image extension's (detect,
 * generate) alike: the app, platform input, target, exec env, environment and logger.
 * {@link PhaseContext} adds `buildpack`, an extension's context adds `extension`.
 */
export interface BaseContext {
  /** The app directory (a buildpack may write to it during build; an extension must not). */
  app: AppFiles;
  /** Platform input: `<platform>/env/` and bindings. */
  platform: PlatformInput;
  /** The target the image is for (CNB_TARGET_*). */
  target: BuildTarget;
  /** CNB_EXEC_ENV: "production" unless the platform says otherwise. */
  execEnv: string;
  /** The process environment the phase runs with (BP_* variables live here). */
  env: Environment;
  /** Build-log output. */
  log: Logger;
}

/** What detect and build both get: the {@link BaseContext} and the buildpack itself. */
export interface PhaseContext<M> extends BaseContext {
  /** The buildpack's directory and buildpack.toml. */
  buildpack: BuildpackSelf<M>;
}

/** A plan alternative as detect writes it; omitted lists are empty. */
export interface PlanInput {
  provides?: Provide[];
  requires?: Require[];
}

/** What detect returns: build this app (with plan alternatives), or not. */
export type DetectResult = { kind: "pass"; plans: BuildPlan[] } | { kind: "fail"; reason?: string };

/** The detect context: the shared context plus the two results. */
export interface DetectContext<M> extends PhaseContext<M> {
  /** Passes with a plan; further arguments are `[[or]]` alternatives. */
  pass(plan?: PlanInput, ...or: PlanInput[]): DetectResult;
  /** Does not apply to this app (exit 100); the reason is logged. */
  fail(reason?: string): DetectResult;
}

/** How a phase is run: where its inputs are and where its output goes. */
export interface PhaseIO {
  /** The environment (process.env for a real run). */
  env: Environment;
  /** Positional arguments after the program (older lifecycles pass paths this way). */
  args: readonly string[];
  /** The path the program was invoked as (bin/detect, bin/build). */
  script: string;
  /** The working directory: the app. */
  cwd: string;
  /** Where log lines go, one at a time (default stdout). */
  sink?: (line: string) => void;
  /** The running program, for `execD.addSelf`. */
  self?: () => Promise<string>;
}

/** The build context. */
export interface BuildContext<M> extends PhaseContext<M> {
  /** The buildpack plan entries for this buildpack. */
  plan: BuildpackPlan;
  /** Layers of this build (`<layers>`). */
  layers: Layers;
  /**
   * Sharing layers and app output between the platforms of a multi-platform build, for a
   * buildpack that opts in: `multiPlatform.cached` with `archNeutral` or `archVariants`,
   * `multiPlatform.appOutput`. Outside such a build it declares and runs as `layers` does.
   */
  multiPlatform: MultiPlatform;
  /** The dependency inventory from buildpack.toml `[metadata].dependencies`. */
  dependencies: Dependencies;
  /** SBOM components not tied to a layer: written as launch.sbom.* and build.sbom.*. */
  sbom: { launch: SbomCollector; build: SbomCollector };
  /** `[metadata]` of the previous build's store.toml (`{}` on a first build). */
  store: Record<string, unknown>;
}

/**
 * The parts `K` of the build context that a build step uses. A step takes
 * `StepContext<"layers" | "log">` rather than the whole context, so its signature says what it
 * touches, and a test hands it just those parts. `M` is the type of buildpack.toml
 * `[metadata]`, for a step that reads `ctx.buildpack.metadata`.
 *
 * @example
 * async function addMemoryDefaults(ctx: StepContext<"layers" | "log">): Promise<void> {
 *   ctx.log.step("Memory");
 *   await ctx.layers.cached("exec_d", { types: { launch: true }, key: { v: 1 }, fill: async (l) => {} });
 * }
 */
export type StepContext<K extends keyof BuildContext<M>, M = Record<string, unknown>> = Pick<BuildContext<M>, K>;

/** What build returns; the framework writes launch.toml, build.toml and store.toml from it. */
export interface BuildResult {
  processes?: Process[];
  labels?: Label[];
  slices?: Slice[];
  /** Names of plan entries this buildpack did not provide (build.toml `[[unmet]]`). */
  unmet?: string[];
  /** `[metadata]` for store.toml, handed to the next build as `ctx.store`. */
  store?: Record<string, unknown>;
}

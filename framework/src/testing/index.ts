/**
 * `@cnbkit/framework/testing`: run a buildpack's detect and build in-process against
 * temporary app, platform and layers directories, and inspect what they produced.
 *
 * ```ts
 * const first = await runBuild(bp, { app: { "package.json": pkg, "package-lock.json": lock } });
 * const second = await runBuild(bp, { app: first.app, restore: first.layers });   // as the lifecycle restores
 * expect(second.layer("node_modules").state.kind).toBe("restored");
 * expect(second.launchEnv("web").NODE_ENV).toBe("production");
 * ```
 *
 * `restore` simulates the lifecycle between builds: cache layers come back with their
 * directory, TOML (without `[types]`) and SBOMs; launch-only layers come back as TOML and
 * SBOMs only, and if the build reuses them, their contents are taken from the previous
 * build (as the exporter takes them from the previous image). store.toml is restored too.
 * `archNeutral` plays a multi-platform build's platforms: one run stores the layers it
 * declares `archNeutral`, a later one (another CNB_TARGET_ARCH) restores them.
 * The build's environment has PATH and HOME from this process, `env`, and a TMPDIR inside
 * the run's own temporary directory.
 * Temporary directories are removed when the process exits, or by {@link removeTempDirs}.
 */
import { existsSync, readFileSync } from "node:fs";
import { cp, mkdir, readdir, readFile, symlink, writeFile } from "node:fs/promises";
import { dirname, join, relative } from "node:path";
import { type BuildOutcome, runBuildPhase } from "../contract/index.js";
import { type DetectResult, type PhaseIO, runDetectPhase } from "../contract/index.js";
import { applyEnv, type EnvLayer } from "../environment/index.js";
import { type ArchNeutralRole, LAYER_CACHE_ENV, type LayerState, writeArchNeutralBinding } from "../layers/index.js";
import type { BuildpackDefinition } from "../contract/index.js";
import type { BuildPlan } from "../cnb-files/index.js";
import { parseBuildToml } from "../cnb-files/index.js";
import { parseBuildpackToml } from "../cnb-files/index.js";
import { type BuildpackPlanEntry, stringifyBuildpackPlan } from "../cnb-files/index.js";
import { type Label, type LaunchToml, parseLaunchToml, type Process } from "../cnb-files/index.js";
import { type LayerToml, parseLayerToml } from "../cnb-files/index.js";
import { parseStoreToml } from "../cnb-files/index.js";
import { stringifyToml } from "../cnb-files/index.js";
import { tempDir, writeAppAndPlatform, writeText } from "./temp-dirs.js";
import { linkTree } from "./link-tree.js";

export { freePort } from "./free-port.js";
export { removeTempDirs } from "./temp-dirs.js";
export * from "./extension.js";

/** App source: a map of relative path → content, or an existing directory (copied). */
export type AppInput = Record<string, string> | string;

/** A service binding to provide under `<platform>/bindings/<name>/`. */
export interface BindingInput {
  type: string;
  provider?: string;
  /** Entry name → content. */
  entries?: Record<string, string>;
}

/** Options shared by {@link runDetect} and {@link runBuild}. */
export interface RunOptions {
  app?: AppInput;
  /**
   * The process environment of the phase (PATH and HOME are taken from this process unless
   * given). CNB_* paths are set by the harness.
   */
  env?: Record<string, string>;
  /** Files of `<platform>/env/`; also set in the environment unless `clear-env = true`. */
  platformEnv?: Record<string, string>;
  /** Bindings by name. */
  bindings?: Record<string, BindingInput>;
  /** A buildpack directory whose buildpack.toml is used (e.g. the buildpack under test). */
  buildpackDir?: string;
  /** buildpack.toml text, when there is no `buildpackDir`. Default: a minimal API 0.12 descriptor. */
  buildpackToml?: string;
}

/** Result of {@link runDetect}. */
export interface DetectRun {
  result: DetectResult;
  passed: boolean;
  /** The plan alternatives detect wrote (empty on fail). */
  plans: BuildPlan[];
  /** Log lines. */
  stdout: string[];
  app: string;
}

/** Options of {@link runBuild}. */
export interface BuildRunOptions extends RunOptions {
  /** Buildpack plan entries; by default detect runs and the plan is what it requires and provides. */
  plan?: BuildpackPlanEntry[];
  /**
   * The `layers` directory of a previous run, restored as the lifecycle would. Cache layers'
   * files come back as hard links to that run's (a large toolchain restores in a second, not
   * a copy's minutes); a build that rewrites a restored file in place therefore changes the
   * previous run's file too. Set {@link BuildRunOptions.restoreBy} to `"copy"` when a test
   * reads the previous run's files after such a build.
   */
  restore?: string;
  /** How `restore` recreates cache layers' files: `"link"` (default, hard links) or `"copy"`. */
  restoreBy?: "link" | "copy";
  /**
   * An arch-neutral store shared by several runs, as a multi-platform build binds it: `dir`
   * (made if missing) becomes the binding `arch-neutral`, with `role` `produce` (the native
   * build, which stores) or `reuse` (an emulated one, which restores). Set `env.CNB_TARGET_ARCH`
   * to play the platforms. `reusers` (produce only) are the architectures that will reuse.
   */
  archNeutral?: { dir: string; role: ArchNeutralRole; reusers?: readonly string[] };
  /**
   * A layer cache, as cnbkit's platform mounts one: cache-only layers are kept by reference
   * under `<layerCache>/<bp>/` (by-reference.ts) instead of the layers dir, and a later run
   * given the same dir finds them there, whether or not it `restore`s. Left out, there is
   * none (as with pack or kpack), whatever `/cnbkit/layer-cache` holds on this machine; a
   * test that gives one removes it itself.
   */
  layerCache?: string;
}

/** One layer after a build. */
export interface LayerView {
  name: string;
  state: LayerState;
  path: string;
  /** The `<layer>.toml` written (undefined if none). */
  toml: LayerToml | undefined;
  /** Files under the layer directory, relative, sorted ([] when there is no directory). */
  files: string[];
  /** True when the layer was reused from the previous image (no directory this build). */
  reusedFromImage: boolean;
}

/** Result of {@link runBuild}. */
export interface BuildRun {
  /** The app directory (pass it to a later run to rebuild the same app). */
  app: string;
  /** The layers directory (pass it as `restore` to simulate a rebuild). */
  layers: string;
  plan: BuildpackPlanEntry[];
  stdout: string[];
  launchToml: LaunchToml | undefined;
  processes: Process[];
  labels: Label[];
  /** build.toml `[[unmet]]` names. */
  unmet: string[];
  /** store.toml `[metadata]`, if written. */
  store: Record<string, unknown> | undefined;
  /** A layer declared in this build; throws when there is none. */
  layer(name: string): LayerView;
  /** The environment a later buildpack's build sees. */
  buildEnv(): Record<string, string>;
  /** The environment the launched process sees (before exec.d). */
  launchEnv(processType?: string, base?: Record<string, string>): Record<string, string>;
  /** A parsed SBOM file: `sbom("node", "cdx")`, `sbom("launch", "spdx")`. */
  sbom(layer: string, format: "cdx" | "spdx"): unknown;
}

const DEFAULT_TOML = `api = "0.12"

[buildpack]
id = "cnbkit/test"
version = "0.0.0"
sbom-formats = ["application/vnd.cyclonedx+json", "application/spdx+json"]
`;

/** Where a reused launch layer's contents really are, by layers dir and layer name. */
const imageLayers = new Map<string, Map<string, string>>();

interface Prepared {
  root: string;
  app: string;
  platform: string;
  buildpack: string;
  env: Record<string, string>;
  lines: string[];
}

async function prepare(options: RunOptions): Promise<Prepared> {
  const root = await tempDir("run");
  const { app, platform } = await writeAppAndPlatform(root, options);
  for (const [name, b] of Object.entries(options.bindings ?? {})) {
    const dir = join(platform, "bindings", name);
    await writeText(join(dir, "type"), b.type);
    if (b.provider !== undefined) await writeText(join(dir, "provider"), b.provider);
    for (const [k, v] of Object.entries(b.entries ?? {})) await writeText(join(dir, k), v);
  }
  let buildpack = options.buildpackDir;
  let tomlText: string;
  if (buildpack === undefined) {
    buildpack = join(root, "buildpack");
    tomlText = options.buildpackToml ?? DEFAULT_TOML;
    await writeText(join(buildpack, "buildpack.toml"), tomlText);
  } else {
    tomlText = await readFile(join(buildpack, "buildpack.toml"), "utf8");
  }
  const clearEnv = parseBuildpackToml(tomlText, "buildpack.toml").buildpack.clearEnv === true;
  const env: Record<string, string> = {};
  for (const k of ["PATH", "HOME"]) if (process.env[k] !== undefined) env[k] = process.env[k];
  // The tools a build runs get a /tmp of their own that goes with the run, as a build
  // container's does: uv's lock files and pip's build dirs otherwise pile up in the host's.
  env.TMPDIR = join(root, "tmp");
  await mkdir(env.TMPDIR, { recursive: true });
  Object.assign(env, options.env ?? {});
  if (!clearEnv) Object.assign(env, options.platformEnv ?? {});
  env.CNB_PLATFORM_DIR = platform;
  env.CNB_BUILDPACK_DIR = buildpack;
  return { root, app, platform, buildpack, env, lines: [] };
}

function io(p: Prepared, extra: Record<string, string>): PhaseIO {
  return {
    env: { ...p.env, ...extra },
    args: [],
    script: join(p.buildpack, "bin", "phase"),
    cwd: p.app,
    sink: (line) => p.lines.push(line),
  };
}

/** Runs detect in-process. Errors (a CnbError, or the buildpack's own) are thrown. */
export async function runDetect<M>(bp: BuildpackDefinition<M>, options: RunOptions = {}): Promise<DetectRun> {
  const p = await prepare(options);
  const planPath = join(p.root, "plan.toml");
  const result = await runDetectPhase(bp, io(p, { CNB_BUILD_PLAN_PATH: planPath }));
  return {
    result,
    passed: result.kind === "pass",
    plans: result.kind === "pass" ? result.plans : [],
    stdout: p.lines,
    app: p.app,
  };
}

/** The plan a lone buildpack gets: the requires it provides itself, from the first alternative that works. */
function planFromDetect(plans: BuildPlan[]): BuildpackPlanEntry[] {
  const selfContained = plans.find((plan) =>
    plan.requires.every((r) => plan.provides.some((pr) => pr.name === r.name)),
  );
  const chosen = selfContained ?? plans[0];
  if (!chosen) return [];
  return chosen.requires
    .filter((r) => chosen.provides.some((pr) => pr.name === r.name))
    .map((r) => ({ name: r.name, metadata: r.metadata ?? {} }));
}

/**
 * Runs build in-process (after detect, unless `plan` is given). Errors are thrown; a detect
 * that fails is an error too.
 */
export async function runBuild<M>(bp: BuildpackDefinition<M>, options: BuildRunOptions = {}): Promise<BuildRun> {
  let plan = options.plan;
  if (plan === undefined) {
    const detected = await runDetect(bp, options);
    if (detected.result.kind === "fail") {
      throw new Error(`detect failed${detected.result.reason ? `: ${detected.result.reason}` : ""}`);
    }
    plan = planFromDetect(detected.plans);
  }
  const p = await prepare(options);
  if (options.archNeutral) {
    await writeArchNeutralBinding(options.archNeutral.dir, options.archNeutral.role, options.archNeutral.reusers);
    await mkdir(join(p.platform, "bindings"), { recursive: true });
    await symlink(options.archNeutral.dir, join(p.platform, "bindings", "arch-neutral"));
  }
  const layers = join(p.root, "layers");
  await mkdir(layers, { recursive: true });
  const reused = options.restore
    ? await restore(options.restore, layers, options.restoreBy === "copy")
    : new Map<string, string>();
  const planPath = join(p.root, "plan.toml");
  await writeFile(planPath, stringifyBuildpackPlan(plan));
  // The layer cache is decided here, not by what this machine mounts, so a run is repeatable.
  const layerCache = options.layerCache ?? p.env[LAYER_CACHE_ENV] ?? "off";
  const outcome = await runBuildPhase(
    bp,
    io(p, { CNB_LAYERS_DIR: layers, CNB_BP_PLAN_PATH: planPath, [LAYER_CACHE_ENV]: layerCache }),
  );
  const tomls = await readLayerTomls(layers);
  const origins = new Map<string, string>();
  for (const [name, t] of tomls) {
    if (!t.types.launch) continue;
    const dir = join(layers, name);
    const origin = existsSync(dir) ? dir : reused.get(name);
    if (origin) origins.set(name, origin);
  }
  imageLayers.set(layers, origins);
  return buildRun(p, { layers, plan, outcome, tomls, origins });
}

async function buildRun(p: Prepared, built: Built): Promise<BuildRun> {
  const { layers, tomls, origins } = built;
  const files = await readBuildFiles(layers);
  const views = await layerViews(built.outcome, tomls);
  const envLayers = (pick: (t: LayerToml) => boolean, pathOf: (name: string) => string | undefined): EnvLayer[] =>
    [...tomls]
      .filter(([, t]) => pick(t))
      .flatMap(([name, t]) => {
        const path = pathOf(name);
        return path ? [{ path, types: t.types }] : [];
      });
  return {
    app: p.app,
    layers,
    plan: built.plan,
    stdout: p.lines,
    ...files,
    processes: files.launchToml?.processes ?? [],
    labels: files.launchToml?.labels ?? [],
    layer(name) {
      const view = views.get(name);
      if (!view)
        throw new Error(
          `no layer "${name}" was declared in this build (declared: ${[...views.keys()].join(", ") || "none"})`,
        );
      return view;
    },
    buildEnv: () =>
      applyEnv(
        p.env,
        envLayers(
          (t) => t.types.build,
          (name) => (existsSync(join(layers, name)) ? join(layers, name) : undefined),
        ),
        "build",
      ),
    launchEnv: (processType, base = {}) =>
      applyEnv(
        base,
        envLayers(
          (t) => t.types.launch,
          (name) => origins.get(name),
        ),
        { launch: processType },
      ),
    sbom(layer, format) {
      const ext = format === "cdx" ? "cdx.json" : "spdx.json";
      // Synchronous so `run.sbom(...)` reads naturally inside expect().
      return JSON.parse(readFileSync(join(layers, `${layer}.sbom.${ext}`), "utf8"));
    },
  };
}

/** What one build left, as {@link buildRun} reads it. */
interface Built {
  /** The build's layers dir. */
  layers: string;
  plan: BuildpackPlanEntry[];
  outcome: BuildOutcome;
  /** Every `<layer>.toml` the build wrote. */
  tomls: Map<string, LayerToml>;
  /** Where each launch layer's files are: this build's dir, or the restored image's. */
  origins: Map<string, string>;
}

/** launch.toml, build.toml's unmet names and store.toml's metadata, as far as the build wrote them. */
async function readBuildFiles(layers: string) {
  const launchPath = join(layers, "launch.toml");
  const launchToml = existsSync(launchPath)
    ? parseLaunchToml(await readFile(launchPath, "utf8"), launchPath)
    : undefined;
  const buildPath = join(layers, "build.toml");
  const unmet = existsSync(buildPath)
    ? parseBuildToml(await readFile(buildPath, "utf8"), buildPath).unmet.map((u) => u.name)
    : [];
  const storePath = join(layers, "store.toml");
  const store = existsSync(storePath)
    ? parseStoreToml(await readFile(storePath, "utf8"), storePath).metadata
    : undefined;
  return { launchToml, unmet, store };
}

/** Each declared layer as a test sees it: state, path, TOML and files. */
async function layerViews(outcome: BuildOutcome, tomls: Map<string, LayerToml>): Promise<Map<string, LayerView>> {
  const views = new Map<string, LayerView>();
  for (const layer of outcome.layers) {
    views.set(layer.name, {
      name: layer.name,
      state: layer.state,
      path: layer.path,
      toml: await layerToml(outcome.layersDir, layer, tomls),
      files: await listFiles(layer.path),
      reusedFromImage: layer.reusedFromImage,
    });
  }
  return views;
}

/**
 * Recreates what the lifecycle restores before a rebuild (cache layers' files through
 * link-tree.ts: hard-linked unless `copy`); returns where reusable launch layers' contents are.
 */
async function restore(previous: string, layers: string, copy: boolean): Promise<Map<string, string>> {
  const reused = new Map<string, string>();
  const previousOrigins = imageLayers.get(previous) ?? new Map<string, string>();
  const files = await readdir(previous);
  for (const [name, t] of await readLayerTomls(previous)) {
    if (!t.types.cache && !t.types.launch) continue;
    if (t.types.cache && existsSync(join(previous, name))) {
      await linkTree(join(previous, name), join(layers, name), copy);
    }
    await writeFile(join(layers, `${name}.toml`), stringifyToml({ metadata: t.metadata }));
    for (const f of files) if (f.startsWith(`${name}.sbom.`)) await cp(join(previous, f), join(layers, f));
    const origin = previousOrigins.get(name) ?? (existsSync(join(previous, name)) ? join(previous, name) : undefined);
    if (t.types.launch && origin) reused.set(name, origin);
  }
  if (existsSync(join(previous, "store.toml"))) await cp(join(previous, "store.toml"), join(layers, "store.toml"));
  return reused;
}

/**
 * The TOML the build wrote for `layer`: the one in the layers dir, or, for a layer kept by
 * reference, the one next to its directory in the layer cache.
 */
async function layerToml(
  layers: string,
  layer: { name: string; path: string },
  tomls: Map<string, LayerToml>,
): Promise<LayerToml | undefined> {
  const home = dirname(layer.path);
  if (home === layers) return tomls.get(layer.name);
  const path = join(home, `${layer.name}.toml`);
  return existsSync(path) ? parseLayerToml(await readFile(path, "utf8"), path) : undefined;
}

const OWN_TOML = new Set(["launch.toml", "build.toml", "store.toml"]);

async function readLayerTomls(dir: string): Promise<Map<string, LayerToml>> {
  const out = new Map<string, LayerToml>();
  for (const f of (await readdir(dir)).sort()) {
    if (!f.endsWith(".toml") || OWN_TOML.has(f)) continue;
    const path = join(dir, f);
    out.set(f.slice(0, -".toml".length), parseLayerToml(await readFile(path, "utf8"), path));
  }
  return out;
}

async function listFiles(dir: string): Promise<string[]> {
  if (!existsSync(dir)) return [];
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries
    .filter((e) => !e.isDirectory())
    .map((e) => relative(dir, join(e.parentPath, e.name)))
    .sort();
}

// The types this entry's signatures use (and theirs) are the main entry's: reachable from
// here too, as `framework.<Type>`, so a test can name them without a second import.
export type * as framework from "../index.js";

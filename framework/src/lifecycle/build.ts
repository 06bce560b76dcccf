/**
 * The build phase: its context (plan, layers, dependencies, SBOMs, store), its result, and
 * running it — including writing everything the result and the layers declare:
 * `<layer>.toml`, env files, SBOMs, launch.toml, build.toml, store.toml.
 *
 * Loaded on demand by the entry point, so detect never pays for it.
 */
import { existsSync } from "node:fs";
import { copyFile, mkdir, mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { basename, join } from "node:path";
import { type ExtractOptions, extract, formatFromName } from "../dependencies/index.js";
import { download, resolveUri } from "../dependencies/index.js";
import { CnbError } from "../errors/index.js";
import { commandLine, type Logger } from "../log/index.js";
import { type Dependency, dependencyComponent, parseInventory, resolveDependency } from "../dependencies/index.js";
import { type Layer, Layers, type MetadataTable, SbomCollector } from "../layers/index.js";
import { type DependencyLayerOptions, dependencyLayer } from "./dependency-layer.js";
import type { BuildpackDefinition } from "./main.js";
import { type PhaseContext, type PhaseIO, phaseContext } from "./detect.js";
import type { BuildTarget, Environment } from "../platform/index.js";
import { buildPaths } from "../platform/index.js";
import type { SbomComponent } from "../sbom/index.js";
import { stringifyBuildToml } from "../cnb-files/index.js";
import { type BuildpackPlanEntry, parseBuildpackPlan } from "../cnb-files/index.js";
import { type Label, type Process, type Slice, stringifyLaunchToml, validateProcesses } from "../cnb-files/index.js";
import { parseStoreToml, stringifyStoreToml } from "../cnb-files/index.js";
import { writeAtomic } from "../fs/index.js";

/** A plan entry chosen by {@link BuildpackPlan.resolve}, with the layer flags all entries ask for. */
export interface ResolvedPlanEntry {
  name: string;
  /** The chosen entry's metadata. */
  metadata: Record<string, unknown>;
  /** `metadata.version` of the chosen entry, when it is a non-empty string. */
  version?: string;
  /** `metadata["version-source"]` of the chosen entry (e.g. "package.json", "BP_NODE_VERSION"). */
  versionSource?: string;
  /** True when any entry of that name has `metadata.launch = true`. */
  launch: boolean;
  /** True when any entry of that name has `metadata.build = true`. */
  build: boolean;
}

/** The buildpack plan: `ctx.plan`, the requirements this buildpack was chosen to provide. */
export class BuildpackPlan {
  constructor(readonly entries: readonly BuildpackPlanEntry[]) {}

  /** True when some buildpack required `name`. */
  has(name: string): boolean {
    return this.entries.some((e) => e.name === name);
  }

  /** Every entry named `name`, in plan order. */
  all(name: string): BuildpackPlanEntry[] {
    return this.entries.filter((e) => e.name === name);
  }

  /** The first non-empty `metadata.version` string among entries named `name`. */
  version(name: string): string | undefined {
    for (const e of this.all(name)) {
      const v = e.metadata.version;
      if (typeof v === "string" && v.trim() !== "") return v;
    }
    return undefined;
  }

  /**
   * Merges the entries named `name` the way packit's planner does: entries are ranked by
   * the position of their `metadata["version-source"]` in `priorities` (strings compare
   * exactly, RegExps test), unranked entries last, plan order breaking ties; the first wins.
   * `launch`/`build` are true when any entry asks for them.
   *
   * @example
   * ctx.plan.resolve("node", ["BP_NODE_VERSION", "package.json", ".nvmrc", /.*\/)
   */
  resolve(name: string, priorities: readonly (string | RegExp)[] = []): ResolvedPlanEntry | undefined {
    const entries = this.all(name);
    if (entries.length === 0) return undefined;
    const rank = (e: BuildpackPlanEntry) => {
      const source = e.metadata["version-source"];
      if (typeof source !== "string") return priorities.length;
      const i = priorities.findIndex((p) => (typeof p === "string" ? p === source : p.test(source)));
      return i < 0 ? priorities.length : i;
    };
    const chosen = entries.map((e, i) => ({ e, r: rank(e), i })).sort((a, b) => a.r - b.r || a.i - b.i)[0]!.e;
    const out: ResolvedPlanEntry = {
      name,
      metadata: chosen.metadata,
      launch: entries.some((e) => e.metadata.launch === true),
      build: entries.some((e) => e.metadata.build === true),
    };
    const v = chosen.metadata.version;
    if (typeof v === "string" && v.trim() !== "") out.version = v;
    const s = chosen.metadata["version-source"];
    if (typeof s === "string") out.versionSource = s;
    return out;
  }
}

/** A dependency from the inventory, with its SBOM entry at hand. */
export type ResolvedDependency = Dependency & {
  /** The SBOM component for this dependency (purl, CPEs, licenses, sha256). */
  component(): SbomComponent;
};

/** Options for {@link Dependencies.install}. */
export interface InstallOptions {
  /** Leading path components to drop from archive entries (default: the inventory's strip-components, else 0). */
  strip?: number;
  /**
   * A directory (e.g. a cache layer's path) that keeps verified downloads by sha256: a later
   * build installs from it without downloading again.
   */
  cacheDir?: string;
  /** Archive paths (after strip) not to install, with everything under them: see {@link ExtractOptions.exclude}. */
  exclude?: string[];
  /**
   * Keep the verified download in this directory instead of deleting it; `install` then
   * returns its path. For a tool that reads the archive again later (node-gyp takes Node's C
   * headers from the tarball only when an addon compiles), without a second download. A
   * `file://` dependency (an offline buildpackage's own copy) is not copied: its own path,
   * verified, is returned, and it stays there for the whole build.
   */
  keepDownloadIn?: string;
}

/** The inventory in `[metadata].dependencies`: `ctx.dependencies`. */
export class Dependencies {
  /** Every inventory entry. */
  readonly all: readonly Dependency[];

  constructor(
    inventory: readonly Dependency[],
    private readonly ctx: {
      target: BuildTarget;
      env: Environment;
      platform: PhaseContext<unknown>["platform"];
      log: PhaseContext<unknown>["log"];
      /** The build's layers, for {@link Dependencies.layer}. */
      layers?: Layers;
    },
  ) {
    this.all = inventory;
  }

  /**
   * `dep`, verified and installed into the cached layer `name`, with its SBOM component:
   * keyed on the dependency (id, version, sha256, arch), cached unless launch-only or carried
   * by the builder (lifecycle/dependency-layer.ts says why). `afterInstall` trims or configures
   * a new layer and returns its metadata.
   *
   * @example
   * const jdk = await ctx.dependencies.layer("jdk", ctx.dependencies.resolve("jdk", "21"), { types: { build: true } });
   * jdk.env.build.override("JAVA_HOME", jdk.path);
   */
  async layer<M extends object = MetadataTable>(
    name: string,
    dep: ResolvedDependency,
    options: DependencyLayerOptions<M>,
  ): Promise<Layer<M>> {
    const layers = this.ctx.layers;
    if (!layers) throw new Error("ctx.dependencies.layer needs the build's layers");
    return dependencyLayer(
      {
        layers,
        log: this.ctx.log,
        arch: this.ctx.target.arch,
        onBuilder: (d) => this.onBuilder(d),
        install: (d, dest, o) => this.install(d, dest, o),
      },
      name,
      dep,
      options,
    );
  }

  /**
   * The newest version of `id` satisfying `version` (a semver range; newest when omitted)
   * for the build's target OS and architecture.
   */
  resolve(id: string, version?: string): ResolvedDependency {
    const query = { id, os: this.ctx.target.os, arch: this.ctx.target.arch, ...(version ? { version } : {}) };
    const dep = resolveDependency(this.all, query, this.ctx.log);
    return { ...dep, component: () => dependencyComponent(dep) };
  }

  /**
   * Whether `dep` comes from the builder itself: a `file://` URI, as in an offline buildpackage,
   * or a dependency-mapping binding to one. A layer made only from such a dependency is not
   * worth caching: the lifecycle restores and re-hashes a cached layer on every build, needed
   * or not (~1 s per 200 MB), while installing it again from the builder when it is needed
   * costs about what the restore would.
   *
   * @example
   * const layer = await ctx.layers.cached("jdk", { types: { build: true, cache: !(await ctx.dependencies.onBuilder(dep)) }, key, fill });
   */
  async onBuilder(dep: Dependency): Promise<boolean> {
    const { uri } = await resolveUri(dep, this.ctx.env, this.ctx.platform.bindings.all);
    return uri.startsWith("file:");
  }

  /**
   * Downloads `dep` (verified, retried, mirrored) to a file in `destDir` and returns its path.
   * `log` takes its lines instead of the build's (see holdLines, for a download run ahead).
   */
  async download(dep: Dependency, destDir: string, options: { cacheDir?: string; log?: Logger } = {}): Promise<string> {
    return download(dep, destDir, {
      env: this.ctx.env,
      bindings: this.ctx.platform.bindings.all,
      log: options.log ?? this.ctx.log,
      ...(options.cacheDir ? { cacheDir: options.cacheDir } : {}),
    });
  }

  /**
   * Installs `dep` into `dest` (usually a layer path): archives (tar, tar.gz/xz/zst, zip)
   * are extracted with `strip` leading components removed; other files (and jars) are
   * copied in under their own name. The download is verified before anything lands in `dest`.
   * Returns the kept download's path when `keepDownloadIn` is given (for a `file://`
   * dependency, the buildpack's own copy, which is never copied).
   *
   * @example
   * await ctx.dependencies.install(dep, layer.path, { strip: 1, exclude: ["include"] });
   */
  async install(dep: Dependency, dest: string, options: InstallOptions = {}): Promise<string | undefined> {
    const tmp = options.keepDownloadIn ?? (await mkdtemp(join(tmpdir(), "cnbkit-dl-")));
    try {
      // A file:// dependency is read where it is: copying it first is a write (and a delete) of
      // the whole archive for nothing (58 MB for a Node.js tarball).
      const file = await download(dep, tmp, {
        env: this.ctx.env,
        bindings: this.ctx.platform.bindings.all,
        log: this.ctx.log,
        ...(options.cacheDir ? { cacheDir: options.cacheDir } : {}),
        inPlace: true,
      });
      await mkdir(dest, { recursive: true });
      // A .jar is installed as a file (Java tools run jars), though it is a zip.
      const format = /\.jar$/i.test(file) ? undefined : formatFromName(file);
      if (format) {
        await extract(file, dest, {
          strip: options.strip ?? dep.stripComponents ?? 0,
          format,
          ...(options.exclude ? { exclude: options.exclude } : {}),
        });
      } else {
        await copyFile(file, join(dest, basename(file)));
      }
      return options.keepDownloadIn ? file : undefined;
    } finally {
      if (!options.keepDownloadIn) await rm(tmp, { recursive: true, force: true });
    }
  }
}

/** The build context. */
export interface BuildContext<M> extends PhaseContext<M> {
  /** The buildpack plan entries for this buildpack. */
  plan: BuildpackPlan;
  /** Layers of this build (`<layers>`). */
  layers: Layers;
  /** The dependency inventory from buildpack.toml `[metadata].dependencies`. */
  dependencies: Dependencies;
  /** SBOM components not tied to a layer: written as launch.sbom.* and build.sbom.*. */
  sbom: { launch: SbomCollector; build: SbomCollector };
  /** `[metadata]` of the previous build's store.toml (`{}` on a first build). */
  store: Record<string, unknown>;
}

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

/** What {@link runBuildPhase} reports back (the test harness reads it). */
export interface BuildOutcome {
  result: BuildResult;
  layers: Layer[];
  layersDir: string;
  plan: BuildpackPlan;
}

/** Runs build: builds the context, calls the buildpack, writes all outputs. Throws on error. */
export async function runBuildPhase<M>(def: BuildpackDefinition<M>, io: PhaseIO): Promise<BuildOutcome> {
  const paths = buildPaths(io.env, io.args, io.script, io.cwd);
  const base = await phaseContext(def, io, paths);
  const { log } = base;
  const info = base.buildpack.descriptor.buildpack;
  log.header(`${info.name ?? info.id} ${info.version}`);
  const plan = new BuildpackPlan(parseBuildpackPlan(await readFile(paths.plan, "utf8"), paths.plan));
  const inventory = parseInventory(base.buildpack.rawMetadata, join(paths.buildpack, "buildpack.toml"));
  const layers = new Layers(paths.layers, {
    log,
    sbomFormats: info.sbomFormats ?? [],
    ...(io.self ? { self: io.self } : {}),
  });
  const ctx: BuildContext<M> = {
    ...base,
    plan,
    layers,
    dependencies: new Dependencies(inventory, { ...base, layers }),
    sbom: { launch: new SbomCollector(), build: new SbomCollector() },
    store: await readStore(join(paths.layers, "store.toml")),
  };
  const result = (await def.build(ctx)) ?? {};
  await layers.finish();
  await writeOutputs(paths.layers, result, ctx, layers.supportedSbomFormats());
  return { result, layers: layers.all(), layersDir: paths.layers, plan };
}

async function readStore(file: string): Promise<Record<string, unknown>> {
  if (!existsSync(file)) return {};
  return parseStoreToml(await readFile(file, "utf8"), file).metadata;
}

async function writeOutputs<M>(dir: string, result: BuildResult, ctx: BuildContext<M>, formats: string[]) {
  const processes = result.processes === undefined ? [] : validateProcesses(result.processes, "build result");
  const labels = result.labels ?? [];
  const slices = result.slices ?? [];
  if (processes.length + labels.length + slices.length > 0) {
    await writeAtomic(join(dir, "launch.toml"), stringifyLaunchToml({ processes, labels, slices }));
  }
  if (processes.length > 0) {
    ctx.log.step("Process types");
    for (const p of processes) {
      ctx.log.detail(`${p.type}: ${commandLine([...p.command, ...(p.args ?? [])])}${p.default ? " (default)" : ""}`);
    }
  }
  const unmet = result.unmet ?? [];
  for (const name of unmet) {
    if (!ctx.plan.has(name)) throw new CnbError(`build result: unmet "${name}" is not in the buildpack plan`);
  }
  if (unmet.length > 0)
    await writeAtomic(join(dir, "build.toml"), stringifyBuildToml({ unmet: unmet.map((name) => ({ name })) }));
  if (result.store !== undefined)
    await writeAtomic(join(dir, "store.toml"), stringifyStoreToml({ metadata: result.store }));
  for (const kind of ["launch", "build"] as const) {
    const components = ctx.sbom[kind].components;
    if (components.length === 0 || formats.length === 0) continue;
    const { writeSbomFiles } = await import("../sbom/index.js");
    await writeSbomFiles(join(dir, `${kind}.sbom`), formats, components, { name: `${ctx.buildpack.id} ${kind}` });
  }
}

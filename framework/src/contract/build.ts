/**
 * The build phase: running a buildpack's build (its context and result are in contract.ts)
 * and writing everything the result and the layers declare:
 * `<layer>.toml`, env files, SBOMs, launch.toml, build.toml, store.toml.
 *
 * Loaded on demand by the entry point, so detect never pays for it.
 */
import { constants, existsSync } from "node:fs";
import { access, mkdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { CnbError } from "../errors/index.js";
import { commandLine } from "../log/index.js";
import { parseInventory } from "../dependencies/index.js";
import {
  ArchNeutralStore,
  findLayerCacheRoot,
  LAYER_CACHE_ENV,
  type Layer,
  Layers,
  MultiPlatform,
  SbomCollector,
} from "../layers/index.js";
import { buildPaths } from "../environment/index.js";
import { stringifyBuildToml } from "../cnb-files/index.js";
import { parseBuildpackPlan } from "../cnb-files/index.js";
import { stringifyLaunchToml, validateProcesses } from "../cnb-files/index.js";
import { parseStoreToml, stringifyStoreToml } from "../cnb-files/index.js";
import { writeAtomic } from "../fs/index.js";
import { Dependencies } from "./build-dependencies.js";
import { BuildpackPlan } from "./buildpack-plan.js";
import type { BuildContext, BuildpackDefinition, BuildResult, PhaseIO } from "./contract.js";
import { phaseContext } from "./phase-context.js";

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
  const archNeutral = await ArchNeutralStore.open(
    base.platform.bindings,
    { id: info.id, version: info.version },
    base.target.arch,
    log,
  );
  const layers = new Layers(paths.layers, {
    log,
    sbomFormats: info.sbomFormats ?? [],
    // Once per build, so every layer of it is routed alike (by-reference.ts).
    layerCacheRoot: await usableLayerCacheRoot(io.env),
    ...(io.self ? { self: io.self } : {}),
  });
  // Attaches itself to layers, whose finish shares what the native build made.
  const multiPlatform = new MultiPlatform(layers, { log, ...(archNeutral ? { store: archNeutral } : {}) });
  const ctx: BuildContext<M> = {
    ...base,
    plan,
    layers,
    multiPlatform,
    dependencies: new Dependencies(inventory, { ...base, layers }),
    sbom: { launch: new SbomCollector(), build: new SbomCollector() },
    store: await readStore(join(paths.layers, "store.toml")),
  };
  const result = (await def.build(ctx)) ?? {};
  await layers.finish();
  await writeOutputs(paths.layers, result, ctx, layers.supportedSbomFormats());
  return { result, layers: layers.all(), layersDir: paths.layers, plan };
}

/**
 * The layer cache's root (by-reference.ts), checked once, here at the edge: a root set through
 * CNBKIT_LAYER_CACHE is made if missing and must be writable, or the build would fail later, in
 * the middle of some layer, with a bare EACCES. The mount cnbkit's platform gives is already
 * checked by findLayerCacheRoot (a read-only one means none).
 */
async function usableLayerCacheRoot(env: Readonly<Record<string, string | undefined>>): Promise<string | null> {
  const root = findLayerCacheRoot(env);
  if (root === null || env[LAYER_CACHE_ENV] === undefined) return root;
  try {
    await mkdir(root, { recursive: true });
    await access(root, constants.W_OK);
  } catch (err) {
    const why = (err as NodeJS.ErrnoException).code ?? String(err);
    throw new CnbError(
      `${LAYER_CACHE_ENV} is ${root}, which this build cannot write (${why}): point it at a writable directory, or set ${LAYER_CACHE_ENV}=off to keep cache layers in the lifecycle's cache`,
    );
  }
  return root;
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

/**
 * Step: the app's dependencies, in the launch layer `venv` (a venv on our CPython). It is
 * reused as it was while the lockfile (and pyproject.toml), the Python version and the
 * tool's version are unchanged; the framework logs why it is rebuilt otherwise. The
 * installed distributions (read from dist-info) are the layer's SBOM and are kept in its
 * metadata with its bin entries, so a reused layer needs no files to describe itself.
 */
import { createHash } from "node:crypto";
import { mkdtemp, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  type StepContext,
  type CachedLayerOptions,
  type Layer,
  type EnvChange,
  type ToolEnv,
  withChanges,
} from "@cnbkit/framework";
import { type Distribution, distComponent, installedDistributions } from "../dist-info.js";
import { installCommand, shownCommand } from "../install-command.js";
import { type ManagerChoice, SETUP_FILES } from "../package-manager.js";
import type { PoetryLock } from "../poetry-export.js";
import { type LockSync, pipfileLockSync } from "../pipfile-hash.js";
import { compileAll } from "../compile-all.js";
import { requirementsClosure } from "../requirements-files.js";
import { runTool } from "@cnbkit/framework/process";
import { explainPythonTool } from "../tool-errors.js";
import { sitePackages, type Wheels } from "../wheel.js";
import type { Runtime } from "./install-runtime.js";
import type { LazyTool, Tool } from "./install-tools.js";
import type { Project } from "./read-project.js";
import { addSetuptools, keepPkgResources, wantsSetuptools } from "./add-setuptools.js";
import { installPoetryLock } from "./install-poetry-lock.js";
import { lockPoetry, type PoetryLockRun } from "./lock-poetry.js";
import { makeVenvVariants } from "./make-venv-variants.js";
import { type VenvMetadata, venvMetadata } from "../venv-metadata.js";
import type { ToolCaches } from "./tool-environment.js";

/** The installed venv. */
export interface Venv {
  layer: Layer<VenvMetadata>;
  path: string;
  distributions: Distribution[];
  /** Entries of the venv's bin dir. */
  bin: string[];
  /** VIRTUAL_ENV and its bin on PATH, for later build commands (collectstatic). */
  env: EnvChange;
}

/** What the step reads. */
export interface DependencyInputs {
  ctx: StepContext<"app" | "dependencies" | "multiPlatform" | "log" | "target">;
  project: Project;
  manager: ManagerChoice;
  runtime: Runtime;
  /** The package manager, installed only when the venv is (re)built. */
  tool: LazyTool;
  /** uv, installed on first use: it installs a poetry.lock's export. */
  uv(): Promise<Tool>;
  /** pip, installed on first use (Pipenv's venv needs it; uv and Poetry do not). */
  pip(): Promise<Tool>;
  env: ToolEnv;
  /** The tools' download and wheel caches. */
  caches: ToolCaches;
  /** The venv is needed at build time too (collectstatic, a later buildpack). */
  atBuild: boolean;
  /** Where setuptools' verified wheel is unpacked from. */
  wheels: Wheels;
}

/** What the venv's key is made of (known before CPython and the tool are installed). */
export interface VenvKeyInputs {
  ctx: StepContext<"app" | "dependencies" | "target">;
  project: Project;
  manager: ManagerChoice;
  python: Pick<Runtime, "version" | "minor">;
  tool: { name: string; version: string };
}

/** The venv layer's types: launch-only unless Python runs with it at build. */
export function venvTypes(atBuild: boolean): CachedLayerOptions<never>["types"] {
  return atBuild ? { build: true, launch: true, cache: true } : { launch: true, cache: false };
}

/** Installs the dependencies into the `venv` layer. */
export async function installDependencies(inputs: DependencyInputs): Promise<Venv> {
  const { ctx, manager, runtime, tool } = inputs;
  ctx.log.step(`Dependencies (${manager.name}, from ${manager.source})`);
  if (manager.warning) ctx.log.warn(manager.warning);
  if (manager.ignored.length > 0) ctx.log.detail(`Not used: ${manager.ignored.join(", ")} (${manager.lockfile} wins)`);
  const layer = await ctx.multiPlatform.cached("venv", {
    types: venvTypes(inputs.atBuild),
    key: await venvKey({ ...inputs, python: runtime }),
    metadata: venvMetadata,
    // The native build of a multi-platform build makes this venv for the other CPUs when it
    // can (make-venv-variants.ts): their builds restore it instead of running pip under qemu.
    archVariants: true,
    fill: (l) => fillVenv(inputs, l),
  });
  if (layer.state.kind === "restored" && layer.state.fromArch === undefined) {
    ctx.log.detail(
      `Nothing to install: ${manager.lockfile}, CPython ${runtime.version} and ${tool.name} ${tool.version} unchanged`,
    );
  }
  const distributions = layer.metadata.packages;
  layer.sbom.add(...distributions.map(distComponent));
  layer.env.override("VIRTUAL_ENV", layer.path);
  const bin = layer.metadata.bin ?? [];
  return {
    layer,
    path: layer.path,
    distributions,
    bin,
    env: { path: [join(layer.path, "bin")], set: { VIRTUAL_ENV: layer.path } },
  };
}

/** What decides the venv's reuse. */
export async function venvKey(inputs: VenvKeyInputs): Promise<Record<string, unknown>> {
  const { ctx, manager, python, tool } = inputs;
  const digest = async (f: string) =>
    createHash("sha256")
      .update((await ctx.app.readText(f, { optional: true })) ?? "")
      .digest("hex");
  // The files requirements.txt includes (-r, -c) decide what pip installs as much as it does.
  // So do setup.py and setup.cfg for `pip install -e .` (install_requires may be in either).
  const included =
    manager.pipTarget === "requirements"
      ? await includedRequirements(ctx.app.path, manager.requirementFiles ?? [manager.lockfile])
      : manager.pipTarget === "project"
        ? SETUP_FILES.filter((f) => inputs.project.files.has(f) && f !== manager.lockfile)
        : [];
  return {
    // Named by the file, so a change logs as "requirements.txt 3f2a9c1b0d4e… → 9a8b7c6d5e4f…".
    [manager.lockfile]: await digest(manager.lockfile),
    ...Object.fromEntries(await Promise.all(included.map(async (f) => [f, await digest(f)]))),
    // uv, Poetry and pip read pyproject.toml too (the project's own package, its scripts).
    ...(manager.lockfile !== "pyproject.toml" && manager.name !== "pipenv" && inputs.project.pyproject
      ? { pyproject: await digest("pyproject.toml") }
      : {}),
    ...(manager.name === "pipenv" && manager.lockfile === "Pipfile.lock" ? { pipfile: await digest("Pipfile") } : {}),
    python: python.version,
    // The distro's glibc decides which manylinux wheels pip takes, and what they link against.
    distro: ctx.target.distro ? `${ctx.target.distro.name} ${ctx.target.distro.version}` : "unknown",
    tool: `${tool.name}@${tool.version}`,
    // A venv compiled before .pyc were hash-checked holds stale timestamp ones: install again.
    bytecode: "checked-hash",
    // pip and Pipenv venvs may get the inventory's setuptools, put in first (< 3.12) or in place
    // of one without pkg_resources (add-setuptools.ts): on every CPython, so a venv built before
    // that replacement existed is built again and gets it.
    ...(manager.name === "pip" || manager.name === "pipenv"
      ? { setuptools: ctx.dependencies.resolve("setuptools").version }
      : {}),
  };
}

/** Every file that `files` are or pull in (-r, -c), but the first, each once. */
async function includedRequirements(appDir: string, files: readonly string[]): Promise<string[]> {
  const all = new Set<string>();
  for (const f of files) for (const g of await requirementsClosure(appDir, f)) all.add(g);
  return [...all].slice(1);
}

/** Creates the venv and runs the install; records the distributions and bin entries. */
async function fillVenv(inputs: DependencyInputs, l: Layer<VenvMetadata>): Promise<void> {
  const { ctx, manager, runtime, pip } = inputs;
  const lock = manager.name === "pipenv" && manager.lockfile === "Pipfile.lock" ? await pipenvLock(ctx) : undefined;
  // A poetry.lock is installed by uv from its export; Poetry only for what uv cannot install.
  const poetryLock = manager.name === "poetry" && manager.lockfile === "poetry.lock";
  const tool = poetryLock ? undefined : await inputs.tool.get();
  await runtime.ensure();
  const app = ctx.app.path;
  const env = withChanges(inputs.env, {
    path: [join(l.path, "bin")],
    set: { VIRTUAL_ENV: l.path, UV_PROJECT_ENVIRONMENT: l.path, UV_PYTHON: runtime.python },
  });
  // uv sync makes the venv itself (UV_PROJECT_ENVIRONMENT, an empty layer dir), in ~10 ms
  // where `python -m venv` takes 50-100 ms: on a FastAPI app whose whole install is 0.35 s.
  if (manager.name !== "uv") {
    await runTool([runtime.python, "-m", "venv", "--without-pip", l.path], {
      explain: explainPythonTool,
      cwd: app,
      env,
      log: ctx.log,
    });
  }
  const site = sitePackages(l.path, runtime.minor);
  if (wantsSetuptools(manager.name, runtime.minor)) {
    const added = await addSetuptools(ctx, inputs.wheels, site, manager.lockfile);
    await compileAll(runtime.python, added.code, { cwd: app, env, log: ctx.log });
  }
  if (manager.name === "pipenv") {
    // Pipenv installs with the venv's own pip.
    const { bin, version } = await pip();
    const pipInVenv = [join(bin, "python"), "-m", "pip", "--python", join(l.path, "bin", "python"), "install"];
    await runTool([...pipInVenv, "--quiet", `pip==${version}`], {
      explain: explainPythonTool,
      cwd: app,
      env,
      log: ctx.log,
    });
  }
  // No poetry.lock: Poetry locks through the build's index, and the lock installs as a committed one.
  let locked: PoetryLockRun | undefined;
  if (manager.name === "poetry" && manager.lockfile === "pyproject.toml") {
    await inputs.caches.open();
    locked = await lockPoetry({ ctx, env, poetry: tool ?? (await inputs.tool.get()) });
  }
  try {
    await installVenv(inputs, l, {
      env: locked?.env ?? env,
      site,
      pipenv: lock,
      generated: locked?.lock,
      poetryLock,
      tool,
    });
  } finally {
    await locked?.restore();
  }
}

/** What {@link installVenv} is handed by {@link fillVenv}. */
interface VenvInstall {
  env: ToolEnv;
  site: string;
  /** Whether Pipfile.lock is in sync with Pipfile (Pipenv with a lock only). */
  pipenv: LockSync | undefined;
  /** A poetry.lock made in this build (no committed one). */
  generated: PoetryLock | undefined;
  /** The app has a poetry.lock (installed by uv from its export). */
  poetryLock: boolean;
  tool: Tool | undefined;
}

/** Installs the dependencies into the made venv; records the distributions and bin entries. */
async function installVenv(inputs: DependencyInputs, l: Layer<VenvMetadata>, v: VenvInstall): Promise<void> {
  const { ctx, manager, runtime } = inputs;
  const { env, site, generated } = v;
  const app = ctx.app.path;
  let tool = v.tool;
  if (v.poetryLock || generated) {
    const done = ctx.log.timer();
    const installed = await installPoetryLock({
      ctx,
      project: inputs.project,
      runtime,
      venv: l.path,
      env,
      caches: inputs.caches,
      uv: inputs.uv,
      poetry: inputs.tool.get,
      lock: generated,
    });
    if (installed) {
      await keepPkgResources({ ctx, project: inputs.project, manager, runtime, site, wheels: inputs.wheels, env });
      await recordVenv(ctx, l, site, done);
      return otherVenvs(inputs, l, env, undefined);
    }
  }
  tool ??= await inputs.tool.get();
  const { check, command, compile } = installCommand({
    manager,
    toolVersion: tool.version,
    toolBin: tool.bin,
    venv: l.path,
    hasScripts: inputs.project.scripts.length > 0,
  });
  await inputs.caches.open();
  // pip's report says whether the other platforms of a multi-platform build resolve the same.
  const report =
    manager.name === "pip" && ctx.multiPlatform.variants ? await mkdtemp(join(tmpdir(), "cnbkit-pip-")) : undefined;
  const done = ctx.log.timer();
  // Pipenv's own verify only when the lock matches neither hash: it has the last word on a
  // Pipfile whose TOML this reading might serialise differently (floats, dates).
  if (check && v.pipenv === "out-of-date")
    await runTool(check, {
      explain: explainPythonTool,
      cwd: app,
      env,
      log: ctx.log,
      where: manager.lockfile,
      quiet: true,
    });
  ctx.log.detail(`Running ${shownCommand(command)}`);
  try {
    const reporting = report ? [...command, "--report", join(report, "report.json")] : command;
    await runTool(reporting, { explain: explainPythonTool, cwd: app, env, log: ctx.log, where: manager.lockfile });
    // uv and pip compile what they install; Poetry and Pipenv do not.
    if (compile) await compileAll(runtime.python, [join(l.path, "lib")], { cwd: app, env, log: ctx.log });
    await keepPkgResources({ ctx, project: inputs.project, manager, runtime, site, wheels: inputs.wheels, env });
    await recordVenv(ctx, l, site, done);
    await otherVenvs(inputs, l, env, report ? { tool, report: join(report, "report.json") } : undefined);
  } finally {
    if (report) await rm(report, { recursive: true, force: true });
  }
}

/**
 * In the native build of a multi-platform build: the venv for each other platform
 * (make-venv-variants.ts), from pip's report of this install; declined with the reason for
 * the other package managers, whose installs this does not read.
 */
async function otherVenvs(
  inputs: DependencyInputs,
  l: Layer<VenvMetadata>,
  env: ToolEnv,
  pip: { tool: Tool; report: string } | undefined,
): Promise<void> {
  const { ctx, manager, runtime } = inputs;
  if (!ctx.multiPlatform.variants) return;
  const files = new Set<string>();
  if (manager.pipTarget === "requirements") {
    for (const f of manager.requirementFiles ?? [manager.lockfile])
      for (const g of await requirementsClosure(ctx.app.path, f)) files.add(g);
  }
  await makeVenvVariants({
    ctx,
    venv: l,
    runtime,
    env,
    requirementFiles: [...files],
    report: pip
      ? { path: pip.report, pip: pip.tool }
      : { not: `only a pip install is made for another CPU here (this one is ${manager.name}'s)` },
  });
}

/** Logs the venv's distribution count and keeps its distributions, bin entries and modules in its metadata. */
async function recordVenv(
  ctx: StepContext<"log">,
  l: Layer<VenvMetadata>,
  site: string,
  done: () => string,
): Promise<void> {
  const installed = await installedDistributions(site);
  // Pipenv and Poetry say nothing of what they installed: the count is the venv's, for all.
  ctx.log.detail(`Done in ${done()}: ${installed.length} distributions in the venv`);
  l.metadata = {
    packages: installed.map((d) => ({ ...d })),
    bin: (await readdir(join(l.path, "bin"))).sort(),
    modules: await topLevelModules(site),
  };
}

/** Whether Pipfile.lock was locked from Pipfile, by either Pipenv's hash ({@link pipfileLockSync}). */
async function pipenvLock(ctx: StepContext<"app" | "log">): Promise<LockSync> {
  const sync = pipfileLockSync(await ctx.app.readToml("Pipfile"), await ctx.app.readJson("Pipfile.lock"));
  if (sync === "legacy") {
    ctx.log.detail("Pipfile.lock matches Pipfile as hashed by Pipenv before 2026.4 (package names as written)");
  }
  return sync;
}

/**
 * The importable top-level names in site-packages (packages, modules, extension modules), kept
 * in the layer's metadata so start commands can be checked against a venv reused from the image.
 */
async function topLevelModules(site: string): Promise<string[]> {
  const names = new Set<string>();
  for (const e of await readdir(site, { withFileTypes: true })) {
    if (e.isDirectory() && /^[A-Za-z_]\w*$/.test(e.name) && e.name !== "__pycache__") names.add(e.name);
    else if (e.isFile() && /\.(?:py|so|pyd)$/.test(e.name)) names.add(e.name.split(".")[0]!);
  }
  return [...names].sort();
}

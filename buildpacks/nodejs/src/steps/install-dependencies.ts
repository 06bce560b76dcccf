/**
 * Steps: install the app's dependencies, and after the build scripts, remove the dev ones.
 *
 * In a layer (the default), `<app>/node_modules` links to it and a rebuild with the same
 * lockfile, package.json, Node major and package manager reuses it as it was. With build
 * scripts and pruning, there are two: `build_modules` (everything, for the scripts; cached)
 * and `launch_modules` (production only, made from a copy of the first). In the app
 * directory (see modules-location.ts), the tree is installed and pruned in place, and the
 * package manager's cache is what makes the next build fast. The modules layers are
 * arch-neutral when npm's lockfile shows no install script and no per-CPU package
 * (arch-neutral-modules.ts): the emulated platforms of a multi-platform build reuse the
 * native build's tree instead of installing under qemu.
 */
import { buildOnly } from "../build-only.js";
import { createHash } from "node:crypto";
import { join } from "node:path";
import { readdir, readFile, rm } from "node:fs/promises";
import semver from "semver";
import { CnbError, type EnvChange, type Layer, type StepContext, type ToolEnv, withChanges } from "@cnbkit/framework";
import { type AddonEngines, enginesAfterInstall, yarnBuiltPackages } from "../addon-engines.js";
import { modulesArchNeutrality } from "../arch-neutral-modules.js";
import { lockfileComponents } from "../lockfile-sbom.js";
import { pruneCommand } from "../package-manager.js";
import { isRealDir, linkTree, type ModulesTree, moveTree, prepareTree } from "../node-modules-dir.js";
import { nodeGypEnv } from "../node-gyp-env.js";
import { lockfilePackages } from "../npm-lockfile-packages.js";
import { buildFailures, errorLines, explainFailure } from "../native-build-failure.js";
import { scriptPolicyReport, scriptPolicyWarning } from "../npm-install-scripts.js";
import { unbuiltAddons, unbuiltAddonsError } from "../unbuilt-addons.js";
import { yarnSkippedBuilds, yarnSkippedBuildsWarning } from "../yarn-skipped-builds.js";
import type { PrunePolicy } from "../prune-policy.js";
import { runTool } from "@cnbkit/framework/process";
import { explainNodeTool } from "../tool-errors.js";
import type { Runtime } from "./install-runtime.js";
import type { PackageManager } from "./install-package-manager.js";
import type { BuildPlan } from "./plan-build.js";
import { appRelative, type Project } from "./read-project.js";
import type { KeptPackages } from "../start-tools.js";
import { pruneKeeping } from "./keep-packages.js";

/** Everything the dependency steps read. */
export interface DependencyInputs {
  ctx: StepContext<"app" | "multiPlatform" | "log" | "plan" | "sbom">;
  project: Project;
  plan: BuildPlan;
  manager: PackageManager;
  runtime: Runtime;
  /** The tool environment so far. */
  env: ToolEnv;
  prune: PrunePolicy;
  /**
   * True when the start script may run a dev dependency's bin (`startMayNeedDev` in start-tools.ts): the
   * tree is installed whole, so the prune step can tell which package provides it.
   */
  startNeedsCheck: boolean;
}

/** The installed tree. */
export interface InstalledDependencies {
  /** node_modules/.bin on PATH and node-gyp's headers, for build scripts. */
  env: EnvChange;
  /** The layer holding it (layer mode). */
  layer?: Layer;
  /** True while dev dependencies are installed that must go before launch. */
  prunePending: boolean;
  /** The reuse key and SBOM components, read once here and used again by the prune step. */
  key: Record<string, unknown>;
  /** Whether the modules layers may be shared between platforms (arch-neutral-modules.ts). */
  archNeutral: true | { not: string };
  components: ReturnType<typeof lockfileComponents>;
}

/** Output of package managers that says the lockfile does not match package.json. */
const LOCKFILE_OUT_OF_SYNC =
  /can only install packages when your package\.json and package-lock\.json|are not in sync|Missing: .+ from lock file|Your lockfile needs to be updated|lockfile would have been modified|YN0028|ERR_PNPM_OUTDATED_LOCKFILE|ERR_PNPM_LOCKFILE_CONFIG_MISMATCH/;

/** Installs the dependencies: with dev dependencies when build scripts run or pruning is off. */
export async function installDependencies(inputs: DependencyInputs): Promise<InstalledDependencies> {
  const { ctx, plan, manager, prune } = inputs;
  const pm = manager.choice;
  const withDev = plan.scripts.scripts.length > 0 || !prune.prune || inputs.startNeedsCheck;
  const command = withDev || !pm.installProd ? pm.install : pm.installProd;
  // Vendored modules are rebuilt as they are, not pruned.
  const prunePending = prune.prune && !pm.vendored && command !== pm.installProd;
  ctx.log.step(`Dependencies (${command.join(" ")})`);
  if (!prune.prune) {
    if (prune.warn) ctx.log.warn(`Keeping dev dependencies: ${prune.reason}`);
    else ctx.log.detail(`Keeping dev dependencies: ${prune.reason}`);
  }
  const tree = modulesTree(inputs.project);
  if (!pm.vendored && (await isRealDir(join(tree.root, "node_modules")))) {
    ctx.log.warn(
      `Ignoring the node_modules directory in the app source; installing from ${pm.lockfile ?? "package.json"}`,
    );
    await rm(join(tree.root, "node_modules"), { recursive: true, force: true });
  }
  const components = await sbomComponents(inputs);
  const key = await baseKey(inputs);
  const archNeutral = await neutrality(inputs);
  if (plan.modules.kind === "app" || pm.vendored) {
    if (plan.modules.kind === "app") ctx.log.detail(`node_modules stays in the app directory: ${plan.modules.reason}`);
    const env = await runInstall(inputs, command);
    ctx.sbom.launch.add(...components);
    return {
      env: { ...env, path: [join(tree.root, "node_modules", ".bin")] },
      prunePending,
      key,
      archNeutral,
      components,
    };
  }
  // Two layers when the scripts need dev dependencies and launch does not.
  const name = withDev && prunePending ? "build_modules" : "launch_modules";
  const layer = await ctx.multiPlatform.cached(name, {
    types: name === "build_modules" ? { build: true, cache: true } : modulesTypes(ctx),
    key: { ...key, production: !withDev },
    archNeutral,
    async fill(l) {
      await installInto(inputs, l, command);
      if (name === "launch_modules" && prunePending)
        await installInto(inputs, l, pruneCommand(pm, manager.version), l.path);
    },
  });
  await finishModulesLayer(inputs, layer, components);
  // Only build scripts run after this; without them Node stays unneeded (a no-op rebuild runs none).
  const headers = plan.scripts.scripts.length > 0 ? await headersEnv(inputs) : {};
  return {
    env: { ...headers, path: [join(layer.path, "node_modules", ".bin")] },
    layer,
    prunePending: name === "build_modules",
    key,
    archNeutral,
    components,
  };
}

/** Whether the modules layers are arch-neutral, from the lockfile and package.json (arch-neutral-modules.ts). */
async function neutrality(inputs: DependencyInputs): Promise<true | { not: string }> {
  const { ctx, project, manager } = inputs;
  const pm = manager.choice;
  const lock = pm.lockfile ? await ctx.app.readText(appRelative(project.install, pm.lockfile)) : undefined;
  const pkg = JSON.parse(await ctx.app.readText(appRelative(project.install, "package.json"))) as Record<
    string,
    unknown
  >;
  return modulesArchNeutrality(pm.name, pm.lockfile, lock, pkg);
}

/**
 * Removes dev dependencies after the build scripts, when {@link installDependencies} left them
 * for these; `keep` names devDependencies the start needs, which stay (steps/keep-packages.ts).
 */
export async function pruneDependencies(
  inputs: DependencyInputs,
  installed: InstalledDependencies,
  keep?: KeptPackages,
): Promise<void> {
  if (!installed.prunePending) return;
  const { ctx, manager } = inputs;
  const prune = pruneCommand(manager.choice, manager.version);
  ctx.log.step(`Production dependencies (${prune.join(" ")})`);
  if (keep) ctx.log.detail(`Keeping ${keep.packages.join(", ")}: ${keep.reason}`);
  const kept = keep?.packages ?? [];
  const nodeModules = join(inputs.project.install.dir, "node_modules");
  if (!installed.layer) {
    await pruneKeeping(nodeModules, kept, () => runInstall(inputs, prune));
    return;
  }
  const seed = installed.layer.path;
  const layer = await ctx.multiPlatform.cached("launch_modules", {
    types: modulesTypes(ctx),
    // What is kept is in the key: a layer pruned without it must not be reused.
    key: { ...installed.key, production: true, ...(kept.length > 0 ? { kept: kept.join(",") } : {}) },
    archNeutral: installed.archNeutral,
    fill: (l) => installInto(inputs, l, prune, seed, kept),
  });
  await finishModulesLayer(inputs, layer, installed.components);
}

/**
 * Keeps the dev dependencies {@link installDependencies} installed for the build scripts in
 * what is launched, as the start command needs one of them (`reason`, said in one line).
 */
export async function keepDependencies(
  inputs: DependencyInputs,
  installed: InstalledDependencies,
  reason: string,
): Promise<void> {
  if (!installed.prunePending) return;
  const { ctx } = inputs;
  ctx.log.step(`Keeping dev dependencies: ${reason}`);
  if (!installed.layer) return;
  const seed = installed.layer.path;
  const layer = await ctx.multiPlatform.cached("launch_modules", {
    types: modulesTypes(ctx),
    key: { ...installed.key, production: false },
    archNeutral: installed.archNeutral,
    fill: (l) => installInto(inputs, l, undefined, seed),
  });
  await finishModulesLayer(inputs, layer, installed.components);
}

/**
 * Launch-only, unless a later buildpack asks for node_modules at build time; build-only when
 * a later buildpack serves the build's output (build-only.ts).
 */
function modulesTypes(ctx: StepContext<"plan">) {
  if (buildOnly(ctx.plan)) return { build: true, cache: true };
  return ctx.plan.resolve("node_modules")?.build === true
    ? { build: true, launch: true, cache: true }
    : { launch: true, cache: false };
}

/** Links a modules layer into the app, says when it was reused, and records its SBOM and launch PATH. */
async function finishModulesLayer(
  inputs: DependencyInputs,
  layer: Layer,
  components: ReturnType<typeof lockfileComponents>,
) {
  const { ctx, manager, runtime } = inputs;
  if (layer.state.kind === "restored" && !layer.state.fromArch) {
    ctx.log.detail(
      `Nothing to install: lockfile, package.json, Node.js ${runtime.major} and ${manager.choice.name} ${manager.version} unchanged`,
    );
  }
  await linkTree(modulesTree(inputs.project), layer.path, keptMembers(layer));
  layer.sbom.add(...components);
  if (layer.types.launch) layer.env.launch.prepend("PATH", join(layer.path, "node_modules", ".bin"), ":");
}

/**
 * Runs `command` (if any) on a real node_modules (seeded from `seedLayer`), then moves the
 * tree into `layer`.
 */
async function installInto(
  inputs: DependencyInputs,
  layer: Layer,
  command: string[] | undefined,
  seedLayer?: string,
  keep: readonly string[] = [],
) {
  const tree = modulesTree(inputs.project);
  await prepareTree(tree, seedLayer);
  if (command) await pruneKeeping(join(tree.root, "node_modules"), keep, () => runInstall(inputs, command));
  const members = await moveTree(tree, layer.path);
  if (members.length > 0) layer.metadata[MEMBERS_FIELD] = members;
  else delete layer.metadata[MEMBERS_FIELD];
}

/** Runs an install command at the install root; returns the headers env it ran with. */
async function runInstall(inputs: DependencyInputs, command: string[]): Promise<EnvChange> {
  const { ctx, project, manager } = inputs;
  const pm = manager.choice;
  const headers = await headersEnv(inputs);
  const done = ctx.log.timer();
  ctx.log.detail(`Running ${command.join(" ")}`);
  const where = appRelative(project.install, pm.lockfile ?? "package.json");
  let failedOutput: string | undefined;
  const output = await runTool(command, {
    explain(failure) {
      failedOutput = failure.output;
      return explainNodeTool(failure);
    },
    cwd: project.install.dir,
    env: withChanges(inputs.env, headers),
    log: ctx.log,
    where,
    ...(pm.lockfile
      ? {
          hint: `${pm.lockfile} is out of sync with package.json: run "${pm.name} install" and commit ${pm.lockfile}`,
          hintWhen: LOCKFILE_OUT_OF_SYNC,
        }
      : {}),
    fold: /YN0013:/,
  }).catch(async (err: unknown) => {
    if (failedOutput !== undefined) await checkInstalledEngines(inputs, failedOutput);
    throw (failedOutput !== undefined && (await dependencyBuildError(inputs, failedOutput, where))) || err;
  });
  await checkInstalledEngines(inputs, output);
  ctx.log.detail(`Done in ${done()}`);
  // npm 12 exits 0 when its allowScripts policy skipped a dependency's install scripts: say
  // so once, where it cannot scroll by, with the fix. npm 11.16+ ran them: a note, no warning.
  const report = pm.name === "npm" ? scriptPolicyReport(output) : undefined;
  if (report) {
    const pkgJson = appRelative(project.install, "package.json");
    const warning = scriptPolicyWarning(report, pkgJson);
    if (report.skipped) ctx.log.warn(warning.line);
    else ctx.log.detail(warning.line);
    ctx.log.detail(warning.hint);
    // A skipped native addon build is no warning: the image would crash at its first require.
    const unbuilt = report.skipped ? await unbuiltAddons(project.install.dir, report.packages) : [];
    if (unbuilt.length > 0) {
      const error = unbuiltAddonsError(unbuilt, inputs.manager.version, pkgJson);
      throw new CnbError(error.line, { hint: error.hint });
    }
  }
  // Yarn 4.14+ skips dependency builds by default and exits 0: the same, for Yarn.
  const skipped = pm.name === "yarn" && pm.berry ? yarnSkippedBuilds(output) : [];
  if (skipped.length > 0) {
    const warning = yarnSkippedBuildsWarning(skipped, appRelative(project.install, "package.json"));
    ctx.log.warn(warning.line);
    ctx.log.detail(warning.hint);
  }
  return headers;
}

/**
 * The error for an install that failed because a dependency's build (a native addon's
 * compile) did, or undefined for any other failure. Yarn 2+ writes that build's output to a
 * file in the build container's /tmp and names it; the file is read now, as it goes with the
 * container, and its error lines are shown: without them the log says only "couldn't be
 * built". npm has printed the script's output itself, just above.
 */
async function dependencyBuildError(
  inputs: DependencyInputs,
  output: string,
  where: string,
): Promise<CnbError | undefined> {
  const { ctx, runtime } = inputs;
  const failures = buildFailures(output);
  const first = failures[0];
  if (!first) return undefined;
  let firstLog = output;
  for (const failure of failures.slice(0, 3)) {
    if (!failure.logPath) continue;
    const log = await readFile(failure.logPath, "utf8").catch(() => undefined);
    if (log === undefined) {
      ctx.log.detail(`${failure.pkg}'s build log ${failure.logPath} could not be read`);
      continue;
    }
    if (failure === first) firstLog = log;
    const lines = errorLines(log);
    ctx.log.step(`${failure.pkg}: its build's error lines (from ${failure.logPath})`);
    for (const l of lines.length > 0 ? lines : ["(none found; the log's last lines:)", ...lastLines(log, 10)]) {
      ctx.log.subprocess(l);
    }
  }
  const { line, hint } = explainFailure(first, firstLog, runtime.version);
  const more = failures.length > 1 ? ` (and ${failures.length - 1} more package${failures.length > 2 ? "s" : ""})` : "";
  return new CnbError(`${where}: ${line}${more}`, { hint });
}

/**
 * Yarn 2+'s lock carries no engines, so the Node.js line could not be chosen for its native
 * addons before the install (addon-engines.ts): read them from the packages Yarn built, and
 * fail in one line with the line the build would have chosen when they rule this one out.
 */
async function checkInstalledEngines(inputs: DependencyInputs, output: string): Promise<void> {
  const { project, manager, runtime } = inputs;
  if (manager.choice.name !== "yarn" || !manager.choice.berry || !runtime.open) return;
  const built = yarnBuiltPackages(output);
  if (built.length === 0) return;
  const addons: AddonEngines[] = [];
  for (const { name, version } of built) {
    const pkg = await installedPackageJson(project.install.dir, name, version);
    const node = (pkg?.engines as Record<string, unknown> | undefined)?.node;
    if (typeof node === "string" && semver.validRange(node, { loose: true })) addons.push({ name, version, node });
  }
  const lockfile = appRelative(project.install, manager.choice.lockfile ?? "yarn.lock");
  const failure = enginesAfterInstall(runtime.open, runtime.version, addons, lockfile);
  if (failure) throw new CnbError(failure.line, { hint: failure.hint });
}

/**
 * The package.json of an installed `name@version`: node_modules' (the node-modules linker),
 * else Yarn's unplugged copy (Plug'n'Play unpacks the packages it builds there).
 */
async function installedPackageJson(
  installDir: string,
  name: string,
  version: string,
): Promise<Record<string, unknown> | undefined> {
  const read = (file: string) =>
    readFile(file, "utf8")
      .then((t) => JSON.parse(t) as Record<string, unknown>)
      .catch(() => undefined);
  const linked = await read(join(installDir, "node_modules", name, "package.json"));
  if (linked?.version === version) return linked;
  const unplugged = join(installDir, ".yarn", "unplugged");
  const prefix = `${name.replace("/", "-")}-npm-${version}-`;
  const dirs = await readdir(unplugged).catch(() => [] as string[]);
  for (const d of dirs.filter((x) => x.startsWith(prefix))) {
    const pkg = await read(join(unplugged, d, "node_modules", name, "package.json"));
    if (pkg) return pkg;
  }
  return linked;
}

/** The last `n` lines of a text that say something. */
function lastLines(text: string, n: number): string[] {
  return text
    .split(/\r?\n/)
    .filter((l) => l.trim())
    .slice(-n);
}

/** Node's files on disk (a reused runtime is installed again) and where node-gyp finds its headers. */
async function headersEnv(inputs: DependencyInputs): Promise<EnvChange> {
  const headers = await inputs.runtime.ensure();
  // Only npm warns about npm_config_* it does not know; under yarn or pnpm both forms are set.
  const npm = inputs.manager.choice.name === "npm" ? inputs.manager.version : undefined;
  const lockedNodeGyps = npm
    ? (await lockfilePackages(inputs.project.install.dir)).flatMap((p) =>
        p.name === "node-gyp" && p.version ? [p.version] : [],
      )
    : [];
  return { set: nodeGypEnv(headers, npm, lockedNodeGyps) };
}

/** What decides whether an installed tree can be reused. */
async function baseKey(inputs: DependencyInputs): Promise<Record<string, unknown>> {
  const { ctx, project, manager, runtime } = inputs;
  const pm = manager.choice;
  const lock = pm.lockfile ? await ctx.app.readText(appRelative(project.install, pm.lockfile)) : undefined;
  return {
    lockfile: lock === undefined ? "none" : sha256(lock),
    packageJson: sha256(await ctx.app.readText(appRelative(project.install, "package.json"))),
    nodeMajor: runtime.major,
    packageManager: `${pm.name}@${manager.version}`,
    ...(project.members.length > 0 ? { workspaceMembers: project.members.join(",") } : {}),
  };
}

async function sbomComponents(inputs: DependencyInputs) {
  const pm = inputs.manager.choice;
  if (!pm.lockfile) return [];
  return lockfileComponents(
    pm.lockfile,
    await inputs.ctx.app.readText(appRelative(inputs.project.install, pm.lockfile)),
  );
}

function modulesTree(project: Project): ModulesTree {
  return { root: project.install.dir, members: project.members };
}

/** The modules layers' metadata field listing the workspace members whose node_modules they hold. */
const MEMBERS_FIELD = "workspace-modules";

/** The members {@link MEMBERS_FIELD} lists for `layer` (none when absent or malformed). */
function keptMembers(layer: Layer): string[] {
  const v = layer.metadata[MEMBERS_FIELD];
  return Array.isArray(v) ? v.filter((m): m is string => typeof m === "string") : [];
}

function sha256(text: string): string {
  return createHash("sha256").update(text).digest("hex");
}

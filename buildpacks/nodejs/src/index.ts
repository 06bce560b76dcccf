/**
 * cnbkit's reference Node.js buildpack: the Node runtime from the inventory, dependencies
 * installed by npm, yarn (classic or berry) or pnpm into layers cached on lockfile digests,
 * build scripts with dev dependencies then pruned, memory-aware launch defaults (exec.d),
 * an inferred `web` process, and SBOMs for the runtime and every lockfile package.
 *
 * The decisions live in small pure modules (node-version, package-manager, build-scripts,
 * start-command, workspaces, memory, lockfile-sbom, registry-config); this file wires them to
 * the framework.
 */
import { createHash } from "node:crypto";
import { existsSync, readdirSync } from "node:fs";
import { mkdtemp, rename, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { basename, join } from "node:path";
import {
  type BuildContext,
  type BuildResult,
  buildpack,
  CnbError,
  type DetectContext,
  type DetectResult,
  type Layer,
} from "@cnbkit/framework";
import { selectBuildScripts } from "./build-scripts.js";
import { lockfileComponents } from "./lockfile-sbom.js";
import { MEMORY_EXEC_D, MEMORY_SCRIPT } from "./memory.js";
import { isRealDir, linkTree, type ModulesTree, moveTree, prepareTree } from "./node-modules-dir.js";
import { describeNodeVersionRequest, resolveNodeVersion } from "./node-version.js";
import { bundledNpmVersion, choosePackageManager, type PackageManagerInputs, toolPackage } from "./package-manager.js";
import { registryConfig } from "./registry-config.js";
import { runTool } from "./run.js";
import { inferStartCommand, START_FILES } from "./start-command.js";
import { detectWorkspaces, isWorkspaceMember, projectPath, workspaceMembers } from "./workspaces.js";

/** buildpack.toml `[metadata]` as this buildpack reads it (the inventory is the framework's). */
export interface NodejsMetadata {
  defaultVersions: { node: string };
}

/** Checks `[metadata]`: a `default-versions.node` range is required. */
export function parseMetadata(raw: unknown): NodejsMetadata {
  const dv = (raw as { "default-versions"?: { node?: unknown } } | undefined)?.["default-versions"];
  const node = dv?.node;
  if (typeof node !== "string" || node.trim() === "") {
    throw new CnbError('buildpack.toml: [metadata.default-versions].node must be a version range such as "24.x"');
  }
  return { defaultVersions: { node } };
}

export { MEMORY_EXEC_D } from "./memory.js";

type Env = Record<string, string | undefined>;

/** BP_* settings come from the process env and `<platform>/env` (the latter wins). */
function settings(ctx: { env: Env; platform: { env: Record<string, string> } }): Env {
  return { ...ctx.env, ...ctx.platform.env };
}

async function detect(ctx: DetectContext<NodejsMetadata>): Promise<DetectResult> {
  const proj = projectPath(settings(ctx));
  const rel = (f: string) => (proj === "." ? f : `${proj}/${f}`);
  // Launch only: this buildpack runs Node at build time without asking; a later buildpack
  // that needs it then asks with build = true, and the node layer is kept for builds.
  const node = { name: "node", metadata: { launch: true } };
  if (await ctx.app.exists(rel("package.json"))) {
    // Parse now so a syntax error stops the build with the file and line named.
    await ctx.app.readJson(rel("package.json"));
    return ctx.pass({
      provides: [{ name: "node" }, { name: "node_modules" }],
      requires: [node, { name: "node_modules", metadata: { launch: true } }],
    });
  }
  for (const f of START_FILES) {
    if (await ctx.app.exists(rel(f))) return ctx.pass({ provides: [{ name: "node" }], requires: [node] });
  }
  return ctx.fail(`no package.json or ${START_FILES.join("/")} in ${proj === "." ? "the app" : proj}`);
}

/** Runs the build, then what it deferred (the temporary home a yarnrc binding may need). */
async function build(ctx: BuildContext<NodejsMetadata>): Promise<BuildResult> {
  const cleanups: (() => Promise<void>)[] = [];
  try {
    return await buildApp(ctx, (fn) => cleanups.push(fn));
  } finally {
    for (const fn of cleanups.reverse()) await fn();
  }
}

async function buildApp(
  ctx: BuildContext<NodejsMetadata>,
  defer: (cleanup: () => Promise<void>) => void,
): Promise<BuildResult> {
  const { log } = ctx;
  const env = settings(ctx);
  const proj = projectPath(env);
  const projDir = join(ctx.app.path, proj);
  const rel = (f: string) => (proj === "." ? f : `${proj}/${f}`);
  const pkg = (await ctx.app.readJson(rel("package.json"), { optional: true })) as Record<string, unknown> | undefined;
  if (pkg !== undefined && (typeof pkg !== "object" || pkg === null || Array.isArray(pkg))) {
    throw new CnbError(`${rel("package.json")}: must be a JSON object`);
  }

  // Workspaces install at the root when the project is one of their members.
  const rootPkg =
    proj === "." ? pkg : ((await ctx.app.readJson("package.json", { optional: true })) as Record<string, unknown>);
  const ws = detectWorkspaces(rootPkg, await ctx.app.readText("pnpm-workspace.yaml", { optional: true }));
  const installRel = proj !== "." && ws && isWorkspaceMember(proj, ws) ? "." : proj;
  const installDir = join(ctx.app.path, installRel);
  const installPkg = installRel === proj ? pkg : rootPkg;
  const irel = (f: string) => (installRel === "." ? f : `${installRel}/${f}`);

  // 1. Node.js version
  log.step("Resolving Node.js version");
  const request = resolveNodeVersion({
    env,
    enginesNode: (pkg?.engines as Record<string, unknown> | undefined)?.node,
    nvmrc: await ctx.app.readText(rel(".nvmrc"), { optional: true }),
    nodeVersionFile: await ctx.app.readText(rel(".node-version"), { optional: true }),
    defaultRange: ctx.buildpack.metadata.defaultVersions.node,
    latestLtsMajor: Number.parseInt(ctx.buildpack.metadata.defaultVersions.node, 10) || 24,
  });
  log.detail(describeNodeVersionRequest(request));
  let dep: ReturnType<BuildContext<NodejsMetadata>["dependencies"]["resolve"]>;
  try {
    dep = ctx.dependencies.resolve("node", request.range);
  } catch (err) {
    if (!(err instanceof CnbError)) throw err;
    const where =
      request.source === "package.json engines.node" ? `${rel("package.json")}: engines.node` : request.source;
    const newest = /\(newest: ([^)]+)\)/.exec(err.message)?.[1];
    throw new CnbError(
      `${where} "${request.raw}" matches no Node.js version in the inventory for ${ctx.target.os}/${ctx.target.arch}${newest ? ` (newest: ${newest})` : ""}`,
      err.hint ? { hint: err.hint } : {},
    );
  }
  log.detail(`Selected Node.js ${dep.version}`);
  const nodeMajor = Number.parseInt(dep.version, 10);

  // What this build will run with Node decides how the runtime is kept. Every build that runs
  // build scripts (or serves a later buildpack asking for node at build time) needs it, so it
  // is a cache layer there. Otherwise it is launch-only: a rebuild whose dependencies did not
  // change reuses it from the previous image without untarring and re-tarring ~200 MB, and
  // installs it again only when something must run (ensureContents).
  const yarnLockText = () => ctx.app.readText(irel("yarn.lock"));
  const pmChoice =
    installPkg === undefined
      ? undefined
      : choosePackageManager(await packageManagerInput(installDir, installPkg, yarnLockText));
  const scripts = pmChoice ? selectBuildScripts(pkg ?? {}, pmChoice, env) : undefined;
  const nodeEveryBuild =
    ctx.plan.resolve("node")?.build === true || (scripts?.scripts.length ?? 0) > 0 || pmChoice?.vendored === true;

  // 2. Node.js runtime layer
  log.step("Node.js runtime");
  // A launch-only runtime leaves out Node's C headers (half of the tarball's ~6,200 files):
  // the verified tarball stays in a build-only layer instead, and node-gyp takes the headers
  // from it only if an addon compiles (npm_config_tarball), with no network.
  const lazyHeaders = !nodeEveryBuild;
  const tarballStaging = join(ctx.layers.path, "node_headers.staging");
  let tarball: string | undefined;
  // A launch-only runtime has no files on a rebuild; when the dependencies change it is
  // installed again, from this cache-only copy of the download instead of the network. An
  // offline buildpack carries the tarball itself (file://) and needs no copy.
  const distCache =
    lazyHeaders && !dep.uri.startsWith("file:")
      ? await ctx.layers.cached("node_dist", { types: { cache: true }, key: { sha256: dep.sha256 }, fill() {} })
      : undefined;
  const nodeLayer = await ctx.layers.cached("node", {
    types: nodeEveryBuild ? { build: true, launch: true, cache: true } : { launch: true, cache: false },
    key: { version: dep.version, sha256: dep.sha256, arch: ctx.target.arch },
    async fill(layer) {
      const done = log.timer();
      log.detail(`Installing Node.js ${dep.version}`);
      if (lazyHeaders) await rm(tarballStaging, { recursive: true, force: true });
      tarball = await ctx.dependencies.install(dep, layer.path, {
        strip: dep.stripComponents ?? 1,
        ...(distCache ? { cacheDir: distCache.path } : {}),
        ...(lazyHeaders ? { exclude: ["include"], keepDownloadIn: tarballStaging } : {}),
      });
      log.detail(`Installed in ${done()}`);
      // Kept with the layer so a rebuild knows npm's version without running Node.
      const npm = await bundledNpmVersion(layer.path);
      if (npm) layer.metadata.npm = npm;
    },
  });
  nodeLayer.env.override("NODE_HOME", nodeLayer.path);
  nodeLayer.env.launch.default("NODE_ENV", "production");
  nodeLayer.env.launch.default("NODE_VERBOSE", "false");
  nodeLayer.sbom.add(dep.component());
  // node-gyp takes headers from npm_config_nodedir (a runtime with include/) or unpacks them
  // from npm_config_tarball into npm_config_devdir; with neither it downloads them from
  // nodejs.org, which restricted networks cannot reach.
  const attachHeaders = async () => {
    if (tarball === undefined || !existsSync(tarballStaging)) return;
    const file = basename(tarball);
    const headers = await ctx.layers.fresh("node_headers", {
      types: { build: true },
      fill: async (l) => {
        await rename(join(tarballStaging, file), join(l.path, file));
        await rm(tarballStaging, { recursive: true, force: true });
      },
    });
    toolEnv.npm_config_tarball = join(headers.path, file);
    toolEnv.npm_config_devdir = join(headers.path, "node-gyp");
  };

  // exec.d: a small sh script, run by the launcher, sets --max-old-space-size and
  // WEB_CONCURRENCY (not this binary: that would put ~110 MB into every app image).
  await ctx.layers.cached("node_exec_d", {
    types: { launch: true },
    key: { program: MEMORY_EXEC_D, script: sha256(MEMORY_SCRIPT) },
    async fill(layer) {
      const tmp = await mkdtemp(join(tmpdir(), "cnbkit-node-exec-d-"));
      try {
        await writeFile(join(tmp, MEMORY_EXEC_D), MEMORY_SCRIPT);
        await layer.execD.add(MEMORY_EXEC_D, join(tmp, MEMORY_EXEC_D));
      } finally {
        await rm(tmp, { recursive: true, force: true });
      }
    },
  });

  // The environment tools run with: the new Node first on PATH, no production NODE_ENV.
  const toolEnv: Env = {
    ...env,
    PATH: [join(nodeLayer.path, "bin"), env.PATH ?? "/usr/local/bin:/usr/bin:/bin"].join(":"),
    NODE_HOME: nodeLayer.path,
    // A runtime kept for builds has its headers in include/ (attachHeaders covers the other).
    ...(lazyHeaders ? {} : { npm_config_nodedir: nodeLayer.path }),
    npm_config_update_notifier: "false",
    npm_config_fund: "false",
    npm_config_audit: "false",
    COREPACK_ENABLE_DOWNLOAD_PROMPT: "0",
    // npm turns on Node's compile cache, ~600 files in the container's /tmp that no later
    // build sees: writing them cost more (~0.1 s and their deletion) than a build's few npm
    // runs gain from them.
    NODE_DISABLE_COMPILE_CACHE: "1",
  };
  delete toolEnv.NODE_ENV;
  await attachHeaders();

  if (installPkg === undefined || pmChoice === undefined || scripts === undefined) {
    // A lone server.js / index.js / app.js: nothing to install.
    const start = inferStartCommand(undefined, "npm", (f) => existsSync(join(projDir, f)));
    return result(start, projDir, proj);
  }

  // 3. Package manager
  log.step("Package manager");
  const pm = pmChoice;
  log.detail(`${pm.name}${pm.berry ? " (berry)" : ""}${pm.version ? ` ${pm.version}` : ""}, from ${pm.source}`);
  if (pm.warning) log.warn(pm.warning);

  // Private registry config (npmrc / yarnrc bindings): in the tools' env for this build only,
  // read where the platform mounted it, so it reaches no layer.
  const registry = await registryConfig(ctx.platform.bindings, pm);
  defer(registry.dispose);
  for (const note of registry.notes) log.detail(note);
  Object.assign(toolEnv, registry.env);

  const pnpmLockVersion =
    pm.lockfile === "pnpm-lock.yaml"
      ? /^lockfileVersion:\s*['"]?([\d.]+)/m.exec(await ctx.app.readText(irel("pnpm-lock.yaml")))?.[1]
      : undefined;
  const spec = toolPackage(pm, pnpmLockVersion);
  const start = inferStartCommand(pkg, pm.name, (f) => existsSync(join(projDir, f)));
  const pmAtLaunch = start !== undefined && start.command[0] === pm.name && pm.name !== "npm";
  // Node's files, for anything below that runs a tool.
  const needNode = async () => {
    await nodeLayer.ensureContents();
    await attachHeaders();
  };
  const versionOf = async (layer: Layer, field: string): Promise<string> => {
    const known = layer.metadata[field];
    if (typeof known === "string" && known !== "") return known;
    await needNode();
    const v = (await runTool([pm.name, "--version"], { cwd: installDir, env: toolEnv, log: quiet(log) })).trim();
    layer.metadata[field] = v;
    return v;
  };
  let pmVersion: string;
  if (spec) {
    const pmLayer = await ctx.layers.cached("package_manager", {
      types: { build: true, launch: pmAtLaunch, cache: true },
      key: { package: spec, nodeMajor },
      async fill(layer) {
        await needNode();
        log.detail(`Installing ${spec}`);
        await runTool(["npm", "install", "--global", "--no-fund", "--no-audit", "--prefix", layer.path, spec], {
          cwd: layer.path,
          env: toolEnv,
          log,
        });
      },
    });
    toolEnv.PATH = `${join(pmLayer.path, "bin")}:${toolEnv.PATH}`;
    pmVersion = await versionOf(pmLayer, "version");
  } else {
    pmVersion = await versionOf(nodeLayer, "npm");
  }
  log.detail(`Using ${pm.name} ${pmVersion}`);

  // 4. Package-manager cache (cache only): downloads survive lockfile changes.
  const cacheLayer = await ctx.layers.cached("package_manager_cache", {
    types: { cache: true },
    key: { tool: pm.name },
    fill() {},
  });
  toolEnv.npm_config_cache = join(cacheLayer.path, "npm");
  toolEnv.YARN_CACHE_FOLDER = join(cacheLayer.path, "yarn");
  toolEnv.YARN_ENABLE_GLOBAL_CACHE = "false";
  toolEnv.npm_config_store_dir = join(cacheLayer.path, "pnpm-store");
  if (pm.berry && !toolEnv.YARN_NODE_LINKER) {
    const yarnrc = await ctx.app.readText(irel(".yarnrc.yml"), { optional: true });
    // node_modules lives in a layer; Plug'n'Play is kept only when the app asks for it.
    if (!yarnrc || !/^nodeLinker:/m.test(yarnrc)) toolEnv.YARN_NODE_LINKER = "node-modules";
  }

  // 5. Dependencies
  const prune = (env.BP_NODE_PRUNE_DEV_DEPENDENCIES ?? "true").toLowerCase() !== "false";
  const lockText = pm.lockfile ? await ctx.app.readText(irel(pm.lockfile)) : undefined;
  // Workspace members may get node_modules of their own (pnpm's always do). They are kept in
  // the same layer as the root's and listed in its metadata, so a rebuild that reuses the
  // layer (the app source then has none of them) links them back.
  const tree: ModulesTree = {
    root: installDir,
    members: ws && installRel === "." ? await workspaceMembers(installDir, ws) : [],
  };
  const baseKey = {
    lockfile: lockText === undefined ? "none" : sha256(lockText),
    packageJson: sha256(await ctx.app.readText(irel("package.json"))),
    nodeMajor,
    packageManager: `${pm.name}@${pmVersion}`,
    ...(tree.members.length > 0 ? { workspaceMembers: tree.members.join(",") } : {}),
  };
  const components = lockText !== undefined && pm.lockfile ? lockfileComponents(pm.lockfile, lockText) : [];
  const linkPath = join(installDir, "node_modules");
  // Launch-only (reused from the previous image while its key holds, like node) unless a
  // later buildpack asks for node_modules at build time. A changed key reinstalls from
  // scratch anyway (npm ci, yarn, pnpm from their caches), so caching it bought nothing.
  const modulesAtBuild = ctx.plan.resolve("node_modules")?.build === true;
  const modulesTypes = modulesAtBuild ? { build: true, launch: true, cache: true } : { launch: true, cache: false };
  if (!pm.vendored && (await isRealDir(linkPath))) {
    log.warn(`Ignoring the node_modules directory in the app source; installing from ${pm.lockfile ?? "package.json"}`);
    await rm(linkPath, { recursive: true, force: true });
  }
  const where = pm.lockfile ? irel(pm.lockfile) : irel("package.json");
  const hint = pm.lockfile
    ? `If ${pm.lockfile} is out of sync with package.json, run "${pm.name} install" and commit ${pm.lockfile}`
    : undefined;
  const install = async (layer: Layer, command: string[], seedLayer?: string) => {
    await needNode();
    await prepareTree(tree, seedLayer);
    const done = log.timer();
    log.detail(`Running ${command.join(" ")}`);
    await runTool(command, { cwd: installDir, env: toolEnv, log, where, ...(hint ? { hint } : {}) });
    const members = await moveTree(tree, layer.path);
    if (members.length > 0) layer.metadata[MEMBERS_FIELD] = members;
    else delete layer.metadata[MEMBERS_FIELD];
    log.detail(`Done in ${done()}${components.length > 0 ? ` (${components.length} packages in ${pm.lockfile})` : ""}`);
  };
  const reused = (layer: Layer) => {
    if (layer.state.kind === "restored") {
      log.detail(
        `Nothing to install: lockfile, package.json, Node.js ${nodeMajor} and ${pm.name} ${pmVersion} unchanged`,
      );
    }
  };
  const withBin = (layer: Layer) => {
    layer.env.prepend("PATH", join(layer.path, "node_modules", ".bin"), ":");
    toolEnv.PATH = `${join(layer.path, "node_modules", ".bin")}:${toolEnv.PATH}`;
  };
  const runScripts = async () => {
    if (scripts.scripts.length === 0) return;
    await needNode();
    log.step(`Build scripts (${scripts.source})`);
    for (const s of scripts.scripts) {
      const done = log.timer();
      log.detail(`Running ${s.command.join(" ")}`);
      await runTool(s.command, { cwd: projDir, env: toolEnv, log, where: `${rel("package.json")} scripts.${s.name}` });
      log.detail(`Done in ${done()}`);
    }
  };

  if (pm.vendored) {
    await needNode();
    log.step(`Dependencies (${pm.install.join(" ")})`);
    await runTool(pm.install, { cwd: installDir, env: toolEnv, log });
    await runScripts();
    return result(start, projDir, proj);
  }

  if (scripts.scripts.length > 0 && prune) {
    // Build with everything, launch with production dependencies only: two layers, both cached.
    log.step(`Dependencies (${pm.install.join(" ")})`);
    const buildModules = await ctx.layers.cached("build_modules", {
      types: { build: true, cache: true },
      key: { ...baseKey, production: false },
      fill: (layer) => install(layer, pm.install),
    });
    reused(buildModules);
    await linkTree(tree, buildModules.path, keptMembers(buildModules));
    buildModules.sbom.add(...components);
    const savedPath = toolEnv.PATH;
    withBin(buildModules);
    await runScripts();
    toolEnv.PATH = savedPath;
    log.step(`Production dependencies (${pm.prune.join(" ")})`);
    const launchModules = await ctx.layers.cached("node_modules", {
      types: modulesTypes,
      key: { ...baseKey, production: true },
      fill: (layer) => install(layer, pm.prune, buildModules.path),
    });
    reused(launchModules);
    await linkTree(tree, launchModules.path, keptMembers(launchModules));
    launchModules.env.launch.prepend("PATH", join(launchModules.path, "node_modules", ".bin"), ":");
    launchModules.sbom.add(...components);
  } else {
    const production = prune && scripts.scripts.length === 0;
    const command = production ? (pm.installProd ?? pm.install) : pm.install;
    log.step(`Dependencies (${command.join(" ")})`);
    const modules = await ctx.layers.cached("node_modules", {
      types: modulesTypes,
      key: { ...baseKey, production },
      async fill(layer) {
        await install(layer, command);
        if (production && !pm.installProd) await install(layer, pm.prune, layer.path);
      },
    });
    reused(modules);
    await linkTree(tree, modules.path, keptMembers(modules));
    withBin(modules);
    modules.sbom.add(...components);
    await runScripts();
  }
  return result(start, projDir, proj);

  function result(startCmd: ReturnType<typeof inferStartCommand>, dir: string, project: string): BuildResult {
    if (!startCmd) {
      log.warn('No start command: add a "start" script or a server.js/index.js, or a Procfile');
      return {};
    }
    log.step("Start command");
    log.detail(`${startCmd.command.join(" ")} (from ${startCmd.source})`);
    return {
      processes: [
        {
          type: "web",
          command: startCmd.command,
          default: true,
          ...(project !== "." ? { workingDir: dir } : {}),
        },
      ],
    };
  }
}

/** The modules layers' metadata field listing the workspace members whose node_modules they hold. */
const MEMBERS_FIELD = "workspace-modules";

/** The members {@link MEMBERS_FIELD} lists for `layer` (none when absent or malformed). */
function keptMembers(layer: Layer): string[] {
  const v = layer.metadata[MEMBERS_FIELD];
  return Array.isArray(v) ? v.filter((m): m is string => typeof m === "string") : [];
}

/** A logger that drops subprocess output (for `--version` probes). */
function quiet(log: BuildContext<NodejsMetadata>["log"]): BuildContext<NodejsMetadata>["log"] {
  return { ...log, subprocess() {} };
}

/** What {@link choosePackageManager} reads: package.json, the file names and a yarn.lock's text. */
async function packageManagerInput(
  installDir: string,
  pkg: Record<string, unknown>,
  readYarnLock: () => Promise<string>,
): Promise<PackageManagerInputs> {
  const files = new Set(safeReaddir(installDir));
  return { pkg, files, ...(files.has("yarn.lock") ? { yarnLock: await readYarnLock() } : {}) };
}

function safeReaddir(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}

function sha256(text: string): string {
  return createHash("sha256").update(text).digest("hex");
}

export default buildpack<NodejsMetadata>({
  metadata: parseMetadata,
  detect,
  build,
});

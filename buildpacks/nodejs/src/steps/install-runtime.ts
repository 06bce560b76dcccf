/**
 * Step: the Node.js runtime. Resolves the version (BP_NODE_VERSION, engines.node, .nvmrc,
 * .node-version, the default line), installs the inventory's tarball into the `node` layer,
 * and adds the launch-time memory defaults (exec.d).
 *
 * How the runtime is kept depends on whether this build runs Node. Every build that runs
 * build scripts (or serves a later buildpack asking for node at build time) needs it, so it
 * is a cache layer there. Otherwise it is launch-only: a rebuild whose dependencies did not
 * change reuses it from the previous image without untarring and re-tarring ~200 MB, and
 * installs it again only when a later step must run Node ({@link Runtime.ensure}).
 */
import { createHash } from "node:crypto";
import { existsSync } from "node:fs";
import { rename, rm } from "node:fs/promises";
import { basename, join } from "node:path";
import {
  CnbError,
  type EnvChange,
  type Layer,
  type ResolvedDependency,
  type Settings,
  type StepContext,
} from "@cnbkit/framework";
import { NoMatchingVersionError } from "@cnbkit/framework/dependencies";
import { buildOnly } from "../build-only.js";
import { MEMORY_EXEC_D, MEMORY_SCRIPT } from "../memory.js";
import {
  type AddonEngines,
  chooseForAddons,
  describeAddonChoice,
  leavesLineOpen,
  npmLockAddons,
  pnpmLockAddons,
} from "../addon-engines.js";
import { describeNodeVersionRequest, resolveNodeVersion } from "../node-version.js";
import { NODE_PATCH_RULE } from "../patch-rule.js";
import { parseYamlFile } from "../yaml-file.js";
import { bundledNpmVersion } from "../package-manager.js";
import { appRelative, type ProjectDir } from "./read-project.js";

/** buildpack.toml `[metadata]` as this buildpack reads it (the inventory is the framework's). */
export interface NodejsMetadata {
  defaultVersions: { node: string };
}

/** Where node-gyp finds Node's C headers in this build. */
export interface NodeHeaders {
  /** A runtime with `include/` (a build layer). */
  nodedir?: string;
  /** The verified tarball node-gyp unpacks headers from, and where it unpacks them. */
  tarball?: string;
  devdir?: string;
}

/** The installed runtime. */
export interface Runtime {
  layer: Layer;
  version: string;
  major: number;
  /** The version of the npm bundled with it (kept in the layer's metadata). */
  npmVersion?: string | undefined;
  /** PATH and NODE_HOME for the tools of this build. */
  env: EnvChange;
  /** Puts Node's files on disk when the layer was reused from the image; returns where its headers are. */
  ensure(): Promise<NodeHeaders>;
  /**
   * When the app left its line open: what the lock's addons may choose within (for a lock that
   * carries no engines, yarn berry's, the check after the install). Undefined for a pin.
   */
  open?: OpenLine | undefined;
}

/** An open request, as {@link chooseForAddons} takes it, and how the log names it. */
export interface OpenLine {
  /** The inventory's versions for this platform. */
  versions: string[];
  /** The range to choose within (`*` for no request). */
  range: string;
  /** The default line's choice, when there was no request. */
  preferred?: string | undefined;
  /** What the app asked for, e.g. `engines.node ">=20"`. */
  asked: string;
}

/** Installs the runtime. `runsNode` says whether this build runs Node whatever else happens. */
export async function installRuntime(
  ctx: StepContext<"app" | "buildpack" | "dependencies" | "layers" | "log" | "plan" | "target", NodejsMetadata>,
  settings: Settings,
  project: ProjectDir,
  runsNode: boolean,
  install: ProjectDir = project,
): Promise<Runtime> {
  const { log } = ctx;
  log.step("Resolving Node.js version");
  const { dep, open } = resolveNode(
    ctx,
    settings,
    project,
    await versionFiles(ctx, project),
    await lockAddons(ctx, install),
  );
  log.detail(`Selected Node.js ${dep.version}`);

  log.step("Node.js runtime");
  const staging = join(ctx.layers.path, "node_headers.staging");
  const { layer, download } = await installNode(ctx, settings, dep, { runsNode, staging });
  if (!buildOnly(ctx.plan)) await addMemoryDefaults(ctx);
  // Asked again after ensure(): filling a reused layer downloads the tarball then.
  const headers = () => findHeaders(ctx, { layer, lazy: !runsNode, staging, tarball: download() });
  let known = await headers();
  const npm = layer.metadata.npm;
  return {
    layer,
    version: dep.version,
    major: Number.parseInt(dep.version, 10),
    npmVersion: typeof npm === "string" ? npm : undefined,
    open,
    env: { path: [join(layer.path, "bin")], set: { NODE_HOME: layer.path } },
    async ensure() {
      await layer.ensureContents();
      if (known.tarball === undefined && known.nodedir === undefined) known = await headers();
      return known;
    },
  };
}

/**
 * Installs `dep` into the `node` layer, with its env. When the build does not run Node
 * (`runsNode` false) the layer is launch-only and leaves out Node's C headers (half of the
 * tarball's ~6,200 files): the verified tarball is kept in `staging` instead, for
 * {@link findHeaders}. Returns the layer and where its download is: undefined until the layer
 * is filled, which for a layer reused from the image is only when `ensureContents` asks.
 */
async function installNode(
  ctx: StepContext<"dependencies" | "layers" | "plan">,
  settings: Settings,
  dep: ResolvedDependency,
  o: { runsNode: boolean; staging: string },
): Promise<{ layer: Layer; download: () => string | undefined }> {
  const lazyHeaders = !o.runsNode;
  let tarball: string | undefined;
  // A launch-only runtime has no files on a rebuild; when the dependencies change it is
  // installed again from this cache-only copy of the download instead of the network. An
  // offline buildpack carries the tarball itself (file://) and needs no copy.
  const distCache =
    lazyHeaders && !dep.uri.startsWith("file:")
      ? await ctx.layers.cached("node_dist", { types: { cache: true }, key: { sha256: dep.sha256 }, fill() {} })
      : undefined;
  // Nothing staged by an earlier try is this install's download.
  if (lazyHeaders) await rm(o.staging, { recursive: true, force: true });
  const layer = await ctx.dependencies.layer("node", dep, {
    types: runtimeTypes(ctx, o.runsNode),
    // The key this layer had before ctx.dependencies.layer made it (no id), so caches restore.
    idInKey: false,
    // NODE_ENV is in the key because a layer reused from the image keeps its old env files.
    key: { nodeEnv: launchNodeEnv(settings) },
    strip: dep.stripComponents ?? 1,
    patch: NODE_PATCH_RULE,
    ...(distCache ? { cacheDir: distCache.path } : {}),
    ...(lazyHeaders ? { exclude: ["include"], keepDownloadIn: o.staging } : {}),
    async afterInstall(l, download) {
      tarball = download;
      // Kept with the layer so a rebuild knows npm's version without running Node.
      const npm = await bundledNpmVersion(l.path);
      if (npm) l.metadata.npm = npm;
    },
  });
  layer.env.override("NODE_HOME", layer.path);
  layer.env.launch.default("NODE_ENV", launchNodeEnv(settings));
  layer.env.launch.default("NODE_VERBOSE", "false");
  return { layer, download: () => tarball };
}

/**
 * Where node-gyp takes Node's headers from: a runtime with include/, or the kept tarball,
 * which it unpacks (into the build-only `node_headers` layer); with neither it downloads them
 * from nodejs.org, which restricted networks cannot reach. `{}` while there is neither yet
 * (a runtime reused from the image, before {@link Runtime.ensure} installs it).
 */
async function findHeaders(
  ctx: StepContext<"layers">,
  i: { layer: Layer; lazy: boolean; staging: string; tarball: string | undefined },
): Promise<NodeHeaders> {
  const { staging, tarball } = i;
  if (!i.lazy) return { nodedir: i.layer.path };
  if (tarball !== undefined && !tarball.startsWith(`${staging}/`)) {
    // The buildpack carries the tarball (offline): node-gyp reads it there, and only its
    // own unpacked headers need a place (an empty build layer).
    const kept = await ctx.layers.fresh("node_headers", { types: { build: true }, fill: async () => {} });
    await rm(staging, { recursive: true, force: true });
    return { tarball, devdir: join(kept.path, "node-gyp") };
  }
  if (tarball === undefined || !existsSync(staging)) return {};
  const file = basename(tarball);
  const kept = await ctx.layers.fresh("node_headers", {
    types: { build: true },
    fill: async (l) => {
      await rename(join(staging, file), join(l.path, file));
      await rm(staging, { recursive: true, force: true });
    },
  });
  return { tarball: join(kept.path, file), devdir: join(kept.path, "node-gyp") };
}

/**
 * NODE_ENV at launch: production, or what the build was given (an app built with
 * NODE_ENV=development keeps its dev dependencies and runs as built). A default, so a
 * value set at launch still wins.
 */
export function launchNodeEnv(settings: Settings): string {
  return settings.NODE_ENV?.trim() || "production";
}

async function versionFiles(ctx: StepContext<"app">, project: ProjectDir) {
  return {
    nvmrc: await ctx.app.readText(appRelative(project, ".nvmrc"), { optional: true }),
    nodeVersionFile: await ctx.app.readText(appRelative(project, ".node-version"), { optional: true }),
  };
}

/**
 * The packages of the install root's npm or pnpm lock that run an install script and declare
 * engines.node (addon-engines.ts); [] when there is no such lock.
 */
async function lockAddons(ctx: StepContext<"app">, install: ProjectDir): Promise<AddonEngines[]> {
  for (const file of ["npm-shrinkwrap.json", "package-lock.json"]) {
    const text = await ctx.app.readText(appRelative(install, file), { optional: true });
    if (text !== undefined) return npmLockAddons(text);
  }
  const pnpm = await ctx.app.readText(appRelative(install, "pnpm-lock.yaml"), { optional: true });
  if (pnpm === undefined) return [];
  const built = (install.pkg?.pnpm as Record<string, unknown> | undefined)?.onlyBuiltDependencies;
  const names = Array.isArray(built) ? built.filter((n): n is string => typeof n === "string") : [];
  return pnpmLockAddons(parseYamlFile(pnpm, appRelative(install, "pnpm-lock.yaml")), names);
}

/** The inventory entry for the requested version, or one line naming the request's source. */
function resolveNode(
  ctx: StepContext<"buildpack" | "dependencies" | "log" | "target", NodejsMetadata>,
  settings: Settings,
  project: ProjectDir,
  files: { nvmrc: string | undefined; nodeVersionFile: string | undefined },
  addons: readonly AddonEngines[],
): { dep: ResolvedDependency; open?: OpenLine } {
  const defaultRange = ctx.buildpack.metadata.defaultVersions.node;
  const request = resolveNodeVersion({
    env: settings,
    enginesNode: (project.pkg?.engines as Record<string, unknown> | undefined)?.node,
    ...files,
    defaultRange,
    latestLtsMajor: Number.parseInt(defaultRange, 10) || 24,
  });
  ctx.log.detail(describeNodeVersionRequest(request));
  try {
    const dep = ctx.dependencies.resolve("node", request.range);
    if (!leavesLineOpen(request)) return { dep };
    const { os, arch } = ctx.target;
    // No request: the default line is preferred, and any line the addons allow may replace it.
    const isDefault = request.source === "default";
    const open: OpenLine = {
      versions: ctx.dependencies.all
        .filter((d) => d.id === "node" && (!d.os || d.os === os) && (!d.arch || d.arch === arch))
        .map((d) => d.version),
      range: isDefault ? "*" : request.range,
      preferred: isDefault ? dep.version : undefined,
      asked: isDefault ? "no version" : `engines.node "${request.raw}"`,
    };
    const choice = chooseForAddons(open.versions, open.range, addons, open.preferred);
    if (!choice) return { dep, open };
    const why = isDefault ? "the app asks for no version" : `engines.node "${request.raw}" allows both`;
    const line = describeAddonChoice(choice, open.asked, why);
    if (choice.version === undefined) {
      ctx.log.warn(line);
      return { dep, open };
    }
    ctx.log.detail(line);
    return { dep: ctx.dependencies.resolve("node", choice.version), open };
  } catch (err) {
    if (!(err instanceof NoMatchingVersionError)) throw err;
    const where =
      request.source === "package.json engines.node"
        ? `${appRelative(project, "package.json")}: engines.node`
        : request.source;
    const { available, newest } = err.miss;
    // The lines to offer: every major the inventory has for this platform, else the newest's.
    const lines = [
      ...new Set((available.length > 0 ? available : newest ? [newest] : []).map((v) => v.split(".")[0] ?? "")),
    ].filter((v) => /^\d+$/.test(v));
    // What to change, not only what there is: the request's own source, or BP_NODE_VERSION,
    // which wins over every file.
    const fix =
      lines.length === 0
        ? undefined
        : request.source === "BP_NODE_VERSION"
          ? `Set BP_NODE_VERSION to one of ${lines.join(", ")}.`
          : `Change ${where.replace(/^(.*): engines\.node$/, "engines.node in $1")} to one of ${lines.map((l) => `${l}.x`).join(", ")}, or build with BP_NODE_VERSION=${lines[0]}.`;
    const hint = [err.hint?.replace(/\.?$/, "."), fix].filter(Boolean).join(" ");
    throw new CnbError(
      `${where} "${request.raw}" matches no Node.js version in the inventory for ${ctx.target.os}/${ctx.target.arch}${newest ? ` (newest: ${newest})` : ""}`,
      hint ? { hint } : {},
    );
  }
}

/**
 * The runtime layer's types: the runtime's own choice, not the file:// rule (a build layer is
 * cached, a launch-only one is reused from the image); build-only when a later buildpack
 * serves the build's output without Node (build-only.ts).
 */
function runtimeTypes(ctx: StepContext<"plan">, runsNode: boolean) {
  if (buildOnly(ctx.plan)) return { build: true, cache: true };
  return runsNode ? { build: true, launch: true, cache: true } : { launch: true, cache: false };
}

/**
 * exec.d: a small sh script, run by the launcher, sets --max-old-space-size and
 * WEB_CONCURRENCY (not this binary: that would put ~110 MB into every app image).
 */
async function addMemoryDefaults(ctx: StepContext<"layers">): Promise<void> {
  await ctx.layers.cached("node_exec_d", {
    types: { launch: true },
    key: { program: MEMORY_EXEC_D, script: createHash("sha256").update(MEMORY_SCRIPT).digest("hex") },
    async fill(layer) {
      await layer.execD.addScript(MEMORY_EXEC_D, MEMORY_SCRIPT);
    },
  });
}

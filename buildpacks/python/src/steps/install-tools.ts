/**
 * Step: the package managers themselves, each in its own build-only layer. A tool is
 * installed on first use ({@link lazyTool}): a rebuild whose venv is reused never touches it.
 * Its layer is cached, except when it is made only from a wheel the builder carries (pip and
 * uv in an offline buildpackage): unpacking that again when needed costs less than the
 * restore and re-hash a cached copy pays on every build.
 * - pip comes first when another tool needs it. Its wheel is pure Python: unpacked into a
 *   venv's site-packages, it is installed ({@link Wheels.unpack}), with no installer run.
 * - uv is one static binary: its verified wheel is unpacked and the binary taken, with no venv
 *   and no pip (pip's own install is ~3 s of a cold build, twice what `uv sync` of a FastAPI
 *   app takes).
 * - Poetry and Pipenv are installed by pip into a venv of their own.
 * Versions come from BP_PIP_VERSION, BP_UV_VERSION, BP_POETRY_VERSION, BP_PIPENV_VERSION, else
 * buildpack.toml's `[metadata.default-tools]`; a version in the inventory installs from its
 * verified wheel, another from PyPI by name. Poetry's also answers the project's
 * requires-poetry (poetry-version.ts), which may leave a range for the index to resolve.
 */
import { chmod, mkdir, readdir, rename, rm } from "node:fs/promises";
import { join } from "node:path";
import {
  type StepContext,
  CnbError,
  type Dependency,
  type Layer,
  type CachedLayerOptions,
  type Settings,
  type ToolEnv,
} from "@cnbkit/framework";
import { compileAll } from "../compile-all.js";
import { choosePoetryVersion, isRange, type PoetryVersion } from "../poetry-version.js";
import { runTool } from "@cnbkit/framework/process";
import { explainPythonTool } from "../tool-errors.js";
import { sitePackages, type Wheels } from "../wheel.js";
import type { PythonMetadata, Runtime } from "./install-runtime.js";
import type { ToolCaches } from "./tool-environment.js";

/** An installed tool. */
export interface Tool {
  name: string;
  version: string;
  /** Its bin dir (a venv's). */
  bin: string;
  layer: Layer;
}

/** The setting that picks a tool's version. */
export function versionSetting(name: string): string {
  return `BP_${name.toUpperCase()}_VERSION`;
}

/** A tool before it is installed: its version keys the venv; `get` installs it on first use. */
export interface LazyTool {
  name: string;
  version: string;
  get(): Promise<Tool>;
  /**
   * Keeps the tool's cached layer when this build did not get it (a reused venv), so the
   * next build that installs finds it: call once the build's steps are done.
   */
  keep(): Promise<void>;
}

/** What installing a tool uses of the build context. */
export type ToolContext = StepContext<"buildpack" | "dependencies" | "layers" | "log" | "target", PythonMetadata>;

/** What choosing a tool's version (and its layer's key) uses of the build context. */
type ToolChoiceContext = StepContext<"buildpack" | "dependencies" | "target", PythonMetadata>;

/** Settings that pick a tool, and what installing it needs. */
type ToolInputs = InstallToolInputs;

/** `name` at its chosen version (an unknown version fails here, at once), installed when first asked for. */
export function lazyTool(ctx: ToolContext, name: string, inputs: ToolInputs): LazyTool {
  const { version } = chooseTool(ctx, name, inputs);
  let installed: Promise<Tool> | undefined;
  return {
    name,
    version,
    get: () => {
      installed ??= installTool(ctx, name, { ...inputs, version });
      return installed;
    },
    async keep() {
      if (installed) return;
      const { types, key } = await toolLayer(ctx, name, { ...inputs, version });
      if (types.cache) await ctx.layers.keep(name, { types, key });
    },
  };
}

/** What picks a tool's version and decides its layer's reuse. */
type ToolLayerInputs = Pick<ToolInputs, "settings" | "pip" | "version" | "requires" | "alongside" | "launch"> & {
  runtime: Pick<Runtime, "version">;
};

/**
 * The version of `name` to install, and its inventory entry when it has one. Poetry's also
 * answers the project's requires-poetry (poetry-version.ts): it may be a range (`<=2.0.0`)
 * for the index to resolve, with `why` for the log.
 */
function findTool(
  ctx: ToolChoiceContext,
  name: string,
  inputs: Pick<ToolInputs, "settings" | "version" | "requires">,
): { version: string; dep: Dependency | undefined; why?: string | undefined } {
  const setting = inputs.settings[versionSetting(name)]?.trim();
  const fallback = ctx.buildpack.metadata.defaultTools[name] ?? "";
  const ours = (d: Dependency) =>
    d.id === name && (!d.os || d.os === ctx.target.os) && (!d.arch || d.arch === ctx.target.arch);
  const chosen: PoetryVersion =
    inputs.version !== undefined
      ? { version: inputs.version }
      : name === "poetry"
        ? choosePoetryVersion({
            requires: inputs.requires,
            setting,
            defaultVersion: fallback,
            inventory: ctx.dependencies.all.filter(ours).map((d) => d.version),
          })
        : { version: setting ?? fallback };
  const { version, why } = chosen;
  const dep = ctx.dependencies.all.find(
    (d) =>
      d.id === name &&
      d.version === version &&
      (!d.os || d.os === ctx.target.os) &&
      (!d.arch || d.arch === ctx.target.arch),
  );
  return { version, dep, why };
}

/** The version of `name` this build installs (a setting, else buildpack.toml's default; Poetry's as requires-poetry allows). */
export function versionOf(ctx: ToolChoiceContext, name: string, settings: Settings, requires?: string): string {
  return findTool(ctx, name, { settings, requires }).version;
}

/** {@link findTool}, failing at once when no pip can install a version the inventory lacks. */
function chooseTool(
  ctx: ToolChoiceContext,
  name: string,
  inputs: ToolLayerInputs,
): { version: string; dep: Dependency | undefined; why?: string | undefined } {
  const { version, dep, why } = findTool(ctx, name, inputs);
  if (!dep && !inputs.pip) {
    const known = ctx.dependencies.all.filter((d) => d.id === name).map((d) => d.version);
    throw new CnbError(
      `${versionSetting(name)}: ${name} "${version}" is not in the inventory (available: ${known.join(", ")})`,
    );
  }
  return { version, dep, why };
}

/** What installing a tool needs, besides its name. */
export interface InstallToolInputs {
  settings: Settings;
  runtime: Runtime;
  env: ToolEnv;
  /** pip, installed on first use; none when installing pip itself. */
  pip?: () => Promise<Tool>;
  /** The download caches pip installs a tool with. */
  caches: ToolCaches;
  /** Where pip's and uv's verified wheels are unpacked from (maybe ahead, see prefetchToolWheel). */
  wheels: Wheels;
  launch?: boolean;
  version?: string;
  /** The app's venv, for a server the app runs with (see {@link ServerSite}). */
  alongside?: ServerSite;
  /** The project's own requirement on the tool's version (Poetry's requires-poetry). */
  requires?: string | undefined;
}

/** Installs `name` (pip, uv, poetry, pipenv, or a server) into a venv layer. */
export async function installTool(ctx: ToolContext, name: string, inputs: InstallToolInputs): Promise<Tool> {
  const { runtime } = inputs;
  const { version, dep, why, types, key } = await toolLayer(ctx, name, inputs);
  const layer = await ctx.layers.cached(name, {
    types,
    key,
    fill: (l) => fillTool(ctx, name, l.path, { version, dep, why, inputs }),
  });
  // A range was resolved by the index: the tool's own version is what its dist-info says.
  const installed = isRange(version) ? await distVersion(sitePackages(layer.path, runtime.minor), name) : undefined;
  return { name, version: installed ?? version, bin: join(layer.path, "bin"), layer };
}

/**
 * Fills a tool's layer `dir`, the quickest way its source allows: a wheel's binaries (uv), a
 * self-contained server's wheel unpacked (waitress), pip's own wheel into a bare venv, or
 * else a venv that the pip layer's pip installs into.
 */
async function fillTool(
  ctx: ToolContext,
  name: string,
  dir: string,
  t: { version: string; dep: Dependency | undefined; why?: string | undefined; inputs: InstallToolInputs },
): Promise<void> {
  const { version, dep, inputs } = t;
  const { runtime, env } = inputs;
  const binaries = dep ? WHEEL_BINARIES[name] : undefined;
  // CPython may be a launch layer reused from the image (no files here) while this
  // build-only layer is not: a lost build cache (another builder, CI without one).
  if (!binaries) await runtime.ensure();
  if (t.why) ctx.log.detail(t.why);
  const what = isRange(version) ? `${name}${version}` : `${name} ${version}`;
  ctx.log.detail(`Installing ${what}${dep ? "" : " from PyPI (not in the inventory: no pinned checksum)"}`);
  if (dep && binaries) {
    await installWheelBinaries(inputs.wheels, dep, dir, binaries);
    return;
  }
  if (dep && inputs.launch && SELF_CONTAINED.has(name)) {
    const site = sitePackages(dir, runtime.minor);
    await inputs.wheels.unpack(dep, site);
    await compileAll(runtime.python, [site], { cwd: dir, env, log: ctx.log });
    return;
  }
  const pip = name === "pip" ? undefined : await inputs.pip?.();
  await runTool([runtime.python, "-m", "venv", "--without-pip", dir], {
    explain: explainPythonTool,
    cwd: dir,
    env,
    log: ctx.log,
  });
  if (dep && name === "pip") {
    await inputs.wheels.unpack(dep, sitePackages(dir, runtime.minor));
    return;
  }
  // The others are installed by the pip layer's pip (pip itself is always in the inventory).
  if (!pip) throw new Error(`installTool: ${name} needs pip to install it`);
  await pipInstall(ctx, name, dir, { pip, dep, version, inputs });
  // A launch layer's bin/ goes on PATH ahead of the app venv's: this venv's `python`
  // (which cannot import the app's packages) would then run the start command.
  if (inputs.launch) await rm(join(dir, "bin"), { recursive: true, force: true });
}

/**
 * Installs `name` into the venv `dir` with the pip layer's pip: the inventory's verified
 * wheel when there is one, else the version (or range) from PyPI by name.
 */
async function pipInstall(
  ctx: StepContext<"dependencies" | "log">,
  name: string,
  dir: string,
  i: { pip: Tool; dep: Dependency | undefined; version: string; inputs: InstallToolInputs },
): Promise<void> {
  const { dep, version, inputs } = i;
  const scratch = join(dir, ".wheel");
  try {
    const spec = dep
      ? ((await ctx.dependencies.download(dep, scratch)) as string)
      : isRange(version)
        ? `${name}${version}`
        : `${name}${version ? `==${version}` : ""}`;
    const pipCmd = [join(i.pip.bin, "python"), "-m", "pip", "--python", join(dir, "bin", "python"), "install"];
    await inputs.caches.open();
    // The app's packages on PYTHONPATH count as installed: pip adds only what they lack.
    const pipEnv = inputs.alongside ? { ...inputs.env, PYTHONPATH: inputs.alongside.site } : inputs.env;
    await runTool([...pipCmd, "--quiet", spec], {
      explain: explainPythonTool,
      cwd: dir,
      env: pipEnv,
      log: ctx.log,
    });
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
}

/** The version of distribution `name` installed in `site`, from its dist-info's name. */
async function distVersion(site: string, name: string): Promise<string | undefined> {
  const prefix = `${name.toLowerCase().replace(/-/g, "_")}-`;
  const info = (await readdir(site).catch(() => [] as string[])).find(
    (e) => e.toLowerCase().startsWith(prefix) && e.endsWith(".dist-info"),
  );
  return info?.slice(prefix.length, -".dist-info".length);
}

/**
 * The app's venv, for a server installed to run the app (waitress, uvicorn): its
 * site-packages, whose distributions pip then leaves out of the server's layer (a server's
 * copy of click or h11 on PYTHONPATH would shadow the version the app locked), and a digest of
 * those distributions, which keys the server's layer.
 */
export interface ServerSite {
  site: string;
  digest: string;
}

/**
 * Starts unpacking `name`'s verified wheel ahead ({@link Wheels.prefetch}) when its layer will
 * be made in this build and is made from that wheel alone (pip, uv): call before CPython
 * installs, once the venv is known to be rebuilt. Returns whether it started.
 */
export async function prefetchToolWheel(
  ctx: ToolContext,
  name: string,
  inputs: Pick<ToolInputs, "settings" | "wheels"> & { runtime: Pick<Runtime, "version"> },
): Promise<boolean> {
  const { dep } = findTool(ctx, name, inputs);
  if (!dep || !madeFromWheel(name)) return false;
  const { types, key } = await toolLayer(ctx, name, inputs);
  if ((await ctx.layers.peek(name, { types, key })).kind === "restored") return false;
  inputs.wheels.prefetch(dep);
  return true;
}

/** pip and uv are made from their wheel alone; the others pull their own dependencies from PyPI. */
function madeFromWheel(name: string): boolean {
  return name === "pip" || WHEEL_BINARIES[name] !== undefined;
}

/** The tool's version and inventory entry, and its layer's types and the key that decides reuse. */
async function toolLayer(ctx: ToolChoiceContext, name: string, inputs: ToolLayerInputs) {
  const { version, dep, why } = chooseTool(ctx, name, inputs);
  const wheelOnly = dep !== undefined && madeFromWheel(name);
  const fromBuilder = wheelOnly && dep !== undefined && (await ctx.dependencies.onBuilder(dep));
  const types: CachedLayerOptions<never>["types"] = inputs.launch
    ? { launch: true, cache: true }
    : { build: true, cache: !fromBuilder };
  const key = {
    version: version || "latest",
    sha256: dep?.sha256 ?? "pypi",
    python: inputs.runtime.version,
    bytecode: "checked-hash", // as the venv's (see bytecodeEnv)
    // What pip leaves out depends on the venv; an unpacked self-contained wheel does not.
    ...(inputs.alongside && !SELF_CONTAINED.has(name) ? { venv: inputs.alongside.digest } : {}),
  };
  return { version, dep, why, types, key };
}

/**
 * Servers whose pure-Python wheel requires nothing (waitress: Requires-Dist only under
 * extras): unpacked into site-packages and compiled, with no venv and no pip. Installing pip
 * to install waitress took 1.5 s of a uv Flask app's 5 s cold build.
 */
const SELF_CONTAINED: ReadonlySet<string> = new Set(["waitress"]);

/** Tools whose wheel carries everything as binaries in `<dist>.data/scripts/`: the ones to take. */
const WHEEL_BINARIES: Readonly<Record<string, readonly string[]>> = { uv: ["uv", "uvx"] };

/** Unpacks the verified wheel and moves its binaries into `<layer>/bin`. */
async function installWheelBinaries(
  wheels: Wheels,
  dep: Dependency,
  layerPath: string,
  binaries: readonly string[],
): Promise<void> {
  const tmp = join(layerPath, ".wheel");
  try {
    const unpacked = join(tmp, "unpacked");
    await wheels.unpack(dep, unpacked);
    const data = (await readdir(unpacked)).find((n) => n.endsWith(".data"));
    if (!data) throw new CnbError(`${dep.id} ${dep.version}: its wheel has no .data directory with the binaries`);
    await mkdir(join(layerPath, "bin"), { recursive: true });
    for (const bin of binaries) {
      const target = join(layerPath, "bin", bin);
      await rename(join(unpacked, data, "scripts", bin), target);
      await chmod(target, 0o755);
    }
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
}

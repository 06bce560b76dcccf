/**
 * Step: CPython. Resolves the version (BP_CPYTHON_VERSION > .python-version > runtime.txt >
 * requires-python > Pipfile > default; within a range or the default, the newest line the
 * lock's wheels install on: wheel-lines.ts), installs the inventory's python-build-standalone
 * archive into the `cpython` layer (reused while version and sha256 are unchanged), sets the
 * launch defaults, and adds the WEB_CONCURRENCY exec.d.
 *
 * The layer is launch-only unless this build needs Python whatever happens (collectstatic, a
 * later buildpack asking for cpython at build time): a rebuild whose dependencies did not
 * change then reuses it from the previous image without restoring, tarring and hashing its
 * ~100 MB, and a step that must run Python after all calls {@link Runtime.ensure} first.
 */
import { createHash } from "node:crypto";
import { join } from "node:path";
import {
  type StepContext,
  type EnvChange,
  isCnbError,
  type Layer,
  type ResolvedDependency,
  type Settings,
} from "@cnbkit/framework";
import { envProxyFetch, runsOnDistro } from "@cnbkit/framework/dependencies";
import { distroDefault, distroMismatch } from "../cpython-distro.js";
import { describeCap, orderForDefaultLine, preferDefaultLine } from "../default-line.js";
import { compileStdlib } from "../compile-all.js";
import type { ManagerChoice } from "../package-manager.js";
import { chooseVersion, describeRequest, pythonVersionRequest, requiresPythonConflict } from "../python-version.js";
import { WEB_CONCURRENCY_EXEC_D, WEB_CONCURRENCY_SCRIPT } from "../web-concurrency.js";
import { chooseLine, describeLine, describeUnmet, lineCandidates, lockedWheels } from "../wheel-lines.js";
import type { Project } from "./read-project.js";
import { pythonLine } from "../python-line.js";
import { CPYTHON_PATCH_RULE } from "../patch-rule.js";

/** buildpack.toml `[metadata]` as this buildpack reads it (the inventory is the framework's). */
export interface PythonMetadata {
  defaultVersions: { cpython: string };
  /** Pinned versions of pip, uv, poetry and pipenv. */
  defaultTools: Readonly<Record<string, string>>;
  /** Pinned versions of the servers added to apps without one (waitress, uvicorn). */
  defaultServers: Readonly<Record<string, string>>;
}

/** The installed interpreter. */
export interface Runtime {
  layer: Layer;
  /** e.g. "3.13.15". */
  version: string;
  /** e.g. "3.13": the lib/python<minor> directory name. */
  minor: string;
  /** The interpreter's path. */
  python: string;
  /** PATH and quiet, unbuffered Python for the build's tools. */
  env: EnvChange;
  /** Puts CPython's files on disk when the layer was reused from the image (before running Python). */
  ensure(): Promise<void>;
}

/** The CPython version chosen for the app, before it is installed. */
export interface RuntimeChoice {
  dep: ResolvedDependency;
  /** e.g. "3.13.15". */
  version: string;
  /** e.g. "3.13". */
  minor: string;
}

/**
 * Chooses the CPython version (the "Resolving CPython version" step): the newest the request
 * allows, or, when the app names no exact version, the newest line its lock's wheels install on
 * (wheel-lines.ts).
 */
export async function chooseRuntime(
  ctx: StepContext<"app" | "buildpack" | "dependencies" | "log" | "target", PythonMetadata>,
  settings: Settings,
  project: Project,
  manager?: ManagerChoice,
): Promise<RuntimeChoice> {
  const { log } = ctx;
  log.step("Resolving CPython version");
  let request = pythonVersionRequest({
    ...project.versions,
    env: settings.BP_CPYTHON_VERSION,
    defaultVersion: ctx.buildpack.metadata.defaultVersions.cpython,
  });
  log.detail(describeRequest(request));
  const { os, arch, distro } = ctx.target;
  const ofPlatform = ctx.dependencies.all.filter(
    (d) => d.id === "cpython" && (!d.os || d.os === os) && (!d.arch || d.arch === arch),
  );
  // A CPython built for a newer glibc than the run image's is left out: the default moves to
  // a line that runs here, and a request only such a one meets gets one line (cpython-distro.ts).
  const moved = distroDefault(request, ofPlatform, distro);
  if (moved) {
    request = moved.request;
    log.detail(moved.note);
  }
  const mismatch = distroMismatch(request, ofPlatform, distro);
  if (mismatch) throw mismatch;
  const available = ofPlatform.filter((d) => runsOnDistro(d, distro)).map((d) => d.version);
  const preferred = preferDefaultLine(request, available, ctx.buildpack.metadata.defaultVersions.cpython);
  let version = chooseVersion(request, preferred.available, `${os}/${arch}`, project.versions.requiresPython);
  if (preferred.capped) log.detail(describeCap(request, preferred.capped, available));
  let selected: string | undefined;
  let unmet: string | undefined;
  const lines = orderForDefaultLine(lineCandidates(request, available, version), preferred.capped);
  // One line to choose from needs no index asked; a uv.lock or poetry.lock, read from the app,
  // still says whether that line has every wheel.
  const localLock = manager?.lockfile === "uv.lock" || manager?.lockfile === "poetry.lock";
  if (manager && (lines.length > 1 || (lines.length === 1 && localLock))) {
    const locked = await lockedWheels({
      app: ctx.app,
      lockfile: manager.lockfile,
      settings,
      log,
      fetch: () => envProxyFetch(settings),
    });
    const choice = locked && chooseLine(lines, locked.packages, arch);
    if (locked && choice && choice.skipped.length > 0) {
      version = choice.version;
      selected = describeLine(version, choice, locked.lockfile);
    }
    if (locked && choice?.unmet?.length) unmet = describeUnmet(choice.version, choice.unmet, locked.lockfile);
  }
  const dep = ctx.dependencies.resolve("cpython", version);
  log.detail(selected ?? `Selected CPython ${dep.version}`);
  if (unmet) log.warn(unmet);
  const conflict = requiresPythonConflict(dep.version, request, project.versions.requiresPython);
  if (conflict) log.warn(conflict);
  return { dep, version: dep.version, minor: pythonLine(dep.version) };
}

/** Installs the chosen CPython (the "CPython runtime" step). */
export async function installRuntime(
  ctx: StepContext<"dependencies" | "layers" | "log">,
  { dep, minor }: RuntimeChoice,
  atBuild: boolean,
): Promise<Runtime> {
  ctx.log.step("CPython runtime");
  const layer = await ctx.dependencies.layer("cpython", dep, {
    // The runtime's own choice, not the file:// rule: a build layer is cached, a launch-only one is reused from the image.
    types: atBuild ? { build: true, launch: true, cache: true } : { launch: true, cache: false },
    // The key this layer had before ctx.dependencies.layer made it (no id), so caches restore.
    idInKey: false,
    // bytecode: a layer made before the stdlib was compiled here has none (see compileStdlib).
    key: { bytecode: "stdlib" },
    strip: dep.stripComponents ?? 1,
    patch: CPYTHON_PATCH_RULE,
    afterInstall: (l) => compileRuntimeStdlib(ctx, l.path, minor),
  });
  layer.env.launch.default("PYTHONUNBUFFERED", "1");
  layer.env.launch.default("LANG", "C.UTF-8");
  // The start commands bind 0.0.0.0:$PORT; a platform that sets PORT wins over this default.
  layer.env.launch.default("PORT", "8080");
  await addWebConcurrency(ctx);
  return {
    layer,
    version: dep.version,
    minor,
    python: join(layer.path, "bin", "python3"),
    env: {
      path: [join(layer.path, "bin")],
      set: { PYTHONUNBUFFERED: "1", LANG: "C.UTF-8", PIP_DISABLE_PIP_VERSION_CHECK: "1", PIP_NO_INPUT: "1" },
    },
    async ensure() {
      await layer.ensureContents();
      // ensureContents makes the layer a build layer too (for later buildpacks). Only this
      // buildpack's steps need the interpreter here (a later buildpack asks through the plan:
      // atBuild), and the lifecycle drops a non-cached build layer's metadata, so the next
      // build would unpack CPython again although its key is unchanged: keep it launch-only.
      if (!atBuild) layer.types.build = false;
    },
  };
}

/**
 * The standard library's bytecode, when the archive has none (python-build-standalone's).
 * A failure is a warning: the app still runs, compiling what it imports at each start.
 */
async function compileRuntimeStdlib(ctx: StepContext<"log">, prefix: string, minor: string): Promise<void> {
  const done = ctx.log.timer();
  const env = { PATH: process.env.PATH ?? "/usr/bin:/bin", LANG: "C.UTF-8" };
  try {
    if (await compileStdlib(prefix, minor, { cwd: prefix, env, log: ctx.log })) {
      ctx.log.detail(`Compiled the standard library's bytecode in ${done()} (the archive carries none)`);
    }
  } catch (err) {
    if (!isCnbError(err)) throw err;
    ctx.log.warn(
      `The standard library's bytecode was not compiled (${err.message}): the app compiles what it imports at each start`,
    );
  }
}

/** The WEB_CONCURRENCY exec.d script in its own small launch layer. */
async function addWebConcurrency(ctx: StepContext<"layers">): Promise<void> {
  await ctx.layers.cached("python_exec_d", {
    // Reused from the image while the script is unchanged: caching it would restore it too.
    types: { launch: true, cache: false },
    key: { script: createHash("sha256").update(WEB_CONCURRENCY_SCRIPT).digest("hex") },
    async fill(layer) {
      await layer.execD.addScript(WEB_CONCURRENCY_EXEC_D, WEB_CONCURRENCY_SCRIPT);
    },
  });
}

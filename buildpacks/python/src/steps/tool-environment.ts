/**
 * Step: the environment pip, uv, Poetry and Pipenv run with in this build: quiet and
 * non-interactive, trusting the build's CA bundle (see {@link caEnv}), compiling .pyc that the
 * lifecycle's fixed file times do not make stale ({@link bytecodeEnv}), never downloading a
 * Python of their own, and with their download and wheel caches in one cache-only layer, so a
 * changed lockfile reinstalls from the cache instead of the network.
 *
 * The caches are kept in that layer as one uncompressed tar, unpacked before the first tool
 * runs and packed again at the end of the build ({@link ToolCaches}). The lifecycle restores
 * a cache layer before every build, file by file: uv's cache for a FastAPI app is ~500 files
 * (unzipped wheels), which took 0.48 s of a 1.4 s no-op rebuild that runs no tool at all. As
 * one file it restores in a few ms, and a build that installs pays ~0.1 s to unpack and pack.
 */
import { existsSync } from "node:fs";
import { rename, rm } from "node:fs/promises";
import { join } from "node:path";
import type { StepContext, EnvChange, Logger, Settings } from "@cnbkit/framework";
import { extract } from "@cnbkit/framework/dependencies";
import { runTool } from "@cnbkit/framework/process";
import { explainPythonTool } from "../tool-errors.js";
import { bytecodeEnv, caEnv } from "../tool-env.js";

/** Variables every tool run gets. */
const QUIET: Readonly<Record<string, string>> = {
  PIP_DISABLE_PIP_VERSION_CHECK: "1",
  PIP_NO_INPUT: "1",
  PIP_PROGRESS_BAR: "off",
  PIP_ROOT_USER_ACTION: "ignore",
  UV_NO_PROGRESS: "1",
  UV_PYTHON_DOWNLOADS: "never",
  // The venv's files share their data with uv's unpacked wheels in the cache layer (both under
  // /layers, one file system): 44 packages (139 MB) install in 0.6 s instead of 1.4-1.8 s as
  // copies. uv never writes to a cached file, and packing the cache into caches.tar and removing
  // its dirs leaves the venv's names intact; the lifecycle exports each layer's own files.
  UV_LINK_MODE: "hardlink",
  POETRY_NO_INTERACTION: "1",
  POETRY_VIRTUALENVS_CREATE: "false",
  PIPENV_NOSPIN: "1",
  PIPENV_YES: "1",
  PIPENV_VERBOSITY: "-1",
  // Pipenv (rich) wraps its messages at 80 columns without a terminal, which cut the line
  // a failure is summed up by ("…click==7.0 (from").
  COLUMNS: "250",
};

/** The tools' caches, in the cache-only layer `python_cache` as one tar between builds. */
export interface ToolCaches {
  /** Unpacks the caches; call before a tool runs (once a build does the work). */
  open(): Promise<void>;
  /** Packs them back into one file when a tool ran; call when the build's steps are done. */
  close(): Promise<void>;
}

/** The tool environment: its change to the env, and the caches it points at. */
export interface ToolEnvironment {
  change: EnvChange;
  caches: ToolCaches;
}

/** Sets up the tool environment. */
export async function toolEnvironment(
  ctx: StepContext<"layers" | "log">,
  settings: Settings,
): Promise<ToolEnvironment> {
  // layout 2: one caches.tar (layout 1 kept the cache dirs themselves).
  const cache = await ctx.layers.cached("python_cache", {
    types: { cache: true },
    key: { layout: 2 },
    // Not in the platform's layer cache (by-reference.ts): that is another mount than /layers,
    // where link(2) into the venv fails with EXDEV, so UV_LINK_MODE=hardlink would fall back to
    // copies (0.6 s -> 1.4-1.8 s for 139 MB, and a warning line). The lifecycle's restore is
    // already one file (caches.tar), which is what keeping it by reference would have saved.
    byReference: false,
    fill() {},
  });
  const dirs = join(cache.path, "dirs");
  return {
    change: {
      set: {
        ...QUIET,
        PIP_CACHE_DIR: join(dirs, "pip"),
        UV_CACHE_DIR: join(dirs, "uv"),
        POETRY_CACHE_DIR: join(dirs, "poetry"),
        PIPENV_CACHE_DIR: join(dirs, "pipenv"),
        ...caEnv(settings),
        ...bytecodeEnv(settings),
      },
    },
    caches: packedCaches(cache.path, ctx.log),
  };
}

/** {@link ToolCaches} of the layer at `layerPath`: `caches.tar` at rest, `dirs/` while in use. */
function packedCaches(layerPath: string, log: Logger): ToolCaches {
  const archive = join(layerPath, "caches.tar");
  const dirs = join(layerPath, "dirs");
  let opened: Promise<void> | undefined;
  return {
    open() {
      opened ??= existsSync(archive)
        ? extract(archive, dirs, { format: "tar" }).then(() => rm(archive))
        : Promise.resolve();
      return opened;
    },
    async close() {
      if (!opened) return;
      await opened;
      if (!existsSync(dirs)) return;
      const tmp = `${archive}.tmp`;
      await runTool(["tar", "-cf", tmp, "-C", dirs, "."], {
        explain: explainPythonTool,
        cwd: layerPath,
        env: process.env,
        log,
        quiet: true,
      });
      await rename(tmp, archive);
      await rm(dirs, { recursive: true, force: true });
    },
  };
}

/**
 * Step: the environment pip, uv, Poetry and Pipenv run with in this build: quiet and
 * non-interactive, trusting the build's CA bundle (see {@link caEnv}), never downloading a
 * Python of their own, and with their download and wheel caches in one cache-only layer, so a
 * changed lockfile reinstalls from the cache instead of the network.
 */
import { join } from "node:path";
import type { BuildContext, Settings, EnvChange } from "@cnbkit/framework";
import { caEnv } from "../tool-env.js";
import type { PythonMetadata } from "./install-runtime.js";

/** Variables every tool run gets. */
const QUIET: Readonly<Record<string, string>> = {
  PIP_DISABLE_PIP_VERSION_CHECK: "1",
  PIP_NO_INPUT: "1",
  PIP_PROGRESS_BAR: "off",
  PIP_ROOT_USER_ACTION: "ignore",
  UV_NO_PROGRESS: "1",
  UV_PYTHON_DOWNLOADS: "never",
  UV_LINK_MODE: "copy",
  POETRY_NO_INTERACTION: "1",
  POETRY_VIRTUALENVS_CREATE: "false",
  PIPENV_NOSPIN: "1",
  PIPENV_YES: "1",
  PIPENV_VERBOSITY: "-1",
};

/** The tool environment: returns its change. */
export async function toolEnvironment(ctx: BuildContext<PythonMetadata>, settings: Settings): Promise<EnvChange> {
  const cache = await ctx.layers.cached("python_cache", { types: { cache: true }, key: { layout: 1 }, fill() {} });
  return {
    set: {
      ...QUIET,
      PIP_CACHE_DIR: join(cache.path, "pip"),
      UV_CACHE_DIR: join(cache.path, "uv"),
      POETRY_CACHE_DIR: join(cache.path, "poetry"),
      PIPENV_CACHE_DIR: join(cache.path, "pipenv"),
      ...caEnv(settings),
    },
  };
}

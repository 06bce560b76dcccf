/**
 * Step: the environment npm, yarn, pnpm and build scripts run with in this build. Quiet,
 * non-interactive tools; private registry config from bindings (for this build only, never
 * in a layer); and the package manager's download cache in a cache-only layer, so
 * downloads survive lockfile changes.
 */
import { join } from "node:path";
import type { EnvChange, StepContext } from "@cnbkit/framework";
import type { PackageManagerChoice } from "../package-manager.js";
import { registryConfig } from "../registry-config.js";
import type { BuildPlan } from "./plan-build.js";

/** The tool environment, and what to undo when the build ends. */
export interface ToolEnvironment {
  env: EnvChange;
  dispose(): Promise<void>;
}

/** Variables every tool run gets. */
const QUIET: Readonly<Record<string, string>> = {
  npm_config_update_notifier: "false",
  npm_config_fund: "false",
  npm_config_audit: "false",
  // npm's debug logs would land in the cache layer (npm_config_cache), where nobody reads
  // them, with paths of the build's private registry config in them.
  npm_config_logs_max: "0",
  COREPACK_ENABLE_DOWNLOAD_PROMPT: "0",
  YARN_ENABLE_PROGRESS_BARS: "false",
  YARN_ENABLE_TELEMETRY: "false",
  // npm turns on Node's compile cache: ~600 files in the container's /tmp that no later build
  // sees cost more to write (~0.1 s and their deletion) than a build's few npm runs gain.
  NODE_DISABLE_COMPILE_CACHE: "1",
};

/**
 * Install-time downloads no image needs: Cypress's postinstall fetches its ~200 MB test runner
 * from download.cypress.io, which only a test run uses, and which a build behind a proxy often
 * cannot reach (the install then fails: vitesse did). Each is skipped unless the app's build
 * env sets the variable itself.
 */
const SKIPPED_DOWNLOADS: Readonly<Record<string, string>> = { CYPRESS_INSTALL_BINARY: "0" };

/** {@link SKIPPED_DOWNLOADS} less the variables `settings` (the build's env) sets. */
export function skippedDownloads(settings: Readonly<Record<string, string | undefined>>): Record<string, string> {
  return Object.fromEntries(Object.entries(SKIPPED_DOWNLOADS).filter(([name]) => settings[name] === undefined));
}

/** Prepares the tool environment for `manager`; `settings` is the build's env. */
export async function toolEnvironment(
  ctx: StepContext<"layers" | "log" | "platform">,
  plan: BuildPlan,
  manager: PackageManagerChoice,
  settings: Readonly<Record<string, string | undefined>>,
): Promise<ToolEnvironment> {
  const registry = await registryConfig(ctx.platform.bindings, manager);
  for (const note of registry.notes) ctx.log.detail(note);
  const cache = await ctx.layers.cached("package_manager_cache", {
    types: { cache: true },
    key: { tool: manager.name },
    // pnpm hard-links its store's files into node_modules (package-import-method auto: clone,
    // then hardlink), which needs the store and the app on one mount; the platform's layer
    // cache is another (by-reference.ts), where pnpm would copy every file instead. npm and
    // Yarn copy out of their caches anyway, so theirs gain from being kept by reference: the
    // lifecycle no longer untars and tars it on every build.
    byReference: manager.name !== "pnpm",
    fill() {},
  });
  return {
    env: { set: { ...QUIET, ...skippedDownloads(settings), ...registry.env, ...cacheEnv(manager, plan, cache.path) } },
    dispose: registry.dispose,
  };
}

/**
 * Where each tool keeps its downloads, set only for the tool that reads it: npm 11 warns
 * about every `npm_config_*` variable it does not know (pnpm's store-dir among them).
 */
export function cacheEnv(
  manager: Pick<PackageManagerChoice, "name" | "berry">,
  plan: Pick<BuildPlan, "yarnLinker">,
  cacheDir: string,
): Record<string, string> {
  const env: Record<string, string> = { npm_config_cache: join(cacheDir, "npm") };
  if (manager.name === "pnpm") env.npm_config_store_dir = join(cacheDir, "pnpm-store");
  if (manager.name !== "yarn") return env;
  if (!manager.berry) return { ...env, YARN_CACHE_FOLDER: join(cacheDir, "yarn") };
  env.YARN_ENABLE_GLOBAL_CACHE = "false";
  env.YARN_NODE_LINKER = plan.yarnLinker ?? "node-modules";
  // Plug'n'Play loads packages from the zip cache at run time, so it stays in the app
  // (.yarn/cache); with node_modules the cache is only a download cache.
  if (env.YARN_NODE_LINKER !== "pnp") env.YARN_CACHE_FOLDER = join(cacheDir, "yarn");
  return env;
}

/**
 * Whether dev dependencies are removed before launch, and why not when they are kept.
 *
 * Pruning is the default (Paketo and Heroku do it). It is skipped when the user says so, when
 * the build runs with a non-production NODE_ENV (the app is then run as in development, with
 * its dev tools, as Paketo does), when there is nothing to prune, and for yarn 2 and 3 without
 * the workspace-tools plugin, whose `yarn workspaces focus` is the only way berry prunes
 * (yarn 4 has it built in; importing the plugin at build time needs GitHub).
 */
import semver from "semver";
import { parseYamlFile } from "./yaml-file.js";

/** The decision. A kept tree says why; `warn` marks reasons the user should act on. */
export type PrunePolicy = { prune: true } | { prune: false; reason: string; warn: boolean };

/** What {@link prunePolicy} reads. */
export interface PruneInputs {
  /** Build settings: BP_NODE_PRUNE_DEV_DEPENDENCIES, NODE_ENV. */
  env: Readonly<Record<string, string | undefined>>;
  /** package.json of the install root. */
  pkg: Record<string, unknown>;
  /** True when the install root is a workspace (members may have dev dependencies of their own). */
  workspace: boolean;
  manager: "npm" | "yarn" | "pnpm";
  berry: boolean;
  /** The package manager's version as it reported it (e.g. "3.8.7"). */
  managerVersion: string;
  /** `.yarnrc.yml` of the install root, if any. */
  yarnrc?: string | undefined;
}

/**
 * Decides whether to prune.
 *
 * @example
 * prunePolicy({ env: { NODE_ENV: "development" }, pkg, workspace: false, manager: "npm", berry: false, managerVersion: "10.9.4" })
 * // { prune: false, reason: "NODE_ENV=development at build time", warn: false }
 */
export function prunePolicy(inputs: PruneInputs): PrunePolicy {
  const setting = inputs.env.BP_NODE_PRUNE_DEV_DEPENDENCIES?.trim().toLowerCase();
  if (setting === "false") return keep("BP_NODE_PRUNE_DEV_DEPENDENCIES=false");
  const nodeEnv = inputs.env.NODE_ENV?.trim();
  if (nodeEnv && nodeEnv !== "production") return keep(`NODE_ENV=${nodeEnv} at build time`);
  const dev = inputs.pkg.devDependencies;
  const hasDev = typeof dev === "object" && dev !== null && Object.keys(dev).length > 0;
  if (!hasDev && !inputs.workspace) return keep("package.json has no devDependencies");
  const major = semver.coerce(inputs.managerVersion)?.major ?? 0;
  if (inputs.manager === "yarn" && inputs.berry && major < 4 && !hasWorkspaceTools(inputs.yarnrc)) {
    return keep(
      `yarn ${inputs.managerVersion} prunes with "yarn workspaces focus", which needs the workspace-tools plugin ` +
        `(run "yarn plugin import workspace-tools" and commit .yarnrc.yml and .yarn/plugins, or move to yarn 4)`,
      true,
    );
  }
  return { prune: true };
}

function keep(reason: string, warn = false): PrunePolicy {
  return { prune: false, reason, warn };
}

/** True when `.yarnrc.yml` lists the workspace-tools plugin. */
function hasWorkspaceTools(yarnrc: string | undefined): boolean {
  if (!yarnrc) return false;
  const plugins = parseYamlFile(yarnrc, ".yarnrc.yml").plugins;
  if (!Array.isArray(plugins)) return false;
  return plugins.some((p) => JSON.stringify(p).includes("workspace-tools"));
}

/**
 * Which package.json scripts run at build time, and the commands that run them.
 *
 * BP_NODE_RUN_SCRIPTS (a comma list) replaces the default, which is `build` when it exists.
 * npm and yarn classic run `pre<name>`/`post<name>` hooks themselves; pnpm (since v7) and
 * yarn berry do not, so for them the hooks are listed explicitly, keeping behaviour the same
 * across package managers.
 */
import { CnbError } from "@cnbkit/framework";
import type { PackageManagerChoice } from "./package-manager.js";

/** One script to run and the command that runs it. */
export interface BuildScript {
  name: string;
  command: string[];
}

/** The scripts chosen and why. */
export interface BuildScriptPlan {
  scripts: BuildScript[];
  /** `BP_NODE_RUN_SCRIPTS`, `package.json scripts.build`, or `none`. */
  source: string;
}

/**
 * Plans the build scripts. A name listed in BP_NODE_RUN_SCRIPTS that package.json does not
 * define is an error (a typo would otherwise skip the build silently).
 *
 * @example
 * selectBuildScripts({ scripts: { build: "tsc", prebuild: "rm -rf dist" } }, pm, {})
 * // pnpm: [prebuild, build] as ["pnpm","run","prebuild"], ["pnpm","run","build"]
 */
export function selectBuildScripts(
  pkg: Record<string, unknown>,
  pm: Pick<PackageManagerChoice, "name" | "berry">,
  env: Record<string, string | undefined>,
): BuildScriptPlan {
  const scripts =
    typeof pkg.scripts === "object" && pkg.scripts !== null ? (pkg.scripts as Record<string, unknown>) : {};
  const has = (n: string) => typeof scripts[n] === "string";
  const hooksRunThemselves = pm.name === "npm" || (pm.name === "yarn" && !pm.berry);
  const expand = (name: string): BuildScript[] => {
    const names = hooksRunThemselves ? [name] : [`pre${name}`, name, `post${name}`].filter((n) => n === name || has(n));
    return names.map((n) => ({ name: n, command: [pm.name, "run", n] }));
  };

  const fromEnv = env.BP_NODE_RUN_SCRIPTS?.trim();
  if (fromEnv) {
    const names = fromEnv
      .split(",")
      .map((s) => s.trim())
      .filter(Boolean);
    for (const n of names) {
      if (!has(n)) {
        throw new CnbError(`BP_NODE_RUN_SCRIPTS: package.json has no script "${n}"`, {
          hint: `Defined scripts: ${Object.keys(scripts).join(", ") || "(none)"}`,
        });
      }
    }
    return { scripts: names.flatMap(expand), source: "BP_NODE_RUN_SCRIPTS" };
  }
  if (has("build")) return { scripts: expand("build"), source: "package.json scripts.build" };
  return { scripts: [], source: "none" };
}

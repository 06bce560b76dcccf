/**
 * Step: decide, before anything is installed, what the build will do: which package manager,
 * which build scripts, where node_modules lives, and whether Node must be on disk in every
 * build. Only reads files; every decision is one of the pure modules beside this folder.
 */
import { readdir } from "node:fs/promises";
import type { AppFiles, Settings } from "@cnbkit/framework";
import { bunRefusal } from "../bun-refusal.js";
import { type BuildScriptPlan, selectBuildScripts } from "../build-scripts.js";
import { berryLinker, type ModulesLocation, modulesLocation } from "../modules-location.js";
import { choosePackageManager, type PackageManagerChoice } from "../package-manager.js";
import { appRelative, type Project } from "./read-project.js";

/** What the build will do. */
export interface BuildPlan {
  /** The package manager; undefined for an app without package.json (a lone server.js). */
  manager?: PackageManagerChoice | undefined;
  /** The build scripts (none without package.json). */
  scripts: BuildScriptPlan;
  /** Where node_modules lives. */
  modules: ModulesLocation;
  /** True when package.json (or a workspace member) declares any dependency. */
  hasDependencies: boolean;
  /** Files of the install root that tools read, when present. */
  config: { yarnrc?: string | undefined; npmrc?: string | undefined; pnpmWorkspace?: string | undefined };
  /** Yarn berry's linker for this build (berry only). */
  yarnLinker?: string | undefined;
}

/** Lockfiles of Bun, which this buildpack does not drive. */
const BUN_LOCKFILES = ["bun.lock", "bun.lockb"];

/** Plans the build. Refuses a Bun project with one line that says what to do. */
export async function planBuild(app: AppFiles, project: Project, settings: Settings): Promise<BuildPlan> {
  const { install } = project;
  const none: BuildPlan = {
    scripts: { scripts: [], source: "none" },
    modules: { kind: "layer" },
    hasDependencies: false,
    config: {},
  };
  if (install.pkg === undefined) return none;
  const files = new Set(await readdir(install.dir).catch(() => [] as string[]));
  const read = (f: string) => (files.has(f) ? app.readText(appRelative(install, f)) : Promise.resolve(undefined));
  const manager = choosePackageManager({
    pkg: install.pkg,
    files,
    ...(files.has("yarn.lock") ? { yarnLock: await app.readText(appRelative(install, "yarn.lock")) } : {}),
  });
  const bun = BUN_LOCKFILES.find((f) => files.has(f));
  if (bun && manager.lockfile === undefined && install.pkg.packageManager === undefined) {
    const pyproject = files.has("pyproject.toml")
      ? await app.readToml(appRelative(install, "pyproject.toml")).catch(() => undefined)
      : undefined;
    throw bunRefusal({ lockfile: appRelative(install, bun), pyproject });
  }
  const config = {
    yarnrc: await read(".yarnrc.yml"),
    npmrc: await read(".npmrc"),
    pnpmWorkspace: await read("pnpm-workspace.yaml"),
  };
  const packages = [install.pkg, ...(project.project.pkg && project.project !== install ? [project.project.pkg] : [])];
  const hasDependencies = project.members.length > 0 || packages.some(declaresDependencies);
  if (!hasDependencies && manager.warning?.startsWith("No lockfile")) delete manager.warning;
  const shipsPnp = files.has(".pnp.cjs") || files.has(".pnp.js");
  const yarnLinker = manager.berry ? berryLinker(settings, config.yarnrc, shipsPnp) : undefined;
  return {
    manager,
    scripts: selectBuildScripts(project.project.pkg ?? {}, manager, settings),
    modules: modulesLocation({ packages, berry: manager.berry, manager: manager.name, yarnLinker, ...config }),
    hasDependencies,
    config,
    yarnLinker,
  };
}

function declaresDependencies(pkg: Record<string, unknown>): boolean {
  return ["dependencies", "devDependencies", "optionalDependencies"].some((f) => {
    const d = pkg[f];
    return typeof d === "object" && d !== null && Object.keys(d).length > 0;
  });
}

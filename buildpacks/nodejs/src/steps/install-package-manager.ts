/**
 * Step: the package manager. npm comes with Node unless package.json pins another; yarn and
 * pnpm are installed from the npm registry into a cached layer (not corepack: see
 * {@link toolPackage}). The version each reports is kept in its layer's metadata, so a
 * rebuild learns it without starting Node.
 */
import { join } from "node:path";
import {
  type Layer,
  type Logger,
  type EnvChange,
  type StepContext,
  type ToolEnv,
  withChanges,
} from "@cnbkit/framework";
import { type PackageManagerChoice, toolPackage } from "../package-manager.js";
import { runTool } from "@cnbkit/framework/process";
import { explainNodeTool } from "../tool-errors.js";
import type { Runtime } from "./install-runtime.js";
import { appRelative, type Project } from "./read-project.js";

/** The package manager ready to run. */
export interface PackageManager {
  choice: PackageManagerChoice;
  /** The version it reports, e.g. "10.9.4". */
  version: string;
  /** Its bin dir on PATH, when it was installed here. */
  env: EnvChange;
}

/** What {@link installPackageManager} installs with, besides the project and the choice. */
export interface PackageManagerInputs {
  /** The runtime that runs the install (and `--version`, when its layer does not know it). */
  runtime: Runtime;
  /** The tool environment so far. */
  env: ToolEnv;
  /** Keep it in the image: the start command runs it. */
  atLaunch: boolean;
  /**
   * yarn berry's linker in this build: the launch default of YARN_NODE_LINKER when kept at
   * launch, so the launched yarn reads the install as made.
   */
  yarnLinker?: string | undefined;
}

/** Installs the package manager `choice` (npm comes with the runtime), saying which and why. */
export async function installPackageManager(
  ctx: StepContext<"app" | "layers" | "log">,
  project: Project,
  choice: PackageManagerChoice,
  inputs: PackageManagerInputs,
): Promise<PackageManager> {
  const { log } = ctx;
  const { runtime, env, atLaunch, yarnLinker } = inputs;
  log.step("Package manager");
  log.detail(
    `${choice.name}${choice.berry ? " (berry)" : ""}${choice.version ? ` ${choice.version}` : ""}, from ${choice.source}`,
  );
  if (choice.note) log.detail(choice.note);
  if (choice.warning) log.warn(choice.warning);
  const spec = toolPackage(choice, await pnpmLockVersion(ctx, project, choice));
  const probe = (layer: Layer, field: string, toolEnv: ToolEnv) =>
    reportedVersion(layer, field, { choice, runtime, cwd: project.install.dir, env: toolEnv, log });
  if (!spec) {
    const version = runtime.npmVersion ?? (await probe(runtime.layer, "npm", env));
    log.detail(`Using npm ${version}`);
    return { choice, version, env: {} };
  }
  const layer = await ctx.layers.cached("package_manager", {
    types: { build: true, launch: atLaunch, cache: true },
    key: { package: spec, nodeMajor: runtime.major },
    async fill(l) {
      await runtime.ensure();
      log.detail(`Installing ${spec}`);
      const args = ["npm", "install", "--global", "--no-fund", "--no-audit", "--prefix", l.path, spec];
      await runTool(args, { explain: explainNodeTool, cwd: l.path, env, log });
    },
  });
  if (atLaunch && choice.berry && yarnLinker) layer.env.launch.default("YARN_NODE_LINKER", yarnLinker);
  const change: EnvChange = { path: [join(layer.path, "bin")] };
  const version = await probe(layer, "version", withChanges(env, change));
  log.detail(`Using ${choice.name} ${version}`);
  return { choice, version, env: change };
}

/** pnpm-lock.yaml's lockfileVersion, which decides the pnpm to install; undefined for other managers. */
async function pnpmLockVersion(
  ctx: StepContext<"app">,
  project: Project,
  choice: PackageManagerChoice,
): Promise<string | undefined> {
  if (choice.lockfile !== "pnpm-lock.yaml") return undefined;
  const text = await ctx.app.readText(appRelative(project.install, choice.lockfile));
  return /^lockfileVersion:\s*['"]?([\d.]+)/m.exec(text)?.[1];
}

/**
 * The version the manager reports, kept in `layer`'s metadata as `field`: read from there
 * when a previous build kept it, else asked (`<name> --version`, which needs the runtime's
 * files) and kept.
 */
async function reportedVersion(
  layer: Layer,
  field: string,
  i: { choice: PackageManagerChoice; runtime: Runtime; cwd: string; env: ToolEnv; log: Logger },
): Promise<string> {
  const known = layer.metadata[field];
  if (typeof known === "string" && known !== "") return known;
  await i.runtime.ensure();
  const out = await runTool([i.choice.name, "--version"], {
    explain: explainNodeTool,
    cwd: i.cwd,
    env: i.env,
    log: quiet(i.log),
  });
  layer.metadata[field] = out.trim();
  return out.trim();
}

/** A logger that drops subprocess output (for `--version` probes). */
function quiet(log: Logger): Logger {
  return { ...log, subprocess() {} };
}

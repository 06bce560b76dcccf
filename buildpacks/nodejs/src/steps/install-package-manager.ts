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

/**
 * Installs the package manager. `env` is the tool environment so far; `atLaunch` keeps it in
 * the image (the start command runs it), with `yarnLinker` (berry's linker in this build) as
 * the launch default of YARN_NODE_LINKER, so the launched yarn reads the install as made.
 */
export async function installPackageManager(
  ctx: StepContext<"app" | "layers" | "log">,
  project: Project,
  choice: PackageManagerChoice,
  runtime: Runtime,
  env: ToolEnv,
  atLaunch: boolean,
  yarnLinker?: string,
): Promise<PackageManager> {
  const { log } = ctx;
  log.step("Package manager");
  log.detail(
    `${choice.name}${choice.berry ? " (berry)" : ""}${choice.version ? ` ${choice.version}` : ""}, from ${choice.source}`,
  );
  if (choice.note) log.detail(choice.note);
  if (choice.warning) log.warn(choice.warning);
  const lockVersion =
    choice.lockfile === "pnpm-lock.yaml"
      ? /^lockfileVersion:\s*['"]?([\d.]+)/m.exec(
          await ctx.app.readText(appRelative(project.install, choice.lockfile)),
        )?.[1]
      : undefined;
  const spec = toolPackage(choice, lockVersion);
  const probe = async (layer: Layer, field: string, toolEnv: ToolEnv): Promise<string> => {
    const known = layer.metadata[field];
    if (typeof known === "string" && known !== "") return known;
    await runtime.ensure();
    const out = await runTool([choice.name, "--version"], {
      explain: explainNodeTool,
      cwd: project.install.dir,
      env: toolEnv,
      log: quiet(log),
    });
    layer.metadata[field] = out.trim();
    return out.trim();
  };
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

/** A logger that drops subprocess output (for `--version` probes). */
function quiet(log: Logger): Logger {
  return { ...log, subprocess() {} };
}

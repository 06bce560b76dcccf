/**
 * The build, as its steps: read the project, plan, install Node, set up the tools, install
 * the package manager and the dependencies, run the build scripts, prune dev dependencies,
 * and choose the start command. Each step is a module in steps/ that returns what it
 * decided; the tool environment grows only by the changes the steps return.
 */
import { type BuildContext, type BuildResult, readSettings, withChanges } from "@cnbkit/framework";
import { buildOnly } from "./build-only.js";
import { prunePolicy } from "./prune-policy.js";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { startingScript, startMayNeedDev, startPlan, type StartPlan } from "./start-tools.js";
import { installDependencies, keepDependencies, pruneDependencies } from "./steps/install-dependencies.js";
import { installPackageManager } from "./steps/install-package-manager.js";
import { installRuntime, type NodejsMetadata } from "./steps/install-runtime.js";
import { planBuild } from "./steps/plan-build.js";
import { readProject } from "./steps/read-project.js";
import { runBuildScripts } from "./steps/run-build-scripts.js";
import { directBins, startProcess } from "./steps/start-process.js";
import { toolEnvironment } from "./steps/tool-environment.js";

/** Builds a Node.js app. */
export async function build(ctx: BuildContext<NodejsMetadata>): Promise<BuildResult> {
  const settings = readSettings(ctx);
  const project = await readProject(ctx.app, settings);
  const plan = await planBuild(ctx.app, project, settings);
  const pm = plan.manager;
  const runsScripts = plan.scripts.scripts.length > 0;
  const served = buildOnly(ctx.plan);
  const runsNode = ctx.plan.resolve("node")?.build === true || runsScripts || pm?.vendored === true || served;
  const runtime = await installRuntime(ctx, settings, project.project, runsNode, project.install);
  if (!pm || (!plan.hasDependencies && !runsScripts && pm.name === "npm" && !pm.version)) {
    if (served) return servedLater(ctx);
    const path = withChanges(settings, runtime.env).PATH;
    return startProcess(ctx, project.project, pm?.name ?? "npm", { check: { path, project, pnp: false } });
  }
  const tools = await toolEnvironment(ctx, plan, pm, settings);
  try {
    // Tools run without the launch NODE_ENV: NODE_ENV=production makes npm leave out dev dependencies.
    const base = withChanges({ ...settings, NODE_ENV: undefined }, runtime.env, tools.env);
    // Built for cnbkit/web, the start script (a dev server such as `ng serve`) never runs.
    const startsWithManager = !served && startingScript(project.project.pkg ?? {}) !== undefined;
    const manager = await installPackageManager(ctx, project, pm, {
      runtime,
      env: base,
      atLaunch: startsWithManager,
      yarnLinker: plan.yarnLinker,
    });
    const env = withChanges(base, manager.env);
    const prune = prunePolicy({
      env: settings,
      pkg: project.install.pkg ?? {},
      workspace: project.members.length > 0,
      manager: pm.name,
      berry: pm.berry,
      managerVersion: manager.version,
      yarnrc: plan.config.yarnrc,
    });
    const pnp = plan.modules.kind === "app" && plan.modules.pnp === true;
    const inProject = (f: string) => existsSync(join(project.project.dir, f));
    const startNeedsCheck = prune.prune && !pnp && startMayNeedDev(project.project.pkg ?? {}, inProject);
    const inputs = { ctx, project, plan, manager, runtime, env, prune, startNeedsCheck };
    const deps = await installDependencies(inputs);
    await runBuildScripts(ctx, {
      project: project.project,
      plan: plan.scripts,
      env: withChanges(env, deps.env),
      installDir: project.install.dir,
      sharing: {
        appDir: ctx.app.path,
        key: { node: runtime.version, packageManager: `${pm.name}@${manager.version}` },
        archNeutral: deps.archNeutral,
      },
    });
    // Nothing of node_modules is launched: no prune, no start command.
    if (served) return servedLater(ctx);
    // Before the prune, while every dependency's bins can be read: does the start need one it removes?
    const start: StartPlan =
      deps.prunePending && !pnp
        ? startPlan(project.project.pkg ?? {}, await directBins(project), {
            exists: inProject,
            // pnpm's packages live in its store behind symlinks: one cannot be kept alone.
            hoisted: pm.name !== "pnpm" && plan.yarnLinker !== "pnpm",
          })
        : { kind: "start" };
    if (start.kind === "keep-dev") await keepDependencies(inputs, deps, start.reason);
    else await pruneDependencies(inputs, deps, start.keep);
    return startProcess(ctx, project.project, pm.name, { plan: start, check: { path: env.PATH, project, pnp } });
  } finally {
    await tools.dispose();
  }
}

/** The result when a later buildpack serves the build's output (build-only.ts): no process of Node's. */
function servedLater(ctx: BuildContext<NodejsMetadata>): BuildResult {
  ctx.log.step("Start command");
  ctx.log.detail(
    "None: a later buildpack (cnbkit/web) serves what the build wrote; Node.js and node_modules stay out of the image",
  );
  return {};
}

/**
 * Step: the build scripts (`build`, or BP_NODE_RUN_SCRIPTS), run in the project directory
 * with dev dependencies installed and node_modules/.bin on PATH.
 */
import type { BuildContext, ToolEnv } from "@cnbkit/framework";
import type { BuildScriptPlan } from "../build-scripts.js";
import { runTool } from "@cnbkit/framework/process";
import { explainNodeTool } from "../tool-errors.js";
import type { NodejsMetadata } from "./install-runtime.js";
import { appRelative, type ProjectDir } from "./read-project.js";

/** Runs each planned script in order; the first failure stops the build, naming the script. */
export async function runBuildScripts(
  ctx: BuildContext<NodejsMetadata>,
  project: ProjectDir,
  plan: BuildScriptPlan,
  env: ToolEnv,
): Promise<void> {
  if (plan.scripts.length === 0) return;
  ctx.log.step(`Build scripts (${plan.source})`);
  for (const s of plan.scripts) {
    const done = ctx.log.timer();
    ctx.log.detail(`Running ${s.command.join(" ")}`);
    const where = `${appRelative(project, "package.json")} scripts.${s.name}`;
    await runTool(s.command, { explain: explainNodeTool, cwd: project.dir, env, log: ctx.log, where });
    ctx.log.detail(`Done in ${done()}`);
  }
}

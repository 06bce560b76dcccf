/**
 * Step: the build scripts (`build`, or BP_NODE_RUN_SCRIPTS), run in the project directory
 * with dev dependencies installed and node_modules/.bin on PATH.
 *
 * In a multi-platform build their output is arch-neutral when node_modules is (pure-JS
 * packages, no install scripts: arch-neutral-modules.ts): the scripts then run once, in the
 * native build, and the emulated build replays what they wrote into the app (the
 * framework's `ctx.multiPlatform.appOutput`, keyed on the app's files, Node.js, the package manager and the
 * commands) instead of running a bundler under qemu.
 */
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { CnbError, type StepContext, type ToolEnv } from "@cnbkit/framework";
import type { BuildScriptPlan } from "../build-scripts.js";
import { runTool, type ToolFailure } from "@cnbkit/framework/process";
import { lockedSharpVersion, sharpMissingError, sharpNotFound } from "../sharp-missing.js";
import { explainNodeTool } from "../tool-errors.js";
import { appRelative, type ProjectDir } from "./read-project.js";

/** What the scripts' output depends on besides the app's files, and whether the other CPUs may reuse it. */
export interface ScriptOutputSharing {
  /** The app root: what the scripts may write into, and whose files key the output. */
  appDir: string;
  /** Node.js's full version and the package manager's (`npm@10.9.4`). */
  key: { node: string; packageManager: string };
  /** node_modules' arch-neutrality: the scripts run with it. */
  archNeutral: true | { not: string };
}

/** What {@link runBuildScripts} runs, and where. */
export interface BuildScriptsRun {
  project: ProjectDir;
  plan: BuildScriptPlan;
  /** The build env with dev dependencies' bins on PATH. */
  env: ToolEnv;
  /** Where dependencies were installed: the workspace root of a member app, else the project. */
  installDir?: string;
  /** Set in a multi-platform build: the output may then be built once for every platform. */
  sharing?: ScriptOutputSharing;
}

/** Runs each planned script in order; the first failure stops the build, naming the script. */
export async function runBuildScripts(ctx: StepContext<"log" | "multiPlatform">, r: BuildScriptsRun): Promise<void> {
  const { project, plan, env, installDir = r.project.dir, sharing } = r;
  if (plan.scripts.length === 0) return;
  ctx.log.step(`Build scripts (${plan.source})`);
  const run = () => runScripts(ctx, project, plan, env, installDir);
  if (!sharing) return run();
  await ctx.multiPlatform.appOutput("build_output", {
    dir: sharing.appDir,
    key: { ...sharing.key, scripts: plan.scripts.map((s) => s.command.join(" ")).join("\n") },
    ignore: ["node_modules", ".git"],
    archNeutral: sharing.archNeutral,
    run,
  });
}

async function runScripts(
  ctx: StepContext<"log">,
  project: ProjectDir,
  plan: BuildScriptPlan,
  env: ToolEnv,
  installDir: string,
): Promise<void> {
  // Read before the scripts run: `explain` is synchronous, and only a failure uses it.
  const sharp = await lockedSharp(lockfiles(project, installDir));
  for (const s of plan.scripts) {
    const done = ctx.log.timer();
    ctx.log.detail(`Running ${s.command.join(" ")}`);
    const where = `${appRelative(project, "package.json")} scripts.${s.name}`;
    const explain = (failure: ToolFailure) => {
      if (!sharpNotFound(failure.output)) return explainNodeTool(failure);
      const { line, hint } = sharpMissingError(sharp);
      return new CnbError(`${where} failed (${failure.status}): ${line}`, { hint });
    };
    await runTool(s.command, { explain, cwd: project.dir, env, log: ctx.log, where });
    ctx.log.detail(`Done in ${done()}`);
  }
}

/** The lockfiles that may pin sharp: the project's, then the install root's (a workspace). */
function lockfiles(project: ProjectDir, installDir: string): string[] {
  const names = ["package-lock.json", "npm-shrinkwrap.json", "yarn.lock", "pnpm-lock.yaml"];
  const dirs = installDir === project.dir ? [project.dir] : [project.dir, installDir];
  return dirs.flatMap((d) => names.map((n) => join(d, n)));
}

/** The sharp version the first lockfile that has one pins. */
async function lockedSharp(paths: string[]): Promise<string | undefined> {
  for (const p of paths) {
    const text = await readFile(p, "utf8").catch(() => undefined);
    const version = text === undefined ? undefined : lockedSharpVersion(p.slice(p.lastIndexOf("/") + 1), text);
    if (version) return version;
  }
  return undefined;
}

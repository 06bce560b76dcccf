/**
 * Step: Django's `collectstatic --noinput`, when manage.py's settings set STATIC_ROOT and
 * BP_DISABLE_COLLECTSTATIC is not true. It runs on every build: static files come from the
 * source, which may change without the lockfile changing.
 */
import { type BuildContext, type Settings, type ToolEnv, withChanges } from "@cnbkit/framework";
import { runTool } from "../run.js";
import { isTrue } from "../settings.js";
import { djangoHasStaticRoot, djangoSettings } from "../start-command.js";
import type { Venv } from "./install-dependencies.js";
import type { PythonMetadata } from "./install-runtime.js";
import type { Project } from "./read-project.js";

/** Whether this build will run collectstatic (decided before the venv, which it then needs at build). */
export function wantsCollectStatic(project: Project, settings: Settings): boolean {
  if (isTrue(settings.BP_DISABLE_COLLECTSTATIC)) return false;
  const found = djangoSettings(project.scan);
  return found !== undefined && djangoHasStaticRoot(found.text);
}

/** Runs collectstatic with the venv's python. */
export async function collectStatic(
  ctx: BuildContext<PythonMetadata>,
  settings: Settings,
  project: Project,
  venv: Venv | undefined,
  env: ToolEnv,
): Promise<void> {
  if (isTrue(settings.BP_DISABLE_COLLECTSTATIC) && project.scan.has("manage.py")) {
    ctx.log.detail("Skipping collectstatic (BP_DISABLE_COLLECTSTATIC)");
  }
  if (!venv || !wantsCollectStatic(project, settings)) return;
  ctx.log.step("Django static files (manage.py collectstatic --noinput)");
  const done = ctx.log.timer();
  await runTool([`${venv.path}/bin/python`, "manage.py", "collectstatic", "--noinput"], {
    cwd: ctx.app.path,
    env: withChanges(env, venv.env),
    log: ctx.log,
    where: "manage.py collectstatic",
  });
  ctx.log.detail(`Done in ${done()}`);
}

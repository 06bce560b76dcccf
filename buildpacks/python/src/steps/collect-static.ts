/**
 * Step: Django's `collectstatic --noinput`, when manage.py's settings set STATIC_ROOT and
 * BP_DISABLE_COLLECTSTATIC is not true. It runs on every build: static files come from the
 * source, which may change without the lockfile changing. Settings with no STATIC_ROOT (or one
 * that is None at build) skip it with a warning that says what that means and how to set it.
 */
import { type StepContext, CnbError, isCnbError, type Settings, type ToolEnv, withChanges } from "@cnbkit/framework";
import { runTool } from "@cnbkit/framework/process";
import { explainPythonTool } from "../tool-errors.js";
import { isTrue } from "../settings.js";
import { djangoHasStaticRoot, djangoSettings } from "../django-settings.js";
import type { Venv } from "./install-dependencies.js";
import type { Project } from "./read-project.js";

/**
 * The setting that turns collectstatic off, if one does: BP_DISABLE_COLLECTSTATIC, or Heroku's
 * DISABLE_COLLECTSTATIC (digitalocean/sample-django's app spec sets it), which apps moving from
 * Heroku carry.
 */
export function collectStaticDisabledBy(settings: Settings): string | undefined {
  return ["BP_DISABLE_COLLECTSTATIC", "DISABLE_COLLECTSTATIC"].find((name) => isTrue(settings[name]));
}

/** Whether this build will run collectstatic (decided before the venv, which it then needs at build). */
export function wantsCollectStatic(project: Project, settings: Settings): boolean {
  if (collectStaticDisabledBy(settings)) return false;
  const found = djangoSettings(project.scan);
  return found !== undefined && djangoHasStaticRoot(found.text);
}

/** Runs collectstatic with the venv's python. */
export async function collectStatic(
  ctx: StepContext<"app" | "log">,
  settings: Settings,
  project: Project,
  venv: Venv | undefined,
  env: ToolEnv,
): Promise<void> {
  const disabledBy = collectStaticDisabledBy(settings);
  if (disabledBy && project.scan.has("manage.py")) {
    ctx.log.detail(`Skipping collectstatic (${disabledBy})`);
    return;
  }
  const django = djangoSettings(project.scan);
  if (django && !djangoHasStaticRoot(django.text))
    ctx.log.warn(noStaticRootWarning(django.file, "sets no STATIC_ROOT"));
  // A setting that disables it returned above, so this is wantsCollectStatic's answer.
  if (!venv || !django || !djangoHasStaticRoot(django.text)) return;
  ctx.log.step("Django static files (manage.py collectstatic --noinput)");
  const done = ctx.log.timer();
  await runTool([`${venv.path}/bin/python`, "manage.py", "collectstatic", "--noinput"], {
    explain: explainPythonTool,
    cwd: ctx.app.path,
    env: withChanges(env, venv.env),
    log: ctx.log,
    file: django.file,
  }).then(
    () => ctx.log.detail(`Done in ${done()}`),
    (err: unknown) => {
      if (!isCnbError(err)) throw err;
      // STATIC_ROOT is in the file but None at build (`os.environ.get("STATIC_ROOT")`): as with no
      // STATIC_ROOT at all, the app serves its pages; a condition the build did not meet keeps
      // the error, whose hint names it.
      if (NO_STATIC_ROOT.test(err.message) && !staticRootCondition(django.text)) {
        ctx.log.warn(noStaticRootWarning(django.file, "leaves STATIC_ROOT unset at build"));
        return;
      }
      if (err.hint) throw err;
      const text = project.scan.get(django.file);
      throw new CnbError(err.message, {
        hint: collectStaticHint(err.message, { file: django.file, text }, ctx.app.path),
        cause: err,
      });
    },
  );
}

/** Django's ImproperlyConfigured when collectstatic finds no STATIC_ROOT. */
const NO_STATIC_ROOT = /without having set the STATIC_ROOT setting/;

/**
 * The one line for a Django app whose settings give collectstatic nowhere to write: what
 * skipping it means, and how to set STATIC_ROOT. Heroku's build fails here; the app serves its
 * pages without it, so the build goes on.
 *
 * @example
 * noStaticRootWarning("mysite/settings.py", "sets no STATIC_ROOT")
 * // "Skipping collectstatic: mysite/settings.py sets no STATIC_ROOT, so the image has no collected static files …"
 */
export function noStaticRootWarning(settingsFile: string, why: string): string {
  return `Skipping collectstatic: ${settingsFile} ${why}, so the image has no collected static files (with DEBUG off, the admin's CSS and the apps' static/ files are 404 unless something else serves them); to collect them at build, set STATIC_ROOT = BASE_DIR / "staticfiles" in ${settingsFile} (and serve it, e.g. with WhiteNoise)`;
}

/**
 * What to do about a failed collectstatic. It runs the app's settings at build, where the
 * variables the app gets at run time are not set: Django's "The SECRET_KEY setting must not
 * be empty" is the common case (seen: 0-th/somenewsapp, which reads it with os.getenv).
 *
 * @example
 * collectStaticHint("…ImproperlyConfigured: The SECRET_KEY setting must not be empty.", "config/settings.py")
 * // "collectstatic runs config/settings.py at build, which needs SECRET_KEY: pass it with --env SECRET_KEY=… …"
 */
export function collectStaticHint(
  message: string,
  settings: { file: string; text?: string | undefined },
  appDir = "/workspace",
): string {
  const settingsFile = settings.file;
  const setting = /The (\w+) setting must not be empty/.exec(message)?.[1];
  const skip = "or set BP_DISABLE_COLLECTSTATIC=true to skip it.";
  // render-examples/django sets STATIC_ROOT only under `if not DEBUG:`, and DEBUG is
  // `'RENDER' not in os.environ`: at build the block never ran.
  const condition = settings.text ? staticRootCondition(settings.text) : undefined;
  if (condition && /without having set the STATIC_ROOT setting/.test(message))
    return `${settingsFile} sets STATIC_ROOT only under "${condition.header}" (line ${condition.line}), which this build's environment does not meet: pass at build what it reads (--env NAME=value), ${skip}`;
  // regidf12/reshat_payment_system: STATIC_ROOT = os.path.join(BASE_DIR, '/staticfiles/'),
  // which the leading slash makes /staticfiles.
  const denied = /PermissionError: \[Errno 13\] Permission denied: '([^']+)'/.exec(message)?.[1];
  if (denied && !`${denied}/`.startsWith(`${appDir}/`))
    return `collectstatic could not write ${denied}, outside the app dir: let STATIC_ROOT be a path in the app (os.path.join(BASE_DIR, "staticfiles"); a leading slash, as in "/staticfiles/", makes it absolute), ${skip}`;
  if (setting)
    return `collectstatic runs ${settingsFile} at build, which needs ${setting}: pass it with --env ${setting}=… at build (build settings are not kept in the image), give it a default, ${skip}`;
  return `collectstatic runs at build because ${settingsFile} sets STATIC_ROOT: fix the error above (a variable the settings read at run time can be passed with --env NAME=value at build), ${skip}`;
}

/**
 * The block a STATIC_ROOT assignment sits in (`if not DEBUG:`), with its 1-based line, when it
 * is not at the top level of the settings module.
 *
 * @example
 * staticRootCondition("DEBUG = False\nif not DEBUG:\n    STATIC_ROOT = BASE_DIR / 'static'\n") // { line: 2, header: "if not DEBUG:" }
 */
export function staticRootCondition(settings: string): { line: number; header: string } | undefined {
  const lines = settings.split(/\r?\n/);
  const at = lines.findIndex((l) => /^[ \t]+STATIC_ROOT\s*=/.test(l));
  if (at < 0) return undefined;
  const indent = (l: string) => /^[ \t]*/.exec(l)![0].length;
  for (let i = at - 1; i >= 0; i--) {
    const l = lines[i]!;
    if (l.trim() === "" || l.trim().startsWith("#") || indent(l) >= indent(lines[at]!)) continue;
    return /^(?:if|elif|else|try|except|with|for|while)\b/.test(l.trim())
      ? { line: i + 1, header: l.trim() }
      : undefined;
  }
  return undefined;
}

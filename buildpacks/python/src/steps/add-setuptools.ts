/**
 * Step, inside the venv's fill: setuptools in a pip or Pipenv venv on CPython < 3.12, put
 * there before the install runs. There, `python -m venv` installs it, so apps use it without
 * declaring it, and their requirements.txt and Pipfile.lock leave it out. gunicorn < 21, for
 * one, imports pkg_resources at start: without setuptools an outside Pipenv app built green and
 * crashed when run. Before the install, not after: gunicorn 20 declares `setuptools>=3.0`, so
 * into an empty venv pip pulled the newest setuptools, which has no pkg_resources, and the
 * Django apps of two outside sample sets crashed at start. With 81.0.0 already there, pip
 * finds the requirement met, as it does in a venv `python -m venv` made; a lockfile that pins
 * another setuptools still gets its own.
 * uv and Poetry lock setuptools when a package needs it, and their sync removes what the lock
 * does not list, so their venvs are left as locked. CPython 3.12 dropped it from venvs, so
 * apps on 3.12 and later declare it themselves.
 *
 * The version is the inventory's `setuptools` (81.0.0, the last release with pkg_resources).
 * Its verified wheel is pure Python, so it is unpacked into site-packages with no pip run
 * ({@link Wheels.unpack}), as pip's own wheel is.
 *
 * Step, after the install, every manager and every CPython ({@link keepPkgResources}): on
 * 3.12 and later nothing is put in first, so gunicorn 20's `setuptools>=3.0` made pip install
 * the newest setuptools, and a Django app with `gunicorn==20.1.0` and no Python pin crashed at
 * start on the default 3.13 (`No module named 'pkg_resources'`). What a user expects there is
 * what 3.11 gives: the app runs. So when an installed package requires setuptools and imports
 * pkg_resources, and the setuptools the install chose has none, the inventory's 81.0.0 takes
 * its place, with a log line naming the package (pkg-resources.ts decides). Where the user
 * chose that setuptools (their own pin, a uv or Poetry lock, whose sync would remove a
 * setuptools the lock does not list), the build stops in one line with the fix.
 */
import { existsSync } from "node:fs";
import { readFile, rm } from "node:fs/promises";
import { join } from "node:path";
import type { AppFiles, StepContext, ToolEnv } from "@cnbkit/framework";
import { compileAll } from "../compile-all.js";
import { linuxCpython } from "../markers.js";
import type { ManagerChoice } from "../package-manager.js";
import {
  decideSetuptools,
  installedSetuptools,
  recordedFiles,
  setuptoolsLine,
  setuptoolsRequirers,
} from "../pkg-resources.js";
import { requirementsClosure } from "../requirements-files.js";
import { normalizeName } from "../start-command.js";
import type { Wheels } from "../wheel.js";
import type { Runtime } from "./install-runtime.js";
import type { Project } from "./read-project.js";

/** Whether a venv of `manager` on CPython `minor` (e.g. "3.11") gets setuptools. */
export function wantsSetuptools(manager: string, minor: string): boolean {
  const [major = 0, sub = 0] = minor.split(".").map(Number);
  return (manager === "pip" || manager === "pipenv") && major === 3 && sub < 12;
}

/**
 * What of setuptools an app runs: pkg_resources, the vendored packages it imports, and the
 * distutils hook its .pth loads at every start. setuptools' own 230 other modules build
 * packages, which happens in pip's isolated build envs, so they are not compiled here.
 */
const RUNTIME_CODE = ["pkg_resources", "_distutils_hack", "setuptools/_vendor"];

/**
 * Unpacks setuptools into the new venv's `site`, for the install to find (`source` names
 * what the install reads, for the log). Returns the version and the paths of the code an app
 * runs from it (for compileall).
 */
export async function addSetuptools(
  ctx: StepContext<"dependencies" | "log">,
  wheels: Wheels,
  site: string,
  source: string,
): Promise<{ version: string; code: string[] }> {
  const dep = ctx.dependencies.resolve("setuptools");
  await wheels.unpack(dep, site);
  ctx.log.detail(`Added setuptools ${dep.version} first (a venv on CPython < 3.12 has it; ${source} can leave it out)`);
  const code = RUNTIME_CODE.map((p) => join(site, p)).filter((p) => existsSync(p));
  return { version: dep.version, code };
}

/** What {@link keepPkgResources} reads. */
export interface PkgResourcesInputs {
  ctx: StepContext<"app" | "dependencies" | "log" | "target">;
  project: Project;
  manager: ManagerChoice;
  runtime: Pick<Runtime, "version" | "python">;
  /** The venv's site-packages, after the install. */
  site: string;
  wheels: Wheels;
  /** The tools' environment (for compileall). */
  env: ToolEnv;
}

/**
 * After the install: when an installed package requires setuptools and imports pkg_resources
 * but the venv's setuptools has none (82 and later), puts the inventory's setuptools in its
 * place (pip, Pipenv) or stops the build in one line (a lock or the user's own pin; see the
 * file comment).
 *
 * @throws CnbError naming the package, the setuptools installed and the fix (pin setuptools<82).
 */
export async function keepPkgResources(i: PkgResourcesInputs): Promise<void> {
  const { ctx, site, manager } = i;
  const installed = await installedSetuptools(site);
  if (!installed || existsSync(join(site, "pkg_resources"))) return;
  const requirers = await setuptoolsRequirers(site, linuxCpython(i.runtime.version, ctx.target.arch));
  if (!requirers.some((r) => r.importsPkgResources)) return;
  const dep = ctx.dependencies.resolve("setuptools");
  const decision = decideSetuptools({
    manager: manager.name,
    lockfile: manager.lockfile,
    installed: installed.version,
    requirers,
    pin: await userPin(ctx.app, i.project, manager),
    replacement: dep.version,
  });
  if (decision.kind === "keep") return;
  if (decision.kind === "fail") throw decision.error;
  // Its RECORD's top-level entries (setuptools/, _distutils_hack/, the .pth, the dist-info).
  const tops = new Set((await recordedFiles(site, installed.distInfo)).map((p) => p.split("/")[0]!));
  tops.add(installed.distInfo);
  for (const t of tops) await rm(join(site, t), { recursive: true, force: true });
  await i.wheels.unpack(dep, site);
  const code = RUNTIME_CODE.map((p) => join(site, p)).filter((p) => existsSync(p));
  await compileAll(i.runtime.python, code, { cwd: ctx.app.path, env: i.env, log: ctx.log });
  ctx.log.detail(decision.line);
}

/** The setuptools requirement the user wrote for pip or Pipenv, and where. */
async function userPin(
  app: AppFiles,
  project: Project,
  manager: ManagerChoice,
): Promise<{ file: string; requirement: string } | undefined> {
  if (manager.name === "pipenv") {
    // Pipfile's [packages]: `setuptools = "<82"` or `setuptools = {version = ">=82"}`.
    const pipfile = await app.readToml<{ packages?: Record<string, unknown> }>("Pipfile", { optional: true });
    const key = Object.keys(pipfile?.packages ?? {}).find((k) => normalizeName(k) === "setuptools");
    if (key === undefined) return undefined;
    return { file: "Pipfile", requirement: `${key} = ${JSON.stringify(pipfile?.packages?.[key])}` };
  }
  if (manager.name !== "pip") return undefined;
  const appDir = app.path;
  if (manager.pipTarget === "requirements") {
    for (const entry of manager.requirementFiles ?? [manager.lockfile]) {
      for (const file of await requirementsClosure(appDir, entry)) {
        const line = setuptoolsLine(await readFile(join(appDir, file), "utf8").catch(() => ""));
        if (line) return { file, requirement: line };
      }
    }
    return undefined;
  }
  const deps = (project.pyproject?.project as { dependencies?: unknown } | undefined)?.dependencies;
  const list = Array.isArray(deps) ? deps.filter((d): d is string => typeof d === "string") : [];
  const line = setuptoolsLine(list.join("\n"));
  return line ? { file: "pyproject.toml", requirement: line } : undefined;
}

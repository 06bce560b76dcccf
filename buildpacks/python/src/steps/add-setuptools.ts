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
 */
import { existsSync } from "node:fs";
import { join } from "node:path";
import type { BuildContext } from "@cnbkit/framework";
import type { Wheels } from "../wheel.js";
import type { PythonMetadata } from "./install-runtime.js";

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
  ctx: BuildContext<PythonMetadata>,
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

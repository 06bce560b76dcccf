/**
 * Step, inside the venv's fill: setuptools in a pip or Pipenv venv on CPython < 3.12. There,
 * `python -m venv` installs it, so apps use it without declaring it, and their
 * requirements.txt and Pipfile.lock leave it out. gunicorn < 21, for one, imports
 * pkg_resources at start: without it an outside Pipenv app built green and crashed when run.
 * uv and Poetry lock setuptools when a package needs it, and their sync removes what the lock
 * does not list, so their venvs are left as locked. CPython 3.12 dropped it from venvs, so
 * apps on 3.12 and later declare it themselves.
 *
 * The version is the inventory's `setuptools` (81.0.0, the last release with pkg_resources).
 * Its verified wheel is pure Python, so it is unpacked into site-packages with no pip run
 * ({@link unpackWheel}), as pip's own wheel is.
 */
import { readdir } from "node:fs/promises";
import { join } from "node:path";
import type { BuildContext } from "@cnbkit/framework";
import { unpackWheel } from "../wheel.js";
import type { PythonMetadata } from "./install-runtime.js";

/** Whether a venv of `manager` on CPython `minor` (e.g. "3.11") gets setuptools. */
export function wantsSetuptools(manager: string, minor: string): boolean {
  const [major = 0, sub = 0] = minor.split(".").map(Number);
  return (manager === "pip" || manager === "pipenv") && major === 3 && sub < 12;
}

/**
 * Unpacks setuptools into `site` unless the install put one there. Returns the version added
 * and the paths it added that hold Python code (for compileall), or undefined.
 */
export async function addSetuptools(
  ctx: BuildContext<PythonMetadata>,
  site: string,
  scratch: string,
): Promise<{ version: string; code: string[] } | undefined> {
  const entries = await readdir(site);
  if (entries.some((e) => /^setuptools-[^-]+\.dist-info$/.test(e))) return undefined;
  const dep = ctx.dependencies.resolve("setuptools");
  await unpackWheel(ctx, dep, site, scratch);
  ctx.log.detail(`Added setuptools ${dep.version} (a venv on CPython < 3.12 has it; the lockfile leaves it out)`);
  const before = new Set(entries);
  const code = (await readdir(site))
    .filter((e) => !before.has(e) && !e.endsWith(".dist-info") && !e.endsWith(".pth"))
    .map((e) => join(site, e));
  return { version: dep.version, code };
}

/**
 * Native addons that npm 12's `allowScripts` policy left unbuilt.
 *
 * npm 12 skips a dependency's install scripts unless package.json `allowScripts` approves
 * them, and exits 0. For most scripts a warning is the right answer: a postinstall that
 * prints a banner or fetches an optional extra may not matter, and the app may run without
 * it. A native addon's build is different: when the skipped script is node-gyp's (or a
 * prebuilt-binary fetcher's) and the package holds no `.node` file, nothing compiled the
 * addon, and the package's JS throws at its first `require`. The build would pass and the
 * image crash at start, with the reason a warning in a build log nobody reads after a green
 * build. So the build fails instead, in one line that names the addon and the fix. Keeping
 * the app on npm 11 is not an option here: the app asked for npm 12 (an engines.npm range
 * that admits older npm is narrowed to them already, see narrowNpmRange). A package the user
 * denied (`npm deny-scripts`) is not listed by npm, so a deliberate "no" still builds.
 */
import { existsSync } from "node:fs";
import { readdir } from "node:fs/promises";
import { join } from "node:path";
import type { UnapprovedScripts } from "./npm-install-scripts.js";
import { lockfilePackages } from "./npm-lockfile-packages.js";

/** A dependency whose skipped install script was its native addon's build, and where it is. */
export interface UnbuiltAddon {
  package: UnapprovedScripts;
  /**
   * Its package.json name. npm 12's list may give another: `npm ci` names a file: dependency
   * by its folder (`native@1.0.0` for hello-native in ./native). Both work with approve-scripts.
   */
  name: string;
  /** The script that would have built it, e.g. `node-gyp rebuild`. */
  command: string;
  /** The package's directory, relative to the install root (e.g. `native` or `node_modules/bcrypt`). */
  path: string;
}

// node-gyp itself, node-gyp-build (prebuilds, else node-gyp), prebuild-install and
// node-pre-gyp (download a prebuilt binary), cmake-js (CMake instead of gyp).
const ADDON_BUILD = /(?:^|[\s;&|(])(?:node-gyp(?:-build)?|prebuild-install|node-pre-gyp|cmake-js)(?=$|[\s;&|)])/;

/**
 * Whether an install script builds or fetches a native addon.
 *
 * @example
 * isAddonBuild("node-gyp rebuild") // true
 * isAddonBuild("prebuild-install || node-gyp rebuild --release") // true
 * isAddonBuild("node install/check.js") // false
 */
export function isAddonBuild(command: string): boolean {
  return ADDON_BUILD.test(command);
}

/**
 * The skipped packages that are native addons with no `.node` file, found through the
 * lockfile npm installed from (`installDir`'s package-lock.json, npm-shrinkwrap.json or
 * node_modules/.package-lock.json). A package whose directory cannot be found is left out:
 * the build fails only on what it saw.
 */
export async function unbuiltAddons(installDir: string, skipped: UnapprovedScripts[]): Promise<UnbuiltAddon[]> {
  const candidates = skipped.flatMap((p) => {
    const command = ["preinstall", "install", "postinstall"]
      .map((e) => p.commands[e])
      .find((c) => c && isAddonBuild(c));
    return command ? [{ package: p, command }] : [];
  });
  if (candidates.length === 0) return [];
  const paths = await lockfilePackages(installDir);
  const unbuilt: UnbuiltAddon[] = [];
  for (const c of candidates) {
    const found = paths.find(
      (e) => e.printedAs.includes(c.package.name) && (!c.package.version || e.version === c.package.version),
    );
    const dir = found && join(installDir, found.path);
    if (dir && existsSync(join(dir, "package.json")) && !(await hasNodeFile(dir)))
      unbuilt.push({ ...c, name: found.name, path: found.path });
  }
  return unbuilt;
}

/**
 * The one-line error (and hint) for {@link unbuiltAddons}, naming each with its skipped script.
 *
 * @example
 * unbuiltAddonsError([{ package: { name: "native", version: "1.0.0", … }, name: "hello-native", command: "node-gyp rebuild", path: "native" }], "12.2.1", "package.json")
 * // { line: 'hello-native@1.0.0 has no compiled addon: npm 12.2.1 skipped its install script (node-gyp rebuild), which package.json "allowScripts" does not approve', hint: 'Run "npm approve-scripts hello-native" …' }
 */
export function unbuiltAddonsError(
  addons: UnbuiltAddon[],
  npmVersion: string,
  where: string,
): { line: string; hint: string } {
  const id = (a: UnbuiltAddon) => `${a.name}${a.package.version ? `@${a.package.version}` : ""}`;
  const policy = `which ${where} "allowScripts" does not approve`;
  const line =
    addons.length === 1
      ? `${id(addons[0]!)} has no compiled addon: npm ${npmVersion} skipped its install script (${addons[0]!.command}), ${policy}`
      : `${addons.length} dependencies have no compiled addon: npm ${npmVersion} skipped their install scripts, ${policy}: ${addons.map((a) => `${id(a)} (${a.command})`).join(", ")}`;
  const names = [...new Set(addons.map((a) => a.name))].join(" ");
  return {
    line,
    hint: `Run "npm approve-scripts ${names}" and commit ${where}; if the app never loads ${addons.length === 1 ? "it" : "them"}, "npm deny-scripts ${names}" says so and the build goes on`,
  };
}

/** Whether `dir` holds a `.node` file (build/Release, prebuilds/…, lib/binding/…), its node_modules aside. */
async function hasNodeFile(dir: string, depth = 0): Promise<boolean> {
  const entries = await readdir(dir, { withFileTypes: true }).catch(() => []);
  for (const e of entries) {
    if (e.isFile() && e.name.endsWith(".node")) return true;
    if (e.isDirectory() && e.name !== "node_modules" && depth < 6 && (await hasNodeFile(join(dir, e.name), depth + 1)))
      return true;
  }
  return false;
}

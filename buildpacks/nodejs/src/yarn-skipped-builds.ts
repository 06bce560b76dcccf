/**
 * Dependency builds Yarn skipped. Since Yarn 4.14 `enableScripts` defaults to false: a
 * dependency's build scripts (a native addon's compile) do not run unless package.json's
 * `dependenciesMeta.<name>.built` is true, and Yarn says so in one `YN0004` warning line per
 * package and exits 0 ("Done with warnings"). The app then fails at run time (better-sqlite3:
 * "Could not locate the bindings file"). This reads those lines back so the build can say them
 * once, as a warning with the fix, as it does for npm 12's allowScripts.
 */

// `➤ YN0004: │ better-sqlite3@npm:11.7.0 lists build scripts, but all build scripts have been disabled.`
const SKIPPED = /YN0004: [│|]? *(.+?) lists build scripts, but all build scripts have been disabled/;

/**
 * The packages (`name@version`) whose build scripts Yarn skipped because scripts are off.
 *
 * @example
 * yarnSkippedBuilds("➤ YN0004: │ better-sqlite3@npm:11.7.0 lists build scripts, but all build scripts have been disabled.")
 * // ["better-sqlite3@11.7.0"]
 */
export function yarnSkippedBuilds(output: string): string[] {
  const found: string[] = [];
  for (const l of output.replace(/\u001b\[[0-9;]*m/g, "").split(/\r?\n/)) {
    const m = SKIPPED.exec(l);
    if (!m) continue;
    const pkg = m[1]!
      .replace(/::.*$/, "")
      .replace(/#.*$/, "")
      .replace(/@npm:(?=[^@]*$)/, "@");
    if (!found.includes(pkg)) found.push(pkg);
  }
  return found;
}

/**
 * The warning line and its fix for the packages {@link yarnSkippedBuilds} found; `where` names
 * package.json.
 *
 * @example
 * yarnSkippedBuildsWarning(["better-sqlite3@11.7.0"], "package.json").line
 * // "Yarn skipped the build scripts of 1 dependency, as its enableScripts is off: better-sqlite3@11.7.0"
 */
export function yarnSkippedBuildsWarning(packages: string[], where: string): { line: string; hint: string } {
  const count = `${packages.length} ${packages.length === 1 ? "dependency" : "dependencies"}`;
  const meta = Object.fromEntries(packages.map((p) => [p.replace(/(?<=.)@[^@]*$/, ""), { built: true }]));
  return {
    line: `Yarn skipped the build scripts of ${count}, as its enableScripts is off: ${packages.join(", ")}`,
    hint: `If the app needs them, add "dependenciesMeta": ${JSON.stringify(meta)} to ${where}, run "yarn install" and commit it and yarn.lock (or set enableScripts: true in .yarnrc.yml)`,
  };
}

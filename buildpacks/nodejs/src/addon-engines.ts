/**
 * The Node.js line chosen for the native addons a lock holds.
 *
 * An app that leaves its line open (`engines.node ">=18"`, or nothing at all) gets the newest
 * line the inventory has, as on Heroku and Paketo. A native addon does not follow: its C++ is
 * written against V8's API of the lines it supports, and its prebuilt binaries are made for
 * those lines only (better-sqlite3 12 declares `"20.x || 22.x || 23.x || 24.x || 25.x"` and
 * fails to compile against 26). The lock already says which lines each such package supports:
 * package-lock v2/v3 and pnpm-lock carry every package's `engines`, and mark the packages
 * with install scripts (npm's `hasInstallScript`; pnpm's `requiresBuild`, or the app's
 * `pnpm.onlyBuiltDependencies`). Choosing the newest line that the app's range and every such
 * package allow is what the app's author would pick by hand.
 *
 * Pure: the lock's packages and the inventory's versions are passed in.
 */
import semver from "semver";
import type { NodeVersionRequest } from "./node-version.js";
import type { YamlValue } from "./yaml-file.js";

/** A locked package with an install script (a native addon, mostly) and its declared `engines.node`. */
export interface AddonEngines {
  name: string;
  version?: string | undefined;
  /** `engines.node` as the package declares it, e.g. `20.x || 22.x || 24.x`. */
  node: string;
}

/** `name@version`, as npm prints a package. */
export function addonLabel(a: Pick<AddonEngines, "name" | "version">): string {
  return a.version ? `${a.name}@${a.version}` : a.name;
}

/** A semver range that means something, or undefined (an unparsable `engines.node` constrains nothing). */
function validRange(range: string): string | undefined {
  return semver.validRange(range, { loose: true }) === null ? undefined : range;
}

/**
 * The packages of an npm lockfile (v2/v3 `packages` map) that run an install script and
 * declare `engines.node`.
 *
 * @example
 * npmLockAddons('{"packages":{"node_modules/better-sqlite3":{"version":"12.9.0","hasInstallScript":true,"engines":{"node":"20.x || 24.x"}}}}')
 * // [{ name: "better-sqlite3", version: "12.9.0", node: "20.x || 24.x" }]
 */
export function npmLockAddons(text: string): AddonEngines[] {
  let packages: unknown;
  try {
    packages = (JSON.parse(text) as { packages?: unknown }).packages;
  } catch {
    return []; // The install step names a broken lockfile in its own words.
  }
  if (typeof packages !== "object" || packages === null) return [];
  return Object.entries(packages as Record<string, Record<string, unknown>>).flatMap(([path, entry]) => {
    if (path === "" || entry?.hasInstallScript !== true) return [];
    const node = (entry.engines as Record<string, unknown> | undefined)?.node;
    if (typeof node !== "string" || !validRange(node)) return [];
    const at = path.lastIndexOf("node_modules/");
    // npm writes "name" only where the path does not say it (a file: dependency's folder).
    const name = typeof entry.name === "string" ? entry.name : at >= 0 ? path.slice(at + "node_modules/".length) : path;
    return [{ name, version: typeof entry.version === "string" ? entry.version : undefined, node }];
  });
}

/**
 * The packages of a pnpm lockfile (v6-v9 `packages` map, keys `name@version` or
 * `/name@version`) that pnpm builds (`requiresBuild: true`, or named in `builtNames`: the app's
 * `pnpm.onlyBuiltDependencies`, since pnpm 9's lock no longer writes requiresBuild) and
 * declare `engines.node`.
 */
export function pnpmLockAddons(doc: { [key: string]: YamlValue }, builtNames: readonly string[]): AddonEngines[] {
  const packages = doc.packages;
  if (typeof packages !== "object" || packages === null || Array.isArray(packages)) return [];
  const built = new Set(builtNames);
  return Object.entries(packages).flatMap(([key, entry]) => {
    if (typeof entry !== "object" || Array.isArray(entry)) return [];
    const m = /^\/?((?:@[^/]+\/)?[^@/]+)@([^(]+)/.exec(key);
    if (!m) return [];
    const [, name = "", version] = m;
    if (entry.requiresBuild !== "true" && !built.has(name)) return [];
    const engines = entry.engines;
    const node = typeof engines === "object" && !Array.isArray(engines) ? engines.node : undefined;
    if (typeof node !== "string" || !validRange(node)) return [];
    return [{ name, version, node }];
  });
}

/**
 * Whether the app left its line open, so the lock's addons may choose within it: engines.node
 * as a range (not one exact version), or no request at all. BP_NODE_VERSION, .nvmrc and
 * .node-version are pins the user wrote for this purpose, and win as they are.
 *
 * @example
 * leavesLineOpen({ source: "package.json engines.node", range: ">=20", raw: ">=20" }); // true
 * leavesLineOpen({ source: ".nvmrc", range: "26", raw: "26" }); // false
 */
export function leavesLineOpen(request: Pick<NodeVersionRequest, "source" | "range">): boolean {
  if (request.source === "default") return true;
  return request.source === "package.json engines.node" && semver.valid(request.range, { loose: true }) === null;
}

/** What {@link chooseForAddons} decided. */
export interface AddonChoice {
  /** The version to install; undefined when no version fits the range and every addon. */
  version: string | undefined;
  /** The newest version the range alone allows (what the app would have got). */
  newest: string;
  /** The addons whose engines.node rule out {@link newest}. */
  narrowedBy: AddonEngines[];
}

/**
 * The newest of `available` that `range` and every addon's `engines.node` allow, when the
 * newest in `range` (or `preferred`, the default line's choice) is one an addon rules out;
 * undefined when nothing needs narrowing (no addons, or all allow that newest, or the range
 * matches nothing: the caller's own error says so).
 *
 * @example
 * chooseForAddons(["22.23.3", "24.21.0", "26.10.0"], ">=20", [{ name: "better-sqlite3", version: "12.9.0", node: "20.x || 22.x || 23.x || 24.x || 25.x" }])
 * // { version: "24.21.0", newest: "26.10.0", narrowedBy: [better-sqlite3] }
 */
export function chooseForAddons(
  available: readonly string[],
  range: string,
  addons: readonly AddonEngines[],
  preferred?: string,
): AddonChoice | undefined {
  const allows = (r: string, v: string) => semver.satisfies(v, r, { loose: true });
  const inRange = available.filter((v) => semver.valid(v) && allows(range, v)).sort(semver.rcompare);
  const newest = preferred ?? inRange[0];
  if (newest === undefined || addons.length === 0) return undefined;
  const narrowedBy = addons.filter((a) => !allows(a.node, newest));
  if (narrowedBy.length === 0) return undefined;
  const version = inRange.find((v) => addons.every((a) => allows(a.node, v)));
  return { version, newest, narrowedBy };
}

/**
 * The build log's line for a choice: which packages narrowed it, and to what. `request` names
 * what the app asked for; `why` says why the newer line was open to it.
 *
 * @example
 * describeAddonChoice(choice, 'engines.node ">=20"', 'engines.node ">=20" allows both')
 * // 'Node.js 24.21.0, not 26.10.0: the lock\'s better-sqlite3@12.9.0 declares engines.node "20.x || 22.x || 23.x || 24.x || 25.x" (engines.node ">=20" allows both)'
 */
export function describeAddonChoice(choice: AddonChoice, request: string, why: string): string {
  const who = choice.narrowedBy.map((a) => `${addonLabel(a)} declares engines.node "${a.node}"`).join(", ");
  if (choice.version === undefined) {
    return `No Node.js in the inventory satisfies ${request} and the lock's native addons (${who}): using ${choice.newest}, on which they may not build`;
  }
  return `Node.js ${choice.version}, not ${choice.newest}: the lock's ${who} (${why})`;
}

/**
 * For a lock that carries no engines (yarn berry's): the one-line failure when installed
 * addons declare an `engines.node` that rules out `runtime` while the app's open request
 * allows a line they all accept; undefined when they accept `runtime` or no line fits.
 * The build could not choose by them before installing, so it says what it would have chosen.
 *
 * @example
 * enginesAfterInstall({ versions: ["24.21.0", "26.10.0"], range: ">=20", asked: 'engines.node ">=20"' }, "26.10.0", [better-sqlite3 12.9.0], "yarn.lock")
 * // { line: 'better-sqlite3@12.9.0 declares engines.node "20.x || … 25.x", which Node.js 26.10.0 is not: yarn.lock carries no engines to choose by; with them this build would have chosen Node.js 24.21.0', hint: 'Set engines.node to "24.x" in package.json, or build with BP_NODE_VERSION=24' }
 */
export function enginesAfterInstall(
  open: { versions: readonly string[]; range: string; asked: string },
  runtime: string,
  addons: readonly AddonEngines[],
  lockfile: string,
): { line: string; hint: string } | undefined {
  const choice = chooseForAddons(open.versions, open.range, addons, runtime);
  if (!choice?.version || choice.version === runtime) return undefined;
  const who = choice.narrowedBy.map((a) => `${addonLabel(a)} declares engines.node "${a.node}"`).join(", ");
  const major = semver.major(choice.version);
  return {
    line: `${who}, which Node.js ${runtime} is not: ${lockfile} carries no engines to choose by; with them this build would have chosen Node.js ${choice.version}`,
    hint: `Set engines.node to "${major}.x" in package.json (${open.asked} allows it), or build with BP_NODE_VERSION=${major}`,
  };
}

// `➤ YN0007: │ better-sqlite3@npm:12.9.0 must be built because it never has been before or the last one failed`
// `➤ YN0009: │ better-sqlite3@npm:12.9.0 couldn't be built successfully (exit code 1, …)`
const YARN_BUILT = /YN000[79]: [│|]? *((?:@[^@/\s]+\/)?[^@\s]+)@npm:([^\s:#]+).*(?:must be built|couldn't be built)/;

/**
 * The packages (name, version) Yarn 2+ built or tried to build in an install's output: the
 * native addons of a lock that names none as such.
 *
 * @example
 * yarnBuiltPackages("➤ YN0007: │ better-sqlite3@npm:12.9.0 must be built because it never has been before or the last one failed")
 * // [{ name: "better-sqlite3", version: "12.9.0" }]
 */
export function yarnBuiltPackages(output: string): { name: string; version: string }[] {
  const found = new Map<string, { name: string; version: string }>();
  for (const l of output.replace(/\u001b\[[0-9;]*m/g, "").split(/\r?\n/)) {
    const m = YARN_BUILT.exec(l);
    if (m) found.set(`${m[1]}@${m[2]}`, { name: m[1] as string, version: m[2] as string });
  }
  return [...found.values()];
}

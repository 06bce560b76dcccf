/**
 * Where node-gyp finds Node's C headers, as environment variables. node-gyp reads
 * `npm_config_<key>` and, since the node-gyp that npm 11 bundles, the
 * `npm_package_config_node_gyp_<key>` form that npm does not read. npm 11 warns about every
 * `npm_config_*` variable it does not know ("Unknown env config "tarball""), so when npm 11+
 * runs the install only the second form is set; older npms carry an older node-gyp that reads
 * only the first. Yarn and pnpm get both: they do not warn, and the node-gyp they run may be
 * the app's own (sqlite3 5 and bcrypt 5 install node-gyp 8 beside them, which yarn 1 runs),
 * one that reads only `npm_config_*` and otherwise downloads headers from nodejs.org. The
 * same holds under npm 11+ when the lockfile carries such a node-gyp (sqlite3 5.1.7's install
 * script runs `node-gyp rebuild`, and npm puts the app's node-gyp 8 first on PATH): then both
 * forms are set, and npm's "Unknown env config" warning is the lesser harm.
 */
import semver from "semver";

/** The first node-gyp that reads `npm_package_config_node_gyp_*` (11.3.0 does not). */
export const FIRST_NODE_GYP_READING_PACKAGE_CONFIG = "11.4.0";

/** Whether a node-gyp `version` reads only `npm_config_*` (an unreadable version counts as new). */
function readsOnlyNpmConfig(version: string): boolean {
  const v = semver.coerce(version);
  return v !== null && semver.lt(v, FIRST_NODE_GYP_READING_PACKAGE_CONFIG);
}

/** Header locations: a Node home with include/, or a tarball plus an unpack dir. */
export interface HeaderLocations {
  nodedir?: string;
  tarball?: string;
  devdir?: string;
}

/**
 * The variables for `headers`, given the npm that runs the install (undefined when yarn or
 * pnpm does) and the versions of node-gyp the app's lockfile carries.
 *
 * @example
 * nodeGypEnv({ tarball: "/l/node.tar.gz" }, "11.6.0") // { npm_package_config_node_gyp_tarball: "/l/node.tar.gz" }
 */
export function nodeGypEnv(
  headers: HeaderLocations,
  npmVersion: string | undefined,
  lockedNodeGyps: readonly string[] = [],
): Record<string, string> {
  const npm11 = (semver.coerce(npmVersion ?? "")?.major ?? 0) >= 11 && !lockedNodeGyps.some(readsOnlyNpmConfig);
  const env: Record<string, string> = {};
  for (const key of ["nodedir", "tarball", "devdir"] as const) {
    const value = headers[key];
    if (value === undefined) continue;
    env[`npm_package_config_node_gyp_${key}`] = value;
    if (!npm11) env[`npm_config_${key}`] = value;
  }
  return env;
}

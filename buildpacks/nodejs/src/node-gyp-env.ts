/**
 * Where node-gyp finds Node's C headers, as environment variables. node-gyp reads
 * `npm_config_<key>` and, since the node-gyp that npm 11 bundles, the
 * `npm_package_config_node_gyp_<key>` form that npm does not read. npm 11 warns about every
 * `npm_config_*` variable it does not know ("Unknown env config "tarball""), so when npm 11+
 * runs the install only the second form is set; older npms carry an older node-gyp that reads
 * only the first. Yarn and pnpm get both: they do not warn, and the node-gyp they run may be
 * the app's own (sqlite3 5 and bcrypt 5 install node-gyp 8 beside them, which yarn 1 runs),
 * one that reads only `npm_config_*` and otherwise downloads headers from nodejs.org.
 */
import semver from "semver";

/** Header locations: a Node home with include/, or a tarball plus an unpack dir. */
export interface HeaderLocations {
  nodedir?: string;
  tarball?: string;
  devdir?: string;
}

/**
 * The variables for `headers`, given the npm that runs the install (undefined when yarn or
 * pnpm does).
 *
 * @example
 * nodeGypEnv({ tarball: "/l/node.tar.gz" }, "11.6.0") // { npm_package_config_node_gyp_tarball: "/l/node.tar.gz" }
 */
export function nodeGypEnv(headers: HeaderLocations, npmVersion: string | undefined): Record<string, string> {
  const npm11 = (semver.coerce(npmVersion ?? "")?.major ?? 0) >= 11;
  const env: Record<string, string> = {};
  for (const key of ["nodedir", "tarball", "devdir"] as const) {
    const value = headers[key];
    if (value === undefined) continue;
    env[`npm_package_config_node_gyp_${key}`] = value;
    if (!npm11) env[`npm_config_${key}`] = value;
  }
  return env;
}

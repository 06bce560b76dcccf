/**
 * Where node-gyp finds Node's C headers, as environment variables. node-gyp reads
 * `npm_config_<key>` and, since the node-gyp that npm 11 bundles, the
 * `npm_package_config_node_gyp_<key>` form that npm does not read. npm 11 warns about every
 * `npm_config_*` variable it does not know ("Unknown env config "tarball""), so with npm 11+
 * only the second form is set; older npms carry an older node-gyp that reads only the first.
 */
import semver from "semver";

/** Header locations: a Node home with include/, or a tarball plus an unpack dir. */
export interface HeaderLocations {
  nodedir?: string;
  tarball?: string;
  devdir?: string;
}

/**
 * The variables for `headers`, given the npm in use.
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

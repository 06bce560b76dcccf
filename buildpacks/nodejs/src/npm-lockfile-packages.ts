/**
 * The packages an npm lockfile lists (lockfileVersion 2 and 3's `packages` map), each with
 * its path from the install root, its name and the names npm prints it by. Read by the checks
 * that run after an install: unbuilt native addons, and the node-gyp an install script runs.
 */
import { readFile } from "node:fs/promises";
import { basename, join } from "node:path";

/** A package of an npm lockfile: its path from the install root, name, version, and the names npm may print it by. */
export interface LockedPackage {
  path: string;
  name: string;
  version?: string;
  printedAs: string[];
}

/**
 * Each package of the npm lockfile at `installDir` (package-lock.json, npm-shrinkwrap.json,
 * else the hidden node_modules/.package-lock.json an install leaves); [] when there is none.
 */
export async function lockfilePackages(installDir: string): Promise<LockedPackage[]> {
  for (const file of ["package-lock.json", "npm-shrinkwrap.json", join("node_modules", ".package-lock.json")]) {
    const text = await readFile(join(installDir, file), "utf8").catch(() => undefined);
    if (text === undefined) continue;
    const packages: unknown = (JSON.parse(text) as { packages?: unknown }).packages;
    if (typeof packages !== "object" || packages === null) continue;
    return Object.entries(packages as Record<string, Record<string, unknown>>).flatMap(([path, entry]) => {
      // A link ("node_modules/x": { link: true, resolved: "x" }) has its target as an entry of its own.
      if (path === "" || entry.link === true) return [];
      // npm writes "name" only where the path does not say it (a file: dependency's folder).
      const at = path.lastIndexOf("node_modules/");
      const name =
        typeof entry.name === "string"
          ? entry.name
          : at >= 0
            ? path.slice(at + "node_modules/".length)
            : basename(path);
      const printedAs = at >= 0 ? [name] : [name, basename(path)];
      return [{ path, name, printedAs, ...(typeof entry.version === "string" ? { version: entry.version } : {}) }];
    });
  }
  return [];
}

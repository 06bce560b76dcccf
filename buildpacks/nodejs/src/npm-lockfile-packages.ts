/**
 * The packages an npm lockfile lists (lockfileVersion 2 and 3's `packages` map), each with
 * its path from the install root, its name and the names npm prints it by. Read by the checks
 * that run after an install: unbuilt native addons, and the node-gyp an install script runs.
 */
import { readFile, stat } from "node:fs/promises";
import { basename, join } from "node:path";

/** A package of an npm lockfile: its path from the install root, name, version, and the names npm may print it by. */
export interface LockedPackage {
  path: string;
  name: string;
  version?: string;
  printedAs: string[];
}

/** The last read of each lockfile, by path, kept while its size and mtime stay the same. */
const lastRead = new Map<string, { stamp: string; packages: LockedPackage[] }>();

/**
 * Each package of the npm lockfile at `installDir` (package-lock.json, npm-shrinkwrap.json,
 * else the hidden node_modules/.package-lock.json an install leaves); [] when there is none.
 * A build asks up to three times (node-gyp's env before and after the install, then the
 * unbuilt-addon check): an unchanged file is parsed once, a file the install wrote is read anew.
 */
export async function lockfilePackages(installDir: string): Promise<LockedPackage[]> {
  for (const file of ["package-lock.json", "npm-shrinkwrap.json", join("node_modules", ".package-lock.json")]) {
    const path = join(installDir, file);
    const info = await stat(path).catch(() => undefined);
    if (!info?.isFile()) continue;
    const stamp = `${info.size}:${info.mtimeMs}`;
    const cached = lastRead.get(path);
    if (cached?.stamp === stamp) return cached.packages;
    const packages = parsePackages(await readFile(path, "utf8"));
    if (packages === undefined) continue;
    lastRead.set(path, { stamp, packages });
    return packages;
  }
  return [];
}

/** The `packages` map of a lockfile's text as {@link LockedPackage}s; undefined when it has none. */
function parsePackages(text: string): LockedPackage[] | undefined {
  const packages: unknown = (JSON.parse(text) as { packages?: unknown }).packages;
  if (typeof packages !== "object" || packages === null) return undefined;
  return Object.entries(packages as Record<string, Record<string, unknown>>).flatMap(([path, entry]) => {
    // A link ("node_modules/x": { link: true, resolved: "x" }) has its target as an entry of its own.
    if (path === "" || entry.link === true) return [];
    // npm writes "name" only where the path does not say it (a file: dependency's folder).
    const at = path.lastIndexOf("node_modules/");
    const name =
      typeof entry.name === "string" ? entry.name : at >= 0 ? path.slice(at + "node_modules/".length) : basename(path);
    const printedAs = at >= 0 ? [name] : [name, basename(path)];
    return [{ path, name, printedAs, ...(typeof entry.version === "string" ? { version: entry.version } : {}) }];
  });
}

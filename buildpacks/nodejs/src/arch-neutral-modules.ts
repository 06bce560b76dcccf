/**
 * Whether an installed node_modules may be shared with the other platforms of a
 * multi-platform build (`ctx.multiPlatform.cached`'s `archNeutral` layers), from the lockfile
 * and package.json alone, before the install. It may when nothing in it can depend on the CPU:
 * - npm's lockfile (v2 or v3) is the only one that says, per package, what the install will
 *   run or pick per platform; with yarn, pnpm or no lockfile the tree is built on each platform;
 * - no package has an install script (`hasInstallScript`: node-gyp addons, prebuilt-binary
 *   downloaders such as sharp's or esbuild's postinstall), nor does the app's own package.json;
 * - no package is for one CPU or OS (`cpu`, `os`: esbuild's, swc's and rollup's per-platform
 *   optional packages, which npm installs only on the matching machine).
 * The framework adds its own guard: a layer with an ELF file in it is never shared.
 */

/** The app's scripts npm runs during an install. */
const INSTALL_SCRIPTS = ["preinstall", "install", "postinstall", "prepare"];

/**
 * `true`, or `{ not: reason }`: the value of the modules layer's `archNeutral`.
 *
 * @example
 * modulesArchNeutrality("npm", "package-lock.json", lock, pkg); // true for a lock of pure-JS packages
 */
export function modulesArchNeutrality(
  manager: string,
  lockfile: string | undefined,
  lockText: string | undefined,
  pkg: Record<string, unknown>,
): true | { not: string } {
  const not = (why: string) => ({ not: `node_modules may depend on the CPU: ${why}` });
  if (manager !== "npm" || lockText === undefined || !lockfile) {
    return not(
      `${manager}${lockfile ? `'s ${lockfile}` : " without a lockfile"} does not say which packages run install scripts`,
    );
  }
  const scripts = (pkg.scripts ?? {}) as Record<string, unknown>;
  const own = INSTALL_SCRIPTS.find((s) => typeof scripts[s] === "string");
  if (own) return not(`package.json has a ${own} script`);
  let lock: { lockfileVersion?: unknown; packages?: unknown };
  try {
    lock = JSON.parse(lockText) as typeof lock;
  } catch {
    return not(`${lockfile} is not JSON`);
  }
  if (typeof lock.lockfileVersion !== "number" || lock.lockfileVersion < 2 || typeof lock.packages !== "object") {
    return not(`${lockfile} is lockfileVersion ${String(lock.lockfileVersion)} (2 or 3 lists install scripts)`);
  }
  for (const [path, entry] of Object.entries((lock.packages ?? {}) as Record<string, Record<string, unknown>>)) {
    if (path === "" || entry.link === true) continue;
    const name = path.slice(path.lastIndexOf("node_modules/") + "node_modules/".length) || path;
    if (entry.hasInstallScript === true) return not(`${name} has an install script`);
    if (entry.cpu !== undefined || entry.os !== undefined) {
      return not(
        `${name} is for one ${entry.cpu !== undefined ? "CPU" : "OS"} (${JSON.stringify(entry.cpu ?? entry.os)})`,
      );
    }
  }
  return true;
}

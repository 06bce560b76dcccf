/**
 * Moving an installed `node_modules` into a layer and linking it back into the app.
 *
 * Package managers replace a symlinked `node_modules` with a real directory, so installs run
 * on a real `<app>/node_modules`, which is then moved (renamed, or copied across devices)
 * into the layer and replaced by a symlink. Relative symlinks inside it that point outside
 * `node_modules` (npm workspace links such as `node_modules/web -> ../packages/web`) would
 * break after the move, so they are rewritten as absolute paths into the app directory,
 * which is at the same path at build and launch (/workspace).
 */
import { cp, lstat, mkdir, readdir, readlink, rename, rm, symlink } from "node:fs/promises";
import { dirname, isAbsolute, join, relative, resolve, sep } from "node:path";

/** Points `link` (`<app>/node_modules`) at `target`, replacing whatever is there. */
export async function linkNodeModules(link: string, target: string): Promise<void> {
  await rm(link, { recursive: true, force: true });
  await symlink(target, link);
}

/**
 * Prepares `<app>/node_modules` as a real directory for an install: empty, or a copy of
 * `seed` (an installed tree to prune).
 */
export async function prepareNodeModules(link: string, seed?: string): Promise<void> {
  await rm(link, { recursive: true, force: true });
  if (seed) await cp(seed, link, { recursive: true, verbatimSymlinks: true });
  else await mkdir(link, { recursive: true });
}

/**
 * Moves `<app>/node_modules` (`from`) to `to` (inside a layer), fixing symlinks that leave it,
 * then links `from` → `to`. Returns how many links were rewritten.
 */
export async function moveNodeModules(from: string, to: string): Promise<number> {
  let fixed = 0;
  const root = resolve(from);
  const walk = async (dir: string): Promise<void> => {
    let entries: import("node:fs").Dirent[];
    try {
      entries = await readdir(dir, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries) {
      const p = join(dir, e.name);
      if (e.isSymbolicLink()) {
        const target = await readlink(p);
        if (isAbsolute(target)) continue;
        const abs = resolve(dirname(p), target);
        if (abs !== root && !abs.startsWith(root + sep)) {
          await rm(p);
          await symlink(abs, p);
          fixed++;
        }
      } else if (e.isDirectory()) {
        await walk(p);
      }
    }
  };
  await walk(root);
  await rm(to, { recursive: true, force: true });
  await mkdir(dirname(to), { recursive: true });
  try {
    await rename(from, to);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "EXDEV") throw err;
    await cp(from, to, { recursive: true, verbatimSymlinks: true });
    await rm(from, { recursive: true, force: true });
  }
  await linkNodeModules(from, to);
  return fixed;
}

/** True when `path` is a real directory (not a symlink). */
export async function isRealDir(path: string): Promise<boolean> {
  try {
    const st = await lstat(path);
    return st.isDirectory();
  } catch {
    return false;
  }
}

/** `to` relative to `from`, for logs. */
export function rel(from: string, to: string): string {
  return relative(from, to) || ".";
}

/**
 * Moving an installed `node_modules` into a layer and linking it back into the app.
 *
 * Package managers replace a symlinked `node_modules` with a real directory, so installs run
 * on a real `<app>/node_modules`, which is then moved (renamed, or copied across devices)
 * into the layer and replaced by a symlink. Relative symlinks inside it that point outside
 * `node_modules` (npm workspace links such as `node_modules/web -> ../packages/web`) would
 * break after the move, so they are rewritten as absolute paths into the app directory,
 * which is at the same path at build and launch (/workspace).
 *
 * In a workspace, package managers may also give each member its own `node_modules` (pnpm
 * always does: `packages/web/node_modules/@demo/greet`). Those go into the same layer under
 * `workspaces/<member>/node_modules` and are linked back the same way, so a rebuild that
 * reuses the layer (the app source then has none of them) still runs ({@link ModulesTree}).
 */
import { existsSync } from "node:fs";
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

/** The node_modules directories one install makes: the install root's and its workspace members'. */
export interface ModulesTree {
  /** The install root (absolute). */
  root: string;
  /** Workspace member directories, relative to `root` (posix). */
  members: readonly string[];
}

/** Where member `member`'s node_modules is kept inside a modules layer. */
export function memberModulesDir(layerPath: string, member: string): string {
  return join(layerPath, "workspaces", ...member.split("/"), "node_modules");
}

/**
 * Prepares a whole tree for an install: the root as {@link prepareNodeModules} does, and each
 * member's node_modules removed, or copied from `seedLayer` (a modules layer to prune) when
 * that layer has one for it.
 */
export async function prepareTree(tree: ModulesTree, seedLayer?: string): Promise<void> {
  await prepareNodeModules(join(tree.root, "node_modules"), seedLayer && join(seedLayer, "node_modules"));
  for (const m of tree.members) {
    const dir = join(tree.root, m, "node_modules");
    await rm(dir, { recursive: true, force: true });
    const seed = seedLayer && memberModulesDir(seedLayer, m);
    if (seed && existsSync(seed)) await cp(seed, dir, { recursive: true, verbatimSymlinks: true });
  }
}

/**
 * Moves a freshly installed tree into `layerPath` ({@link moveNodeModules} for the root and
 * for each member that got a node_modules) and links it back. Returns the members moved:
 * keep them in the layer's metadata, since a layer reused from the previous image has no
 * files at build time to find them by.
 */
export async function moveTree(tree: ModulesTree, layerPath: string): Promise<string[]> {
  await rm(join(layerPath, "workspaces"), { recursive: true, force: true });
  await moveNodeModules(join(tree.root, "node_modules"), join(layerPath, "node_modules"));
  const moved: string[] = [];
  for (const m of tree.members) {
    const dir = join(tree.root, m, "node_modules");
    if (!(await isRealDir(dir))) continue;
    await moveNodeModules(dir, memberModulesDir(layerPath, m));
    moved.push(m);
  }
  return moved;
}

/**
 * Links the root, and the members in `kept` (what {@link moveTree} returned for this layer),
 * to their directories in `layerPath`. The other members get no node_modules, so no link is
 * left pointing into another layer.
 */
export async function linkTree(tree: ModulesTree, layerPath: string, kept: readonly string[]): Promise<void> {
  await linkNodeModules(join(tree.root, "node_modules"), join(layerPath, "node_modules"));
  for (const m of tree.members) {
    const dir = join(tree.root, m, "node_modules");
    if (kept.includes(m)) await linkNodeModules(dir, memberModulesDir(layerPath, m));
    else await rm(dir, { recursive: true, force: true });
  }
}

/**
 * Keeps named devDependencies through the prune: what the app loads at start (Next.js's
 * `typescript` for next.config.ts, a start script's bin such as `nest`) is copied aside with
 * the packages it depends on, and whatever the prune removed of them is put back, with the
 * bins they link in node_modules/.bin. Only for a hoisted node_modules (npm, Yarn): pnpm's
 * packages live in its store behind symlinks, so there the build keeps every dev dependency.
 */
import { existsSync } from "node:fs";
import { cp, lstat, mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { binNames } from "../start-tools.js";

/** Reads a package's manifest, undefined when it has none. */
async function manifest(dir: string): Promise<Record<string, unknown> | undefined> {
  try {
    return JSON.parse(await readFile(join(dir, "package.json"), "utf8")) as Record<string, unknown>;
  } catch {
    return undefined;
  }
}

/**
 * `names` and what they need at the top of `nodeModules`, as installed (a dependency nested in
 * a package's own node_modules comes with that package's directory).
 */
async function closure(nodeModules: string, names: readonly string[]): Promise<string[]> {
  const seen = new Set<string>();
  const queue = [...names];
  while (queue.length > 0) {
    const name = queue.shift() as string;
    if (seen.has(name)) continue;
    const pkg = await manifest(join(nodeModules, name));
    if (!pkg) continue;
    seen.add(name);
    for (const field of ["dependencies", "optionalDependencies"]) {
      const deps = pkg[field];
      if (typeof deps === "object" && deps !== null) queue.push(...Object.keys(deps));
    }
  }
  return [...seen];
}

/**
 * Runs `prune` on `nodeModules` and puts back what it removed of `names` and their
 * dependencies; returns the packages put back.
 */
export async function pruneKeeping(
  nodeModules: string,
  names: readonly string[],
  prune: () => Promise<unknown>,
): Promise<string[]> {
  if (names.length === 0) {
    await prune();
    return [];
  }
  const kept = await closure(nodeModules, names);
  const aside = await mkdtemp(join(tmpdir(), "cnbkit-keep-"));
  try {
    const bins: string[] = [];
    for (const name of kept) {
      await cp(join(nodeModules, name), join(aside, name), { recursive: true, verbatimSymlinks: true });
      for (const bin of binNames((await manifest(join(nodeModules, name))) ?? {})) {
        const link = join(nodeModules, ".bin", bin);
        if (!(await lstat(link).catch(() => undefined))) continue;
        await cp(link, join(aside, ".bin", bin), { verbatimSymlinks: true });
        bins.push(bin);
      }
    }
    await prune();
    const restored: string[] = [];
    for (const name of kept) {
      if (existsSync(join(nodeModules, name, "package.json"))) continue;
      await cp(join(aside, name), join(nodeModules, name), { recursive: true, verbatimSymlinks: true });
      restored.push(name);
    }
    for (const bin of bins) {
      const link = join(nodeModules, ".bin", bin);
      if (await lstat(link).catch(() => undefined)) continue;
      await cp(join(aside, ".bin", bin), link, { verbatimSymlinks: true });
    }
    return restored;
  } finally {
    await rm(aside, { recursive: true, force: true });
  }
}

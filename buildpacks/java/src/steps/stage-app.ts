/**
 * Step: the app dir becomes what runs, for the runnables that are not exploded (see
 * runnable.ts): the kept paths (Quarkus' quarkus-app/, a thin jar and its libs/, a WAR,
 * target/classes and target/dependency) at the same app-relative paths, and nothing else,
 * so the image carries what runs and not the sources, as for an exploded jar.
 */
import { cp, readdir, rename, rm } from "node:fs/promises";
import { dirname, join } from "node:path";
import { mkdir } from "node:fs/promises";
import type { KeptRunnable } from "../runnable.js";
import type { StepContext } from "./step-context.js";

/** The app-relative paths a non-exploded runnable needs. */
export function keptPaths(r: KeptRunnable): string[] {
  if (r.kind === "jar") return r.keep.includes(r.jar) ? [...r.keep] : [r.jar, ...r.keep];
  if (r.kind === "war") return [r.war];
  return r.dependencies ? [r.classes, r.dependencies] : [r.classes];
}

/**
 * Leaves only the kept paths of `r` in the app dir, copied from `root` (a build layer that
 * holds them at the same relative paths) or, when `root` is the app dir, moved aside first.
 */
export async function stageApp(ctx: StepContext<"app" | "log">, r: KeptRunnable, root: string): Promise<void> {
  const appDir = ctx.app.path;
  const keep = keptPaths(r);
  const aside = join(appDir, ".cnbkit-kept");
  let from = root;
  if (root === appDir) {
    await rm(aside, { recursive: true, force: true });
    for (const p of keep) {
      await mkdir(dirname(join(aside, p)), { recursive: true });
      await rename(join(appDir, p), join(aside, p));
    }
    from = aside;
  }
  for (const name of await readdir(appDir)) {
    if (join(appDir, name) !== aside) await rm(join(appDir, name), { recursive: true, force: true });
  }
  for (const p of keep) {
    await mkdir(dirname(join(appDir, p)), { recursive: true });
    if (from === aside) await rename(join(from, p), join(appDir, p));
    else await cp(join(from, p), join(appDir, p), { recursive: true, preserveTimestamps: true });
  }
  await rm(aside, { recursive: true, force: true });
  ctx.log.detail(`Kept ${keep.join(", ")}; the rest of the app directory is removed`);
}

/** Copies the kept paths of `r` from `appDir` into `dest` (a cache layer) at the same relative paths. */
export async function saveKept(appDir: string, r: KeptRunnable, dest: string): Promise<void> {
  for (const p of keptPaths(r)) {
    await mkdir(dirname(join(dest, p)), { recursive: true });
    await cp(join(appDir, p), join(dest, p), { recursive: true, preserveTimestamps: true });
  }
}

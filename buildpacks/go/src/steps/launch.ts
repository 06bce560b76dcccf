/**
 * Step: what the image runs, and what it no longer needs. Each binary is a process of its own
 * name, the first also `web` (the default); a Procfile later in the group replaces them. Each
 * binary is linked at `bin/<name>` in the app dir unless the app has a file there, so a
 * Procfile written for Heroku's Go buildpack (`web: bin/<name>`) runs as it is. The Go sources
 * then leave the app dir (clear-source.ts says which, and BP_KEEP_FILES keeps some).
 */
import { existsSync } from "node:fs";
import { mkdir, readdir, rm, rmdir, symlink } from "node:fs/promises";
import { dirname, join } from "node:path";
import type { BuildResult, Settings, StepContext } from "@cnbkit/framework";
import { sourcesToRemove } from "../clear-source.js";
import type { Compiled } from "./compile.js";
import type { GoApp } from "./read-app.js";

/** The launch processes of the binaries: each by its name, the first also `web`. */
export function processes(binaries: Compiled["binaries"]): NonNullable<BuildResult["processes"]> {
  const [first] = binaries;
  if (!first) return [];
  const named = binaries.filter((b) => b.name !== "web").map((b) => ({ type: processType(b.name), command: [b.path] }));
  return [{ type: "web", command: [first.path], default: true }, ...named];
}

/** A binary name as a process type: the characters the spec allows, others as "-". */
function processType(name: string): string {
  return name.replace(/[^A-Za-z0-9_.-]/g, "-");
}

/** Links bin/<name> in the app dir to each binary, where the app has nothing of that name. */
export async function linkBinaries(ctx: StepContext<"app" | "log">, binaries: Compiled["binaries"]): Promise<void> {
  const linked: string[] = [];
  for (const b of binaries) {
    const at = join(ctx.app.path, "bin", b.name);
    if (existsSync(at)) continue;
    // An app whose `bin` is a file (not a dir) gets no links: its processes still run by path.
    const made = await mkdir(dirname(at), { recursive: true }).then(
      () => true,
      () => false,
    );
    if (!made) continue;
    await symlink(b.path, at);
    linked.push(`bin/${b.name}`);
  }
  if (linked.length > 0) ctx.log.detail(`Linked ${linked.join(", ")} in the app dir (for Procfiles that name them)`);
}

/** Removes the Go sources from the app dir, keeping what BP_KEEP_FILES names; returns how many went. */
export async function clearSources(ctx: StepContext<"log">, app: GoApp, settings: Settings): Promise<number> {
  const remove = sourcesToRemove(app.files, settings.BP_KEEP_FILES);
  for (const path of remove) await rm(join(app.dir, path), { force: true });
  // The dirs those files leave empty go too, deepest first (vendor/ and package dirs).
  const dirs = [...new Set(remove.map((p) => dirname(p)).filter((d) => d !== "."))].sort((a, b) => b.length - a.length);
  for (const d of dirs) await removeEmptyUp(app.dir, d);
  if (remove.length > 0) {
    ctx.log.detail(
      `Removed ${remove.length} Go source and module files from the image${settings.BP_KEEP_FILES ? ` (kept: ${settings.BP_KEEP_FILES})` : " (BP_KEEP_FILES keeps some)"}`,
    );
  }
  return remove.length;
}

/** Removes `dir` and its parents while they are empty (never the app dir itself). */
async function removeEmptyUp(root: string, dir: string): Promise<void> {
  for (let d = dir; d !== "." && d !== ""; d = dirname(d)) {
    const full = join(root, d);
    const entries = await readdir(full).catch(() => undefined);
    if (entries === undefined || entries.length > 0) return;
    await rmdir(full);
  }
}

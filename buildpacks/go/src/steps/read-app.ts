/**
 * Step: read the app once. Its files (for the source digest that keys the binaries, and for
 * clearing the sources afterwards), go.mod and go.work, the modules a workspace uses, the dirs
 * whose package is main, and whether it is vendored. No go command runs here, so a rebuild
 * whose sources are unchanged decides everything without the toolchain.
 */
import { closeSync, openSync, readSync } from "node:fs";
import { readdir, readFile } from "node:fs/promises";
import { join, relative } from "node:path";
import type { StepContext } from "@cnbkit/framework";
import { treeDigest } from "@cnbkit/framework/fs";
import { type GoMod, type GoWork, parseGoMod, parseGoWork } from "../go-mod.js";
import { packageClause } from "../package-clause.js";

/** What the build knows of the app before any go command. */
export interface GoApp {
  dir: string;
  /** Every file and link (no dirs), app-relative, sorted ("/" separated; .git and node_modules left out: no Go input). */
  files: string[];
  /** The framework's treeDigest of the app (.git and node_modules left out): what the binaries are built from. */
  digest: string;
  mod?: GoMod;
  work?: GoWork;
  /** Module roots (app-relative dirs, "." for the root) and their module paths. */
  modules: Record<string, string>;
  /** Dirs whose .go files say `package main`. */
  mains: string[];
  /** vendor/modules.txt is there (a vendored app builds with -mod=vendor, offline). */
  vendored: boolean;
}

/** Never Go inputs, and large: left out of the digest and the file list at any depth. */
const IGNORED = [".git", "node_modules"];

/** Dirs no build compiles, at any depth: the go command skips testdata, and dot and underscore dirs. */
function skippedByGo(name: string): boolean {
  return name === "testdata" || name.startsWith(".") || name.startsWith("_");
}

/**
 * Reads the app. `workUse` is BP_GO_WORK_USE (colon-separated module dirs): a workspace of
 * those modules, as if the app had a go.work that uses them (the build writes one).
 */
export async function readApp(ctx: StepContext<"app">, workUse?: string): Promise<GoApp> {
  const dir = ctx.app.path;
  const files: string[] = [];
  const mainDirs = new Set<string>();
  for (const entry of await readdir(dir, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile() && !entry.isSymbolicLink()) continue;
    const path = relative(dir, join(entry.parentPath, entry.name)).split("\\").join("/");
    if (path.split("/").some((part) => IGNORED.includes(part))) continue;
    files.push(path);
    if (entry.isFile() && isPackageFile(path) && headPackage(join(dir, path)) === "main") {
      mainDirs.add(path.includes("/") ? path.slice(0, path.lastIndexOf("/")) : ".");
    }
  }
  files.sort();
  const digest = await treeDigest(dir, { ignore: IGNORED });
  const mod = files.includes("go.mod") ? parseGoMod(await readFile(join(dir, "go.mod"), "utf8")) : undefined;
  const use = (workUse ?? "")
    .split(":")
    .map((d) => d.trim())
    .filter((d) => d !== "");
  const written = files.includes("go.work") ? parseGoWork(await readFile(join(dir, "go.work"), "utf8")) : undefined;
  const work =
    use.length > 0
      ? {
          ...(written ?? {}),
          use: [...new Set([...(written?.use ?? []), ...parseGoWork(use.map((d) => `use ${d}`).join("\n")).use])],
        }
      : written;
  const modules: Record<string, string> = {};
  if (mod) modules["."] = mod.module;
  for (const use of work?.use ?? []) {
    const where = use === "." ? "go.mod" : `${use}/go.mod`;
    if (files.includes(where)) modules[use] = parseGoMod(await readFile(join(dir, where), "utf8"), where).module;
  }
  return {
    dir,
    files,
    digest,
    ...(mod ? { mod } : {}),
    ...(work ? { work } : {}),
    modules,
    mains: [...mainDirs].sort(),
    vendored: files.includes("vendor/modules.txt") && !work,
  };
}

/** A .go file a build of its dir compiles: not a test, not under vendor/ or a dir go skips. */
function isPackageFile(path: string): boolean {
  if (!path.endsWith(".go") || path.endsWith("_test.go")) return false;
  const parts = path.split("/");
  if (parts[0] === "vendor") return false;
  return !parts.slice(0, -1).some(skippedByGo);
}

/**
 * The package clause of a .go file, from its first 8 KiB (license headers come first). Read
 * synchronously: a build does nothing else meanwhile, and an app's hundreds of files cost a
 * third of the time they took as three promise round trips each (Caddy: 224 files).
 */
function headPackage(file: string): string | undefined {
  const fd = openSync(file, "r");
  try {
    const buf = Buffer.alloc(8192);
    const bytesRead = readSync(fd, buf, 0, buf.length, 0);
    return packageClause(buf.subarray(0, bytesRead).toString("utf8"));
  } finally {
    closeSync(fd);
  }
}

/**
 * Step: read the app once. Its files (for the source digest that keys the binaries, and for
 * clearing the sources afterwards), go.mod and go.work, the modules a workspace uses, the dirs
 * whose package is main, whether it is vendored, and the digest of what its package graph
 * depends on (each .go file's import head and the module files), which keys the cgo decision.
 * No go command runs here, so a rebuild whose sources are unchanged decides everything without
 * the toolchain.
 */
import { createHash } from "node:crypto";
import { readdir, readFile } from "node:fs/promises";
import { basename, join, relative } from "node:path";
import type { StepContext } from "@cnbkit/framework";
import { treeDigest } from "@cnbkit/framework/fs";
import { type GoMod, type GoWork, parseGoMod, parseGoWork } from "../go-mod.js";
import { importHead } from "../import-head.js";
import { packageClause } from "../package-clause.js";

/** What the build knows of the app before any go command. */
export interface GoApp {
  dir: string;
  /** Every file and link (no dirs), app-relative, sorted ("/" separated; .git and node_modules left out: no Go input). */
  files: string[];
  /** The framework's treeDigest of the app (.git and node_modules left out): what the binaries are built from. */
  digest: string;
  /**
   * A digest of what the app's package graph depends on in the app: the path and import head
   * (import-head.ts) of each .go file but tests, and the module files (go.mod, go.sum,
   * go.work, go.work.sum, vendor/modules.txt). An edit below a file's imports leaves it as it
   * was, so `go list`'s answer about the graph (which packages use cgo) can be reused.
   */
  graph: string;
  mod?: GoMod;
  work?: GoWork;
  /** Module roots (app-relative dirs, "." for the root) and their module paths. */
  modules: Record<string, string>;
  /** Dirs whose .go files say `package main`. */
  mains: string[];
  /** vendor/modules.txt is there (a vendored app builds with -mod=vendor, offline). */
  vendored: boolean;
}

/** Files that choose the modules the package graph comes from, by name, at any depth. */
const MODULE_FILES = new Set(["go.mod", "go.sum", "go.work", "go.work.sum", "modules.txt"]);

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
  const graphInputs: string[] = [];
  for (const entry of await readdir(dir, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile() && !entry.isSymbolicLink()) continue;
    const path = relative(dir, join(entry.parentPath, entry.name)).split("\\").join("/");
    if (path.split("/").some((part) => IGNORED.includes(part))) continue;
    files.push(path);
    const input = await graphInput(dir, path);
    if (input === undefined) continue;
    graphInputs.push(`${path}\0${input}`);
    if (entry.isFile() && isPackageFile(path) && packageClause(input) === "main") {
      mainDirs.add(path.includes("/") ? path.slice(0, path.lastIndexOf("/")) : ".");
    }
  }
  files.sort();
  const digest = await treeDigest(dir, { ignore: IGNORED });
  const graph = createHash("sha256");
  for (const input of graphInputs.sort()) graph.update(input).update("\0\0");
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
    graph: graph.digest("hex"),
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
 * What `path` adds to the graph digest: a .go file's import head (tests left out: no build
 * compiles them), a module file's text, nothing for other files. A link that leads nowhere
 * adds "" (the go command fails on it anyway).
 */
async function graphInput(dir: string, path: string): Promise<string | undefined> {
  const name = basename(path);
  const go = name.endsWith(".go") && !name.endsWith("_test.go");
  if (!go && !MODULE_FILES.has(name)) return undefined;
  const text = await readFile(join(dir, path), "utf8").catch(() => "");
  return go ? importHead(text) : text;
}

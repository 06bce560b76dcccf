/**
 * Step: read the app once. Its files (for the source digest that keys the binaries, and for
 * clearing the sources afterwards), go.mod and go.work, the modules a workspace uses, the dirs
 * whose package is main, and whether it is vendored. No go command runs here, so a rebuild
 * whose sources are unchanged decides everything without the toolchain.
 *
 * Each file is read once: the digest's read hands over the .go files (whose heads say which
 * dirs are main and, in app-graph.ts, what the package graph depends on) and the module files.
 */
import { readFileSync } from "node:fs";
import { readdir } from "node:fs/promises";
import { basename, join, relative } from "node:path";
import type { StepContext } from "@cnbkit/framework";
import { treeDigest } from "@cnbkit/framework/fs";
import { buildPackage, type GoHead, goHead } from "../go-head.js";
import { type GoMod, type GoWork, parseGoMod, parseGoWork } from "../go-mod.js";

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
  /** The head (go-head.ts) of each .go file but tests, by app-relative path (vendor/ and testdata too), in no set order. */
  heads: ReadonlyMap<string, GoHead>;
  /** The text of each module file (go.mod, go.sum, go.work, go.work.sum, modules.txt, at any depth), by app-relative path, in no set order. */
  moduleTexts: ReadonlyMap<string, string>;
}

/** Never Go inputs, and large: left out of the digest and the file list at any depth. */
const IGNORED = [".git", "node_modules"];

/** Files that choose the modules the package graph comes from, by name, at any depth: kept as text. */
const MODULE_FILES: ReadonlySet<string> = new Set(["go.mod", "go.sum", "go.work", "go.work.sum", "modules.txt"]);

/** A .go file whose head the build reads: any but a test. */
const isGoSource = (name: string) => name.endsWith(".go") && !name.endsWith("_test.go");

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
  const regular = new Set<string>();
  for (const entry of await readdir(dir, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile() && !entry.isSymbolicLink()) continue;
    const path = relative(dir, join(entry.parentPath, entry.name)).split("\\").join("/");
    if (path.split("/").some((part) => IGNORED.includes(part))) continue;
    files.push(path);
    if (entry.isFile()) regular.add(path);
  }
  files.sort();
  const { digest, heads, moduleTexts } = await readSources(dir, files);
  const mains = new Set<string>();
  for (const [path, head] of heads) {
    if (regular.has(path) && isPackageFile(path) && buildPackage(head) === "main") {
      mains.add(path.includes("/") ? path.slice(0, path.lastIndexOf("/")) : ".");
    }
  }
  const mod = moduleTexts.has("go.mod") ? parseGoMod(moduleTexts.get("go.mod") as string) : undefined;
  const work = workspace(moduleTexts.get("go.work"), workUse);
  const modules: Record<string, string> = {};
  if (mod) modules["."] = mod.module;
  for (const use of work?.use ?? []) {
    const where = use === "." ? "go.mod" : `${use}/go.mod`;
    const text = moduleTexts.get(where);
    if (text !== undefined) modules[use] = parseGoMod(text, where).module;
  }
  return {
    dir,
    files,
    digest,
    ...(mod ? { mod } : {}),
    ...(work ? { work } : {}),
    modules,
    mains: [...mains].sort(),
    vendored: files.includes("vendor/modules.txt") && !work,
    heads,
    moduleTexts,
  };
}

/**
 * The workspace: the app's go.work (its `text`, if any), with the module dirs of `workUse`
 * (BP_GO_WORK_USE) added, as if the app's go.work used them (the build writes one).
 */
function workspace(text: string | undefined, workUse: string | undefined): GoWork | undefined {
  const use = (workUse ?? "")
    .split(":")
    .map((d) => d.trim())
    .filter((d) => d !== "");
  const written = text === undefined ? undefined : parseGoWork(text);
  if (use.length === 0) return written;
  return {
    ...(written ?? {}),
    use: [...new Set([...(written?.use ?? []), ...parseGoWork(use.map((d) => `use ${d}`).join("\n")).use])],
  };
}

/**
 * The digest of the app (`files` lists it) and, from the same read of each file, the heads of
 * its .go files and the text of its module files. A file the digest does not read whole (a
 * link, over 1 MiB) is read here, following links as the go command does; one that cannot be
 * read (a link that leads nowhere) counts as empty: the go command fails on it anyway.
 */
async function readSources(
  dir: string,
  files: readonly string[],
): Promise<Pick<GoApp, "digest" | "heads" | "moduleTexts">> {
  const heads = new Map<string, GoHead>();
  const moduleTexts = new Map<string, string>();
  const keep = (path: string, text: () => string) => {
    const name = basename(path);
    if (isGoSource(name)) heads.set(path, goHead(text()));
    else if (MODULE_FILES.has(name)) moduleTexts.set(path, text());
  };
  const digest = await treeDigest(dir, {
    ignore: IGNORED,
    onFile: (path, contents) => keep(path, () => contents.toString("utf8")),
  });
  for (const path of files) {
    if (!heads.has(path) && !moduleTexts.has(path)) keep(path, () => readText(join(dir, path)));
  }
  return { digest, heads, moduleTexts };
}

/**
 * A file's text, or "" when it cannot be read. Synchronous: a build does nothing else
 * meanwhile, and few files come here (links, files over 1 MiB).
 */
function readText(path: string): string {
  try {
    return readFileSync(path, "utf8");
  } catch {
    return "";
  }
}

/** A .go file a build of its dir compiles: not a test, not under vendor/ or a dir go skips. */
function isPackageFile(path: string): boolean {
  if (!path.endsWith(".go") || path.endsWith("_test.go")) return false;
  const parts = path.split("/");
  if (parts[0] === "vendor") return false;
  return !parts.slice(0, -1).some(skippedByGo);
}

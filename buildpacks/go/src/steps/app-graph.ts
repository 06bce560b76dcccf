/**
 * The digest of what an app's package graph depends on inside the app: the path and import
 * head (import-head.ts) of each .go file but tests, and the text of the module files (go.mod,
 * go.sum, go.work, go.work.sum, vendor/modules.txt, at any depth). An edit below a file's
 * imports leaves it as it was, so what `go list -deps` said about the graph (which packages
 * use cgo) still holds. Computed only when a build compiles and would ask go list: a rebuild
 * whose binaries are reused never reads the files for it.
 */
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { basename, join } from "node:path";
import { importHead } from "../import-head.js";
import type { GoApp } from "./read-app.js";

/** Files that choose the modules the package graph comes from, by name. */
const MODULE_FILES = new Set(["go.mod", "go.sum", "go.work", "go.work.sum", "modules.txt"]);

/**
 * The graph digest of `app` (its files as read-app.ts listed them). A file that cannot be read
 * (a link that leads nowhere) counts as empty: the go command fails on it anyway.
 */
export async function appGraph(app: Pick<GoApp, "dir" | "files">): Promise<string> {
  const hash = createHash("sha256");
  for (const path of app.files) {
    const name = basename(path);
    const go = name.endsWith(".go") && !name.endsWith("_test.go");
    if (!go && !MODULE_FILES.has(name)) continue;
    const text = readText(join(app.dir, path));
    hash.update(`${path}\0${go ? importHead(text) : text}\0\0`);
  }
  return hash.digest("hex");
}

/**
 * A file's text, or "" when it cannot be read. Synchronous: a build does nothing else
 * meanwhile, and hundreds of small reads cost less without a promise round trip each.
 */
function readText(path: string): string {
  try {
    return readFileSync(path, "utf8");
  } catch {
    return "";
  }
}

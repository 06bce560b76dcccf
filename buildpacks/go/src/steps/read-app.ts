/**
 * Step: read the app once. Its files (for the source digest that keys the binaries, and for
 * clearing the sources afterwards), go.mod and go.work, the modules a workspace uses, the dirs
 * whose package is main, and whether it is vendored. No go command runs here, so a rebuild
 * whose sources are unchanged decides everything without the toolchain.
 */
import { createHash } from "node:crypto";
import { createReadStream } from "node:fs";
import { lstat, open, readdir, readFile, readlink } from "node:fs/promises";
import { join } from "node:path";
import { pipeline } from "node:stream/promises";
import type { StepContext } from "@cnbkit/framework";
import { type GoMod, type GoWork, parseGoMod, parseGoWork } from "../go-mod.js";
import { packageClause } from "../package-clause.js";

/** What the build knows of the app before any go command. */
export interface GoApp {
  dir: string;
  /** Every file and link (no dirs), app-relative, sorted ("/" separated; .git and node_modules left out: no Go input). */
  files: string[];
  /** sha256 over every file's path, mode and contents: what the binaries are built from. */
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
  const paths = (await readdir(dir, { recursive: true }))
    .map((p) => p.split("\\").join("/"))
    .filter((p) => !p.split("/").some((part) => part === ".git" || part === "node_modules"))
    .sort();
  const files: string[] = [];
  const digest = createHash("sha256");
  const mainDirs = new Set<string>();
  for (const path of paths) {
    const full = join(dir, path);
    const s = await lstat(full);
    if (s.isSymbolicLink()) {
      files.push(path);
      digest.update(`${path}\0-> ${await readlink(full)}\n`);
    }
    if (!s.isFile()) continue;
    files.push(path);
    const file = createHash("sha256");
    await pipeline(createReadStream(full), file);
    digest.update(`${path}\0${(s.mode & 0o111) !== 0 ? "x" : "-"}${file.digest("hex")}\n`);
    if (isPackageFile(path) && (await headPackage(full)) === "main") {
      mainDirs.add(path.includes("/") ? path.slice(0, path.lastIndexOf("/")) : ".");
    }
  }
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
    digest: digest.digest("hex"),
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

/** The package clause of a .go file, from its first 8 KiB (license headers come first). */
async function headPackage(file: string): Promise<string | undefined> {
  const handle = await open(file, "r");
  try {
    const buf = Buffer.alloc(8192);
    const { bytesRead } = await handle.read(buf, 0, buf.length, 0);
    return packageClause(buf.subarray(0, bytesRead).toString("utf8"));
  } finally {
    await handle.close();
  }
}

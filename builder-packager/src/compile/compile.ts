/**
 * Compiling a buildpack into one executable per target arch.
 *
 * `<outDir>/linux-<arch>/bin/main` is the buildpack's entry bundled with esbuild and
 * embedded in the pinned Node as a single executable application; `bin/detect` and
 * `bin/build` are relative symlinks to `main` (the framework dispatches on the invoked
 * name, which a SEA sees as `process.argv[1]`). Symlinks rather than hardlinks: every
 * tar writer, OCI tool and `cp -r` keeps a symlink, while a lost hardlink becomes a full
 * copy of a ~115 MB file.
 */
import { createHash } from "node:crypto";
import { copyFile, mkdir, readdir, rename, rm, stat, symlink } from "node:fs/promises";
import { join, resolve } from "node:path";
import { CnbError } from "@cnbkit/framework";
import {
  cacheEntryLock,
  cnbkitCacheDir,
  markCacheEntryUsed,
  pruneCacheKind,
  useCacheEntry,
  withDirLock,
} from "../cache/index.js";
import { cachedBundle } from "./bundle-cache.js";
import { ensureNodeRuntime, hostNodeArch, NODE_VERSION, type NodeArch } from "./node-runtime.js";
import { buildSea } from "./sea.js";
import { isFile } from "@cnbkit/framework/fs";

export { elfMachine } from "./elf.js";

/** A platform cnbkit compiles for, as OCI writes it. */
export type CompileTarget = "linux/amd64" | "linux/arm64";

/** The targets {@link compileBuildpack} accepts. */
export const COMPILE_TARGETS: readonly CompileTarget[] = ["linux/amd64", "linux/arm64"];

/** A progress event: which step, for which target (if any), and a line for humans. */
export interface CompileProgress {
  step: "bundle" | "runtime" | "sea" | "warning";
  target?: CompileTarget;
  message: string;
}

/** Options for {@link compileBuildpack}. */
export interface CompileOptions {
  /** The buildpack's entry file, the one that calls `buildpack({ detect, build })`. */
  entry: string;
  /** Output root; each target gets `<outDir>/<os>-<arch>/bin/`. */
  outDir: string;
  /** One or more targets; each is compiled once even if listed twice. */
  targets: CompileTarget[];
  /** Called before slow steps and for bundler warnings. */
  onProgress?: (event: CompileProgress) => void;
  /** Cache root for Node downloads; defaults to $CNBKIT_CACHE or ~/.cache/cnbkit. */
  cacheDir?: string;
}

/** What was written for one target. */
export interface CompiledTarget {
  /** Absolute path of `bin/main`. */
  main: string;
  /** Its size in bytes. */
  size: number;
}

/**
 * Bundles `entry` once and writes one single-file executable per target.
 * The same entry and Node version give byte-identical binaries.
 *
 * @example
 * const out = await compileBuildpack({ entry: "src/index.ts", outDir: "dist", targets: ["linux/amd64", "linux/arm64"] });
 * out["linux/arm64"].main; // <abs>/dist/linux-arm64/bin/main, with bin/detect and bin/build -> main
 */
export async function compileBuildpack(options: CompileOptions): Promise<Record<string, CompiledTarget>> {
  const targets = [...new Set(options.targets)];
  if (targets.length === 0)
    throw new CnbError("compile: no targets given", { hint: `use ${COMPILE_TARGETS.join(" or ")}` });
  for (const t of targets) {
    if (!COMPILE_TARGETS.includes(t)) {
      throw new CnbError(`compile: target "${t}" is not supported`, {
        hint: `supported: ${COMPILE_TARGETS.join(", ")}`,
      });
    }
  }
  const host = hostNodeArch();
  if (!host) {
    throw new CnbError(`compile: cannot build single executables on ${process.platform}/${process.arch}`, {
      hint: "compile on linux/amd64 or linux/arm64",
    });
  }
  const progress = options.onProgress ?? (() => {});
  const runtimeOpts = (target?: CompileTarget) => ({
    cacheDir: options.cacheDir,
    onProgress: (message: string) => progress({ step: "runtime", target, message }),
  });

  progress({ step: "bundle", message: `Bundling ${options.entry}` });
  const bundle = await cachedBundle({
    entry: options.entry,
    nodeVersion: NODE_VERSION,
    cacheDir: options.cacheDir,
    onProgress: (message) => progress({ step: "bundle", message }),
  });
  if (bundle.reused)
    progress({ step: "bundle", message: `Reusing the bundle (${bundle.inputs.length} inputs unchanged)` });
  for (const w of bundle.warnings) progress({ step: "warning", message: w });

  const runner = await ensureNodeRuntime(host, runtimeOpts(`linux/${host}`));
  const results: Record<string, CompiledTarget> = {};
  for (const target of targets) {
    const arch = target.slice("linux/".length) as NodeArch;
    const runtime = await ensureNodeRuntime(arch, runtimeOpts(target));
    const binDir = resolve(options.outDir, `linux-${arch}`, "bin");
    await mkdir(binDir, { recursive: true });
    const main = join(binDir, "main");
    // The executable is a pure function of the script and the runtime, so a rebuilt
    // builder or a second package of an unchanged buildpack reuses it instead of
    // injecting another 100 MB binary.
    const key = createHash("sha256").update(`${runtime.version}\0${arch}\0`).update(bundle.code).digest("hex");
    const seaRoot = join(options.cacheDir ?? cnbkitCacheDir(), "sea");
    const cached = join(seaRoot, key, "main");
    // Hits and new entries are marked used, under the entry's lock, so a concurrent prune
    // (../cache/prune.ts, CNBKIT_CACHE_MAX_SEA) never removes one between the check and the copy.
    if (await useCacheEntry(seaRoot, key, (dir) => isFile(join(dir, "main")))) {
      progress({ step: "sea", target, message: `Reusing ${main} (script unchanged, Node.js ${runtime.version})` });
    } else {
      progress({ step: "sea", target, message: `Writing ${main} (Node.js ${runtime.version})` });
      await mkdir(seaRoot, { recursive: true });
      await withDirLock(cacheEntryLock(seaRoot, key), async () => {
        if (!(await isFile(cached))) {
          // Under the lock nobody else writes this entry: a `.sea-*` in it is a crashed build's.
          const dir = join(seaRoot, key);
          await mkdir(dir, { recursive: true });
          for (const name of await readdir(dir)) {
            if (name.startsWith(".sea-")) await rm(join(dir, name), { recursive: true, force: true });
          }
          await buildSea({ script: bundle.code, runner: runner.node, executable: runtime.stripped, output: cached });
        }
        await markCacheEntryUsed(seaRoot, key);
      });
      const prune = (message: string) => progress({ step: "sea", target, message });
      await pruneCacheKind("sea", seaRoot, { keep: key, onProgress: prune });
    }
    await copyFile(cached, `${main}.tmp-${process.pid}`);
    await rename(`${main}.tmp-${process.pid}`, main);
    for (const name of ["detect", "build"]) await replaceSymlink("main", join(binDir, name));
    results[target] = { main, size: (await stat(main)).size };
  }
  return results;
}

/** Points `path` at `target`, replacing whatever is there without a moment of absence. */
async function replaceSymlink(target: string, path: string): Promise<void> {
  const tmp = `${path}.tmp-${process.pid}`;
  await rm(tmp, { force: true });
  await symlink(target, tmp);
  try {
    await rename(tmp, path);
  } catch (err) {
    await rm(tmp, { force: true });
    throw err;
  }
}

/**
 * Compiling a buildpack for each target arch, in one of two forms:
 *
 * - **shared** (the default): `<outDir>/linux-<arch>/lib/main.cjs` loads the buildpack's entry,
 *   bundled with esbuild into chunks in `lib/chunks/` (each with a V8 code cache,
 *   code-cache.ts), and `bin/detect` and `bin/build` are small sh launchers that run it on
 *   the shared Node runtime (`runtime-module.ts`), a sibling buildpack the packager puts in
 *   the same buildpackage. A builder of several cnbkit buildpacks then holds Node once, and
 *   each buildpack's own layer is its bundle (~0.2 MB gzip).
 * - **standalone**: `bin/main` is the bundle embedded in the pinned Node as a single
 *   executable application (~115 MB; ~43 MB gzip); `bin/detect` and `bin/build` are
 *   relative symlinks to it (the framework dispatches on the invoked name, which a SEA
 *   sees as `process.argv[1]`). One self-contained directory, for people who want one file
 *   (a `pack build --buildpack <dir>`). Symlinks rather than hardlinks: every tar writer,
 *   OCI tool and `cp -r` keeps a symlink, while a lost hardlink becomes a full copy.
 */
import { createHash } from "node:crypto";
import { chmod, copyFile, mkdir, readdir, rename, rm, stat, symlink, writeFile } from "node:fs/promises";
import { basename, dirname, join, resolve } from "node:path";
import { CnbError } from "@cnbkit/framework";
import {
  cacheEntryLock,
  cnbkitCacheDir,
  markCacheEntryUsed,
  pruneCacheKind,
  useCacheEntry,
  withDirLock,
} from "../cache/index.js";
import { BUNDLE_CHUNKS_DIR } from "@cnbkit/framework/packaging";
import { chunkLoaderScript } from "./bundle.js";
import { cachedBundle } from "./bundle-cache.js";
import { CODE_CACHE_SUFFIX, writeDetectPack } from "./code-cache.js";
import { ensureNodeRuntime, hostNodeArch, NODE_VERSION, type NodeArch, type NodeRuntime } from "./node-runtime.js";
import type { DetectRulesJson } from "./detect-rules.js";
import { cachedDetectRules } from "./detect-rules-cache.js";
import { detectScript } from "./detect-sh.js";
import { BUNDLE_PATH, launcherScript } from "./launcher.js";
import { ensureRuntimeModule, RUNTIME_NODE_PATH, type RuntimeModule } from "./runtime-module.js";
import { buildSea } from "./sea.js";
import { isFile } from "@cnbkit/framework/fs";

export { elfMachine } from "./elf.js";

/** A platform cnbkit compiles for, as OCI writes it. */
export type CompileTarget = "linux/amd64" | "linux/arm64";

/** The targets {@link compileBuildpack} accepts. */
export const COMPILE_TARGETS: readonly CompileTarget[] = ["linux/amd64", "linux/arm64"];

/** How a compiled buildpack carries Node: shared with its buildpackage, or embedded (see the module doc). */
export type CompileForm = "shared" | "standalone";

/** A progress event: which step, for which target (if any), and a line for humans. */
export interface CompileProgress {
  step: "bundle" | "runtime" | "sea" | "launchers" | "warning";
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
  /** `shared` (default) or `standalone`. */
  form?: CompileForm;
  /** The buildpack being compiled, named by the shared form's launchers when the runtime is missing. */
  buildpack?: { id: string; version: string };
}

/** What was written for one target. */
export interface CompiledTarget {
  /** Absolute path of `bin/main` (standalone) or `lib/main.cjs` (shared). */
  main: string;
  /** Its size in bytes (the shared form: the loader and its chunks, code caches aside). */
  size: number;
  /** The shared form's runtime buildpack, which must travel with this one. */
  runtime?: RuntimeModule;
}

/** Checks the targets (some, each supported) and returns this machine's Node arch, which compiles them. */
function checkCompileTargets(targets: CompileTarget[]): NodeArch {
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
  return host;
}

/**
 * Bundles `entry` once and writes the buildpack's bin/ (and lib/) per target.
 * The same entry and Node version give byte-identical files.
 *
 * @example
 * const out = await compileBuildpack({ entry: "src/index.ts", outDir: "dist", targets: ["linux/amd64", "linux/arm64"] });
 * out["linux/arm64"].main; // <abs>/dist/linux-arm64/lib/main.cjs, run by bin/detect and bin/build
 * out["linux/arm64"].runtime?.dir; // the runtime buildpack to package beside it
 */
export async function compileBuildpack(options: CompileOptions): Promise<Record<string, CompiledTarget>> {
  const targets = [...new Set(options.targets)];
  const host = checkCompileTargets(targets);
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

  const results: Record<string, CompiledTarget> = {};
  const runner = await ensureNodeRuntime(host, runtimeOpts(`linux/${host}`));
  if ((options.form ?? "shared") === "shared") {
    return compileShared({ options, targets, bundle, runner, progress, runtimeOpts });
  }
  for (const target of targets) {
    const arch = target.slice("linux/".length) as NodeArch;
    const runtime = await ensureNodeRuntime(arch, runtimeOpts(target));
    const binDir = resolve(options.outDir, `linux-${arch}`, "bin");
    await mkdir(binDir, { recursive: true });
    await rm(join(binDir, "..", "lib"), { recursive: true, force: true });
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

/** What {@link compileShared} works from. */
interface SharedInput {
  options: CompileOptions;
  targets: CompileTarget[];
  bundle: { code: string; modules: Record<string, string> };
  /** The host's Node, which asks a framework bundle for its detect rules and makes code caches. */
  runner: NodeRuntime;
  progress: (event: CompileProgress) => void;
  runtimeOpts: (target?: CompileTarget) => { cacheDir?: string; onProgress: (message: string) => void };
}

/** The shared form for every target, with a sh bin/detect when the bundle's detect is declarative. */
async function compileShared(input: SharedInput): Promise<Record<string, CompiledTarget>> {
  const { options, targets, runner, progress } = input;
  const { code } = input.bundle;
  const results: Record<string, CompiledTarget> = {};
  // The rules are the bundle's (the same for every arch): asked once, of the host's Node.
  // Only a framework bundle answers CNBKIT_DESCRIBE; any other program would just run.
  const framework = code.includes("CNBKIT_DESCRIBE");
  let rules: DetectRulesJson | undefined | null = framework ? null : undefined;
  const buildpack = options.buildpack ?? { id: "buildpack", version: "0.0.0" };
  for (const target of targets) {
    const arch = target.slice("linux/".length) as NodeArch;
    const runtime = await ensureRuntimeModule(arch, input.runtimeOpts(target));
    const dir = resolve(options.outDir, `linux-${arch}`);
    progress({ step: "launchers", target, message: `Writing ${dir} (runs on ${runtime.id} ${runtime.version})` });
    const shared = await writeShared(dir, input.bundle.modules, { buildpack, runtime });
    const pack = await writeDetectPack({
      chunksDir: join(dir, "lib", BUNDLE_CHUNKS_DIR),
      hostNode: runner.node,
      nodeVersion: runner.version,
      framework,
      targetNode: join(runtime.dir, RUNTIME_NODE_PATH),
      arch,
      cacheDir: options.cacheDir,
    });
    results[target] = { ...shared, size: await sharedSize(dir) };
    if (pack && !pack.cached) {
      const why = "no qemu here to run its Node (detect compiles its code, a few ms slower)";
      progress({ step: "launchers", target, message: `No V8 code cache for ${target}: ${why}` });
    }
    if (rules === null) {
      const host = { node: runner.node, nodeVersion: runner.version, cacheDir: options.cacheDir };
      rules = await cachedDetectRules({ code, bundleFile: join(dir, BUNDLE_PATH), ...host });
      if (rules) progress({ step: "launchers", message: "Detect is declarative: bin/detect is sh" });
    }
    await writeDetect(dir, rules ?? undefined, { buildpack, runtime });
  }
  return results;
}

/**
 * The shared form in `dir`: lib/main.cjs, its chunks, the lib/<phase> links and bin/build
 * (bin/detect is {@link writeDetect}'s); stale files of either form go.
 */
async function writeShared(
  dir: string,
  modules: Record<string, string>,
  who: { buildpack: { id: string; version: string }; runtime: RuntimeModule },
): Promise<Omit<CompiledTarget, "size">> {
  const main = join(dir, BUNDLE_PATH);
  const chunks = join(dirname(main), BUNDLE_CHUNKS_DIR);
  await mkdir(join(dir, "bin"), { recursive: true });
  await rm(chunks, { recursive: true, force: true });
  await mkdir(chunks, { recursive: true });
  await rm(join(dir, "bin", "main"), { force: true });
  await rm(join(dir, NODE_DETECT_PATH), { force: true });
  for (const [id, text] of Object.entries(modules)) await writeFile(join(chunks, id.replace(/^\.\//, "")), text);
  const loader = chunkLoaderScript(BUNDLE_CHUNKS_DIR);
  await writeFileAtomic(main, loader);
  for (const phase of ["detect", "build"] as const)
    await replaceSymlink(basename(BUNDLE_PATH), join(dir, "lib", phase));
  await writeFileAtomic(join(dir, "bin", "build"), launcherScript({ phase: "build", ...who }), 0o755);
  return { main, runtime: who.runtime };
}

/** The shared form's code in bytes: the loader and its chunks (the detect pack one of them), code caches aside. */
async function sharedSize(dir: string): Promise<number> {
  const chunks = join(dir, "lib", BUNDLE_CHUNKS_DIR);
  let size = (await stat(join(dir, BUNDLE_PATH))).size;
  for (const name of await readdir(chunks))
    if (!name.endsWith(CODE_CACHE_SUFFIX)) size += (await stat(join(chunks, name))).size;
  return size;
}

/**
 * bin/detect: the Node launcher of the detect phase, or for a declarative detect the rules
 * in sh, which start no Node, with the rules' "code" outcome running lib/node-detect (the
 * Node launcher).
 */
async function writeDetect(
  dir: string,
  rules: DetectRulesJson | undefined,
  who: { buildpack: { id: string; version: string }; runtime: RuntimeModule },
): Promise<void> {
  const launcher = launcherScript({ phase: "detect", ...who });
  if (!rules) {
    await writeFileAtomic(join(dir, "bin", "detect"), launcher, 0o755);
    return;
  }
  await writeFileAtomic(join(dir, NODE_DETECT_PATH), launcher, 0o755);
  // From bin/, lib/node-detect is ../lib: its own `${0%/*}/..` is the buildpack dir again.
  const fallback = `"\${0%/*}/../${NODE_DETECT_PATH}"`;
  await writeFileAtomic(join(dir, "bin", "detect"), detectScript(rules, { fallback }), 0o755);
}

/** The Node launcher of a declarative detect's "code" outcome. */
const NODE_DETECT_PATH = "lib/node-detect";

/** Writes `path` through a temp name, so a reader never sees half of it. */
async function writeFileAtomic(path: string, text: string | Uint8Array, mode = 0o644): Promise<void> {
  const tmp = `${path}.tmp-${process.pid}`;
  await writeFile(tmp, text, { mode });
  await chmod(tmp, mode);
  await rename(tmp, path);
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

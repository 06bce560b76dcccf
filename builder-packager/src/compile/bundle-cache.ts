/**
 * Bundles kept by what esbuild read, so packaging an unchanged buildpack does not bundle it
 * again (~0.5-0.7 s of esbuild per buildpack, the largest part of an unchanged
 * `builder create`).
 *
 * An entry is keyed by the entry file, the Node version (esbuild's target), esbuild's
 * version, the options and cnbkit's bundling code ({@link bundlerIdentity}). It records a
 * fingerprint (inode, size, mtime, ctime) of everything that decided the bundle:
 * - every file esbuild read (its metafile's inputs);
 * - every directory above them, whose mtime changes when a file or a `node_modules` is
 *   added, removed or renamed in it (a new `./dep.ts` next to `./dep.js`, a closer copy of
 *   a package), and the `node_modules` and `node_modules/@scope` dirs in them (a package
 *   added, or a workspace symlink pointed elsewhere);
 * - the `package.json`, `tsconfig.json`, `jsconfig.json` and lockfiles in those
 *   directories, present or absent (`exports`, `main`, optional peers, `paths`).
 * The bundle is reused only when every fingerprint is the same. As git does for its index,
 * a bundle is not stored when the mtime of any of those is less than {@link SETTLE_MS}
 * before bundling began: a change within the same mtime tick would not show.
 * Not covered: a tsconfig `extends` pointing outside those directories.
 */
import { createHash } from "node:crypto";
import { statSync } from "node:fs";
import { mkdir, readdir, readFile, rename, rm, writeFile } from "node:fs/promises";
import { dirname, join, resolve } from "node:path";
import { cnbkitCacheDir, pruneCacheKind, useCacheEntry } from "../cache/index.js";
import { type Bundle, type BundleOptions, bundleBuildpack, bundlerIdentity, loaderScript } from "./bundle.js";

/** How long every input must have stayed unchanged before a bundle of it is stored. */
const SETTLE_MS = 2000;
/** The same for directories: longer than a kernel clock tick (mtimes are that coarse). */
const DIR_SETTLE_MS = 100;

/** Files next to the inputs that change how esbuild resolves or transforms them. */
const CONFIG_FILES = [
  "package.json",
  "tsconfig.json",
  "jsconfig.json",
  "package-lock.json",
  "npm-shrinkwrap.json",
  "yarn.lock",
  "pnpm-lock.yaml",
];

/** Options for {@link cachedBundle}. */
export interface CachedBundleOptions extends BundleOptions {
  /** The cnbkit cache root (default `cnbkitCacheDir()`); entries go to `<cacheDir>/bundles`. */
  cacheDir?: string;
  /** Lines about pruning. */
  onProgress?: (line: string) => void;
}

/** A bundle and whether it came from the cache. */
export interface CachedBundle extends Bundle {
  /** True when nothing it was made from changed since it was stored. */
  reused: boolean;
}

/** What an entry holds: the bundle and the fingerprint of each path it depends on. */
interface StoredBundle {
  modules: Record<string, string>;
  warnings: string[];
  inputs: string[];
  /** Path -> fingerprint, `null` for a path that did not exist. */
  deps: Record<string, string | null>;
}

/**
 * {@link bundleBuildpack}, reusing the bundle stored for the same entry and options when
 * none of the files and directories it depends on changed.
 *
 * @example
 * const b = await cachedBundle({ entry: "src/index.ts", nodeVersion: "26.10.0" });
 * b.reused; // true on a second run with nothing changed
 */
export async function cachedBundle(options: CachedBundleOptions): Promise<CachedBundle> {
  const { version } = await import("esbuild");
  const root = join(options.cacheDir ?? cnbkitCacheDir(), "bundles");
  const key = createHash("sha256")
    .update(JSON.stringify([resolve(options.entry), options.nodeVersion, version, options.sourceMap ?? false]))
    .update(bundlerIdentity())
    .digest("hex");
  let stored: StoredBundle | undefined;
  const fresh = async (dir: string) => {
    stored = await readEntry(join(dir, "bundle.json"));
    return stored !== undefined && (await unchanged(stored.deps));
  };
  if ((await useCacheEntry(root, key, fresh)) && stored) {
    const { modules, warnings, inputs } = stored;
    return { code: loaderScript(modules), modules, warnings, inputs, reused: true };
  }
  const started = Date.now();
  const bundle = await bundleBuildpack(options);
  const deps = await fingerprints(dependencies(bundle.inputs));
  if (settled(deps, started)) {
    const { modules, warnings, inputs } = bundle;
    await store(root, key, { modules, warnings, inputs, deps });
    await pruneCacheKind("bundles", root, { keep: key, onProgress: options.onProgress });
  }
  return { ...bundle, reused: false };
}

/** The inputs, the directories above them with their node_modules, and the config files there. */
function dependencies(inputs: string[]): string[] {
  const dirs = new Set<string>();
  for (const file of inputs) {
    for (let dir = dirname(file); !dirs.has(dir); dir = dirname(dir)) {
      dirs.add(dir);
      if (dirname(dir) === dir) break;
    }
  }
  const paths = new Set(inputs);
  for (const dir of dirs) {
    paths.add(dir);
    paths.add(join(dir, "node_modules"));
    for (const name of CONFIG_FILES) paths.add(join(dir, name));
  }
  return [...paths].sort();
}

/** Each path's fingerprint, plus the `@scope` dirs of every `node_modules` among them. */
async function fingerprints(paths: string[]): Promise<Record<string, string | null>> {
  const deps: Record<string, string | null> = {};
  const stats = paths.map((p) => fingerprint(p));
  paths.forEach((p, i) => {
    deps[p] = stats[i] ?? null;
  });
  const scopes: string[] = [];
  for (const p of paths) {
    if (!p.endsWith("/node_modules") || deps[p] === null) continue;
    for (const name of await readdir(p).catch(() => [] as string[]))
      if (name.startsWith("@")) scopes.push(join(p, name));
  }
  const scopeStats = scopes.map((p) => fingerprint(p));
  scopes.forEach((p, i) => {
    deps[p] = scopeStats[i] ?? null;
  });
  return deps;
}

/**
 * `ino size mtime ctime` (ns), or null when nothing is there. Synchronous on purpose: an
 * unchanged check stats ~1,000 paths (inputs, their dirs, absent config files), which took
 * ~150 ms through the thread pool and promise rejections, and takes a few ms inline.
 */
function fingerprint(path: string): string | null {
  const st = statSync(path, { bigint: true, throwIfNoEntry: false });
  if (!st) return null;
  return `${st.isDirectory() ? "d" : "f"} ${st.ino} ${st.size} ${st.mtimeNs} ${st.ctimeNs}`;
}

/** True when every recorded path has its recorded fingerprint (and absent ones are still absent). */
async function unchanged(deps: Record<string, string | null>): Promise<boolean> {
  const paths = Object.keys(deps);
  return paths.every((p) => fingerprint(p) === deps[p]);
}

/**
 * True when no file's mtime is within {@link SETTLE_MS} before `started` (or after it), and
 * no directory's within {@link DIR_SETTLE_MS}: directories above the project (a temp dir,
 * the user's home) change all the time, and only a change after esbuild looked matters.
 */
function settled(deps: Record<string, string | null>, started: number): boolean {
  const files = BigInt(started - SETTLE_MS) * 1_000_000n;
  const dirs = BigInt(started - DIR_SETTLE_MS) * 1_000_000n;
  return Object.values(deps).every((fp) => {
    if (fp === null) return true;
    const [kind, , , mtime] = fp.split(" ");
    return BigInt(mtime as string) <= (kind === "d" ? dirs : files);
  });
}

async function readEntry(file: string): Promise<StoredBundle | undefined> {
  try {
    const e = JSON.parse(await readFile(file, "utf8")) as StoredBundle;
    return typeof e.modules === "object" && e.modules !== null && Array.isArray(e.inputs) && e.deps ? e : undefined;
  } catch {
    return undefined;
  }
}

/** Writes the entry through a temp file renamed into place, so a reader never sees half of one. */
async function store(root: string, key: string, entry: StoredBundle): Promise<void> {
  const dir = join(root, key);
  await mkdir(dir, { recursive: true });
  const tmp = join(dir, `.tmp-${process.pid}-${Date.now()}`);
  try {
    await writeFile(tmp, JSON.stringify(entry));
    await rename(tmp, join(dir, "bundle.json"));
  } finally {
    await rm(tmp, { force: true });
  }
}

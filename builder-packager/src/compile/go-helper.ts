/**
 * Static Go helper binaries, built for a target arch with the host's `go`: programs a
 * buildpack ships beside its bin/ for places its Node cannot go, such as an exec.d program in
 * an app image whose run image has no shell (`[metadata.cnbkit] helpers`, ../package/helpers.ts).
 *
 * A helper is a Go `main` package with its own go.mod and no third-party modules, so it builds
 * with nothing but the toolchain and no network (GOPROXY=off). The build is pinned so that the
 * same sources and toolchain give byte-identical binaries, which keeps image digests
 * reproducible: CGO_ENABLED=0 (static: it runs on any base image), -trimpath, an empty build
 * ID, no VCS stamp (inside a git checkout Go would embed the commit and a dirty flag), the
 * baseline GOAMD64/GOARM64 level, GOFLAGS cleared and GOTOOLCHAIN=local (the toolchain that
 * builds is the one in the key, never one go.mod asks to download).
 *
 * Binaries are cached under `<cache>/go-helpers/<key>/helper`, keyed by the sha256 of the
 * sources, `go version`, the arch and these flags; entries are locked and bounded like the
 * other caches (../cache, CNBKIT_CACHE_MAX_GO_HELPERS).
 */
import { execFile } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdir, readdir, readFile, stat } from "node:fs/promises";
import { join, relative } from "node:path";
import { promisify } from "node:util";
import { CnbError } from "@cnbkit/framework";
import { isFile } from "@cnbkit/framework/fs";
import {
  cacheEntryLock,
  cnbkitCacheDir,
  fillCacheEntry,
  markCacheEntryUsed,
  pruneCacheKind,
  useCacheEntry,
  withDirLock,
} from "../cache/index.js";

const run = promisify(execFile);

/** The arches a helper is built for, as GOARCH spells them. */
export type GoArch = "amd64" | "arm64";

/** The `go build` arguments; part of the cache key, so changing them builds every helper again. */
const BUILD_ARGS = ["build", "-trimpath", "-buildvcs=false", "-ldflags=-s -w -buildid="];

/** Options of {@link buildGoHelper}. */
export interface GoHelperOptions {
  /** The helper's source directory (a Go main package with its own go.mod). */
  dir: string;
  arch: GoArch;
  /** Who the helper belongs to, first in every error: e.g. `cnbkit/java helper "jvm-helper" (helper/)`. */
  who: string;
  /** Cache root (default `cnbkitCacheDir()`). */
  cacheDir?: string;
  /** The environment `go` runs in (default `process.env`); the build's own settings override it. */
  env?: NodeJS.ProcessEnv;
  onProgress?: (line: string) => void;
}

/** A built helper: the cached binary (copy it, do not move it) and whether it was there already. */
export interface GoHelperBinary {
  path: string;
  size: number;
  reused: boolean;
  /** `go version`'s answer, e.g. "go1.26.8". */
  goVersion: string;
}

/**
 * Builds the helper in `dir` for linux/`arch`, or reuses the binary the same sources, toolchain
 * and arch built before.
 *
 * @example
 * const bin = await buildGoHelper({ dir: "buildpacks/java/helper", arch: "arm64", who: 'cnbkit/java helper "jvm-helper"' });
 * await copyFile(bin.path, join(stage, "bin", "jvm-helper"));
 */
export async function buildGoHelper(options: GoHelperOptions): Promise<GoHelperBinary> {
  const { dir, arch, who } = options;
  const env = buildEnv(options.env ?? process.env, arch);
  await checkModule(dir, who);
  const goVersion = await hostGoVersion(env, who);
  const key = createHash("sha256")
    .update(`${JSON.stringify(BUILD_ARGS)}\0${goVersion}\0linux/${arch}\0`)
    .update(await sourcesDigest(dir))
    .digest("hex");
  const root = join(options.cacheDir ?? cnbkitCacheDir(), "go-helpers");
  const path = join(root, key, "helper");
  let reused = await useCacheEntry(root, key, (entry) => isFile(join(entry, "helper")));
  if (!reused) {
    await mkdir(root, { recursive: true });
    reused = await withDirLock(cacheEntryLock(root, key), async () => {
      const there = await isFile(path);
      if (!there) await fillCacheEntry(root, key, (tmp) => goBuild(dir, join(tmp, "helper"), env, who));
      await markCacheEntryUsed(root, key);
      return there;
    });
    if (!reused) await pruneCacheKind("goHelpers", root, { keep: key, onProgress: options.onProgress });
  }
  return { path, size: (await stat(path)).size, reused, goVersion };
}

/** The environment of every `go` call: the caller's, with the settings that make the build the same everywhere. */
function buildEnv(env: NodeJS.ProcessEnv, arch: GoArch): NodeJS.ProcessEnv {
  return {
    ...env,
    CGO_ENABLED: "0",
    GOOS: "linux",
    GOARCH: arch,
    GOAMD64: "v1",
    GOARM64: "v8.0",
    GOFLAGS: "",
    GOPROXY: "off",
    GOTOOLCHAIN: "local",
  };
}

/** A go.mod is there and requires no module: a helper builds from the standard library alone. */
async function checkModule(dir: string, who: string): Promise<void> {
  const goMod = await readFile(join(dir, "go.mod"), "utf8").catch(() => undefined);
  if (goMod === undefined) {
    throw new CnbError(`${who}: no go.mod in ${dir}`, {
      hint: "a helper is a Go main package with its own go.mod (go mod init <path> there)",
    });
  }
  const require = /^\s*require\b.*$/m.exec(goMod);
  if (require) {
    throw new CnbError(`${who}: ${join(dir, "go.mod")} requires other modules ("${require[0].trim()}")`, {
      hint: "helpers build offline from the standard library only; drop the dependency",
    });
  }
}

/** `go version`'s toolchain, e.g. "go1.26.8"; a missing `go` is one line saying where to get it. */
async function hostGoVersion(env: NodeJS.ProcessEnv, who: string): Promise<string> {
  try {
    const { stdout } = await run("go", ["version"], { env });
    return stdout.trim().split(/\s+/)[2] ?? stdout.trim();
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") {
      throw new CnbError(`${who}: no \`go\` on PATH to build it`, {
        hint: "install Go (https://go.dev/dl) and put its bin/ on PATH, then package again",
        cause: err,
      });
    }
    throw new CnbError(`${who}: \`go version\` failed: ${firstLine(String((err as { stderr?: unknown }).stderr))}`, {
      cause: err,
    });
  }
}

/** `go build` into `output`; a compile error is its first line, with where to see the rest. */
async function goBuild(dir: string, output: string, env: NodeJS.ProcessEnv, who: string): Promise<void> {
  await mkdir(join(output, ".."), { recursive: true });
  try {
    await run("go", [...BUILD_ARGS, "-o", output, "."], { cwd: dir, env, maxBuffer: 16 * 1024 * 1024 });
  } catch (err) {
    const stderr = String((err as { stderr?: unknown }).stderr ?? (err as Error).message);
    throw new CnbError(`${who}: go build failed: ${firstLine(stderr)}`, {
      hint: `see all of it with: cd ${dir} && GOOS=linux GOARCH=${env.GOARCH} CGO_ENABLED=0 go build .`,
      cause: err,
    });
  }
}

/** The first line of go's output that says something (not a `# package` header). */
function firstLine(text: string): string {
  return (
    text
      .split("\n")
      .map((l) => l.trim())
      .find((l) => l !== "" && !l.startsWith("#")) ?? "no output"
  );
}

/** sha256 over every file under `dir` (sorted relative paths and contents): what the binary is made of. */
async function sourcesDigest(dir: string): Promise<string> {
  const h = createHash("sha256");
  const files = (await readdir(dir, { recursive: true, withFileTypes: true }))
    .filter((e) => e.isFile())
    .map((e) => join(e.parentPath, e.name))
    .sort();
  for (const f of files) {
    const content = await readFile(f);
    h.update(`${relative(dir, f)}\0${content.length}\0`).update(content);
  }
  return h.digest("hex");
}

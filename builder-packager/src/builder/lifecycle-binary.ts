/**
 * The lifecycle that goes into a builder's `/cnb/lifecycle`: from a directory (as
 * scripts/setup.sh builds it with Go: lifecycle, launcher, phase symlinks, lifecycle.toml)
 * or a release tarball (`lifecycle/<files>`, .tgz or .tar), read and checked like pack
 * does (every phase binary present, lifecycle.toml with [apis] and [lifecycle] version),
 * plus a check that the binaries are built for the builder's arch.
 */
import { createReadStream, createWriteStream, existsSync } from "node:fs";
import { createHash } from "node:crypto";
import { copyFile, lstat, mkdir, open, readdir, readFile, readlink, rename, rm, stat, symlink } from "node:fs/promises";
import { join, posix, resolve } from "node:path";
import { pipeline } from "node:stream/promises";
import { createGunzip } from "node:zlib";
import tar from "tar-stream";
import { CnbError } from "@cnbkit/framework";
import { parseToml } from "@cnbkit/framework/cnb-files";
import { download } from "@cnbkit/framework/dependencies";
import { cnbkitCacheDir, markCacheEntryUsed, pruneCacheKind, useCacheEntry } from "../cache/index.js";
import { elfMachine } from "../compile/index.js";
import { hostPlatform } from "../oci/index.js";
import { fetchLifecycleRelease, type LifecycleReleases } from "./lifecycle-tarball.js";

/** The lifecycle version used when builder.toml has no `[lifecycle]`. */
export const DEFAULT_LIFECYCLE_VERSION = "0.21.17";

/** The binaries pack requires in a lifecycle (pack internal/builder/lifecycle.go). */
export const LIFECYCLE_BINARIES = ["detector", "restorer", "analyzer", "builder", "exporter", "launcher", "creator"];

/** API versions from lifecycle.toml. */
export interface ApiVersions {
  deprecated: string[];
  supported: string[];
}

/** A lifecycle ready to pack into a builder. */
export interface Lifecycle {
  /** A directory whose top-level files become /cnb/lifecycle/*. */
  dir: string;
  version: string;
  apis: { buildpack: ApiVersions; platform: ApiVersions };
  /**
   * True when `dir` never changes once written (a tarball unpacked into the cnbkit cache,
   * keyed by the tarball's sha256), so what is derived from its files may be remembered.
   */
  immutable?: boolean;
}

/**
 * Where scripts/setup.sh caches a Go-built lifecycle of `version` for `arch` (amd64/arm64):
 * `lifecycle/<version>` for this machine's arch, `lifecycle/<version>-<arch>` for the other.
 *
 * @example
 * cachedLifecycleDir("0.21.17", "arm64"); // ~/.cache/cnbkit/lifecycle/0.21.17-arm64 on amd64
 */
export function cachedLifecycleDir(
  version: string,
  arch: string = hostPlatform().architecture,
  env: Record<string, string | undefined> = process.env,
): string {
  const native = arch === hostPlatform().architecture;
  return join(cnbkitCacheDir(env), "lifecycle", native ? version : `${version}-${arch}`);
}

/** `[lifecycle]` of builder.toml. */
export interface LifecycleConfig {
  uri?: string;
  version?: string;
  /**
   * sha256 of an http(s) `uri` (cnbkit's addition; pack ignores the key): one digest, or
   * one per arch when the uri has `{arch}`.
   */
  sha256?: string | Record<string, string>;
}

/** Where {@link loadLifecycle} works and what it may use. */
export interface LifecycleContext {
  baseDir: string;
  workDir: string;
  /** builder.toml, for error messages. */
  file: string;
  /** The environment (CNBKIT_CACHE, CNBKIT_LIFECYCLE_MIRROR); default process.env. */
  env?: Record<string, string | undefined>;
  /** The release sha256 table (default: the one cnbkit carries); tests inject theirs. */
  releases?: LifecycleReleases;
  say?: (line: string) => void;
}

/**
 * Resolves `[lifecycle]` for one arch: `uri` (a directory, a tarball, a `file://` path, or
 * an https URL with `sha256`; relative to builder.toml; `{arch}` in it is replaced by
 * amd64/arm64) or `version`: the Go-built lifecycle in the cnbkit cache when there is one
 * (scripts/setup.sh makes it; builds and tests stay offline), else the official release
 * tarball (see {@link fetchLifecycleRelease}). Directories and tarballs may have either
 * shape: the binaries and lifecycle.toml side by side, or a release's `lifecycle.toml`
 * beside a `lifecycle/` folder of binaries.
 */
export async function loadLifecycle(config: LifecycleConfig, arch: string, ctx: LifecycleContext): Promise<Lifecycle> {
  const { path, field } = await locateLifecycle(config, arch, ctx);
  const st = await stat(path).catch(() => undefined);
  if (!st) {
    throw new CnbError(`${ctx.file}: ${field}: ${path} does not exist`);
  }
  const dir = st.isDirectory()
    ? await releaseDirAsFlat(path, join(ctx.workDir, `lifecycle-dir-${arch}`))
    : await unpackedTarball(path, ctx, field);
  const names = new Set(await readdir(dir));
  for (const bin of LIFECYCLE_BINARIES) {
    if (!names.has(bin)) throw new CnbError(`${ctx.file}: ${field}: ${dir} lacks ${bin}`);
  }
  const machine = await elfMachine(join(dir, "lifecycle")).catch(() => elfMachine(join(dir, "builder")));
  if (machine !== arch) {
    throw new CnbError(
      `${ctx.file}: ${field}: the lifecycle in ${dir} is built for ${machine}, the builder target is ${arch}`,
      {
        hint: "put {arch} in [lifecycle].uri to use one lifecycle per arch",
      },
    );
  }
  if (!names.has("lifecycle.toml")) {
    throw new CnbError(`${ctx.file}: ${field}: ${dir} has no lifecycle.toml`, {
      hint: "release tarballs carry one; write [apis.buildpack], [apis.platform] and [lifecycle] version for a Go-built lifecycle",
    });
  }
  return { ...(await readLifecycleToml(dir)), ...(st.isDirectory() ? {} : { immutable: true }) };
}

/**
 * A lifecycle tarball unpacked once into the cnbkit cache (`lifecycle/tarballs/<sha256>/lifecycle`,
 * via a temp dir renamed into place; at most CNBKIT_CACHE_MAX_LIFECYCLE_TARBALLS entries, 4 by
 * default), so an unchanged builder create does not gunzip and write ~25 MB again; the
 * sha256 of the ~9 MB tarball costs a few ms. The entry is marked in use until this process ends.
 */
async function unpackedTarball(file: string, ctx: LifecycleContext, field: string): Promise<string> {
  const hash = createHash("sha256");
  try {
    for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
  } catch {
    throw new CnbError(`${ctx.file}: ${field}: ${file} cannot be read`);
  }
  const env = ctx.env ?? process.env;
  const root = join(cnbkitCacheDir(env), "lifecycle", "tarballs");
  const key = hash.digest("hex");
  const dest = join(root, key, "lifecycle");
  if (await useCacheEntry(root, key, () => existsSync(dest))) return dest; // only ever renamed into place whole
  await mkdir(join(root, key), { recursive: true });
  const tmp = `${dest}.tmp-${process.pid}-${Date.now()}`;
  try {
    await extractLifecycle(file, tmp, ctx.file, field);
    await rename(tmp, dest).catch((err: NodeJS.ErrnoException) => {
      // another process unpacked the same tarball first: use theirs
      if (err.code !== "ENOTEMPTY" && err.code !== "EEXIST") throw err;
    });
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
  await markCacheEntryUsed(root, key);
  await pruneCacheKind("lifecycleTarballs", root, { keep: key, onProgress: ctx.say, env });
  return dest;
}

/** Where `[lifecycle]` points for `arch`: a local path (an https uri is downloaded first). */
async function locateLifecycle(
  config: LifecycleConfig,
  arch: string,
  ctx: LifecycleContext,
): Promise<{ path: string; field: string }> {
  if (!config.uri) {
    const version = config.version ?? DEFAULT_LIFECYCLE_VERSION;
    const field = `[lifecycle].version "${version}"`;
    const built = cachedLifecycleDir(version, arch, ctx.env ?? process.env);
    if (existsSync(built)) return { path: built, field };
    const path = await fetchLifecycleRelease(version, arch, {
      workDir: ctx.workDir,
      where: `${ctx.file}: ${field}`,
      ...(ctx.env ? { env: ctx.env } : {}),
      ...(ctx.releases ? { releases: ctx.releases } : {}),
      ...(ctx.say ? { say: ctx.say } : {}),
    });
    return { path, field };
  }
  const field = `[lifecycle].uri "${config.uri}"`;
  const uri = config.uri.replaceAll("{arch}", arch);
  if (!/^https?:\/\//.test(uri)) {
    return { path: resolve(ctx.baseDir, uri.startsWith("file://") ? uri.slice(7) : uri), field };
  }
  const sha256 = typeof config.sha256 === "string" ? config.sha256 : config.sha256?.[arch];
  if (!sha256) {
    throw new CnbError(`${ctx.file}: ${field}: a downloaded lifecycle needs [lifecycle].sha256`, {
      hint: `give the release tarball's sha256 (a table by arch, e.g. sha256 = { ${arch} = "..." }, when the uri has {arch})`,
    });
  }
  const path = await download({ id: "lifecycle", uri, sha256 }, join(ctx.workDir, `lifecycle-download-${arch}`), {
    env: process.env,
    cacheDir: join(cnbkitCacheDir(), "downloads"),
  }).catch((err: unknown) => {
    throw new CnbError(`${ctx.file}: ${field}: ${(err as Error).message}`);
  });
  return { path, field };
}

/** Reads lifecycle.toml's version and API lists (pack's `LifecycleDescriptor`). */
async function readLifecycleToml(dir: string): Promise<Lifecycle> {
  const tomlPath = join(dir, "lifecycle.toml");
  const doc = parseToml(await readFile(tomlPath, "utf8"), tomlPath);
  const lc = doc.lifecycle as { version?: unknown } | undefined;
  if (typeof lc?.version !== "string") throw new CnbError(`${tomlPath}: [lifecycle].version is required`);
  const apis = doc.apis as Record<string, { deprecated?: unknown; supported?: unknown }> | undefined;
  const list = (kind: "buildpack" | "platform"): ApiVersions => {
    const a = apis?.[kind];
    const ok = (v: unknown) => Array.isArray(v) && v.every((x) => typeof x === "string");
    if (!a || !ok(a.supported) || (a.deprecated !== undefined && !ok(a.deprecated))) {
      throw new CnbError(`${tomlPath}: [apis.${kind}] needs supported (and optionally deprecated) version lists`);
    }
    return { deprecated: (a.deprecated as string[] | undefined) ?? [], supported: a.supported as string[] };
  };
  return { dir, version: lc.version, apis: { buildpack: list("buildpack"), platform: list("platform") } };
}

/**
 * A directory in a release's shape (`lifecycle.toml` beside `lifecycle/<binaries>`) as one
 * flat directory (symlinks into `work`); a flat directory is returned as it is.
 */
async function releaseDirAsFlat(path: string, work: string): Promise<string> {
  const inner = join(path, "lifecycle");
  const innerIsDir = await stat(inner).then(
    (s) => s.isDirectory(),
    () => false,
  );
  if (!innerIsDir) return path;
  await mkdir(work, { recursive: true });
  for (const name of await readdir(inner)) {
    const st = await lstat(join(inner, name));
    if (st.isSymbolicLink()) await symlink(await readlink(join(inner, name)), join(work, name));
    else if (st.isFile()) await copyFile(join(inner, name), join(work, name));
  }
  await copyFile(join(path, "lifecycle.toml"), join(work, "lifecycle.toml")).catch(() => {});
  return work;
}

/**
 * Extracts a lifecycle tarball into `dest`, flat: the `<top>/<file>` entries and a
 * top-level `lifecycle.toml` (a release tarball has it there, its binaries in `lifecycle/`).
 * Files stream to disk.
 */
async function extractLifecycle(file: string, dest: string, cfgFile: string, field: string): Promise<string> {
  await mkdir(dest, { recursive: true });
  const head = Buffer.alloc(2);
  const fh = await open(file, "r");
  try {
    await fh.read(head, 0, 2, 0);
  } finally {
    await fh.close();
  }
  const gz = head[0] === 0x1f && head[1] === 0x8b;
  const extract = tar.extract();
  const done = (async () => {
    for await (const entry of extract) {
      const h = entry.header;
      const clean = posix.normalize(h.name).replace(/^\.?\//, "");
      // `<top>/<file>`, plus a release tarball's top-level lifecycle.toml.
      const m = clean === "lifecycle.toml" ? ["", clean] : /^[^/]+\/([^/]+)$/.exec(clean);
      if (!m || m[1] === ".." || m[1] === ".") {
        entry.resume();
        continue;
      }
      const target = join(dest, m[1] as string);
      if (h.type === "file") {
        await pipeline(entry, createWriteStream(target, { mode: (h.mode ?? 0o644) & 0o777 }));
      } else if (h.type === "symlink" && h.linkname && !h.linkname.includes("/")) {
        await symlink(h.linkname, target);
        entry.resume();
      } else {
        entry.resume();
      }
    }
  })();
  try {
    if (gz) await Promise.all([pipeline(createReadStream(file), createGunzip(), extract), done]);
    else await Promise.all([pipeline(createReadStream(file), extract), done]);
  } catch {
    throw new CnbError(`${cfgFile}: ${field}: ${file} is neither a directory nor a lifecycle tarball`);
  }
  return dest;
}

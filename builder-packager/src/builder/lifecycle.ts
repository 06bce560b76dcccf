/**
 * The lifecycle that goes into a builder's `/cnb/lifecycle`: from a directory (as
 * scripts/setup.sh builds it with Go: lifecycle, launcher, phase symlinks, lifecycle.toml)
 * or a release tarball (`lifecycle/<files>`, .tgz or .tar), read and checked like pack
 * does (every phase binary present, lifecycle.toml with [apis] and [lifecycle] version),
 * plus a check that the binaries are built for the builder's arch.
 */
import { createReadStream } from "node:fs";
import { mkdir, open, readdir, readFile, stat, symlink, writeFile } from "node:fs/promises";
import { join, posix, resolve } from "node:path";
import { pipeline } from "node:stream/promises";
import { createGunzip } from "node:zlib";
import tar from "tar-stream";
import { CnbError } from "@cnbkit/framework";
import { parseToml } from "@cnbkit/framework/cnb-files";
import { cnbkitCacheDir } from "../cache-dir.js";
import { elfMachine } from "../compile/compile.js";
import { hostPlatform } from "../oci/image.js";

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

/**
 * Resolves `[lifecycle]` for one arch: `uri` (a directory or tarball, relative to
 * builder.toml; `{arch}` in it is replaced by amd64/arm64) or `version` (looked up in the
 * cnbkit cache, since downloads from GitHub are not available everywhere).
 */
export async function loadLifecycle(
  config: { uri?: string; version?: string },
  arch: string,
  ctx: { baseDir: string; workDir: string; file: string },
): Promise<Lifecycle> {
  let path: string;
  let field: string;
  if (config.uri) {
    field = `[lifecycle].uri "${config.uri}"`;
    const uri = config.uri.replaceAll("{arch}", arch);
    if (/^https?:\/\//.test(uri)) {
      throw new CnbError(`${ctx.file}: ${field}: downloading the lifecycle is not supported`, {
        hint: "download the release tarball and give its path",
      });
    }
    path = resolve(ctx.baseDir, uri.startsWith("file://") ? uri.slice(7) : uri);
  } else {
    const version = config.version ?? DEFAULT_LIFECYCLE_VERSION;
    field = `[lifecycle].version "${version}"`;
    path = cachedLifecycleDir(version, arch);
  }
  const st = await stat(path).catch(() => undefined);
  if (!st) {
    throw new CnbError(`${ctx.file}: ${field}: ${path} does not exist`, {
      hint: config.uri ? undefined : "run `npm run setup` to build the lifecycle, or set [lifecycle] uri",
    });
  }
  const dir = st.isDirectory()
    ? path
    : await extractLifecycle(path, join(ctx.workDir, `lifecycle-${arch}`), ctx.file, field);
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

/** Extracts the `<top>/<file>` entries of a lifecycle tarball into `dest`. */
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
      const m = /^[^/]+\/([^/]+)$/.exec(clean);
      if (!m || m[1] === ".." || m[1] === ".") {
        entry.resume();
        continue;
      }
      const target = join(dest, m[1] as string);
      if (h.type === "file") {
        const chunks: Buffer[] = [];
        for await (const c of entry) chunks.push(c as Buffer);
        await writeFile(target, Buffer.concat(chunks), { mode: (h.mode ?? 0o644) & 0o777 });
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

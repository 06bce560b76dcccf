/**
 * A CPython the reference builder's LOCAL variant can carry, for machines that cannot reach
 * python-build-standalone's GitHub releases (this repo's development and CI machines).
 *
 * It is made from Debian bookworm's python3.11 .debs (python3.11-minimal,
 * libpython3.11-minimal, libpython3.11-stdlib, python3.11), the newest version that
 * bookworm, bookworm-updates or bookworm-security serves, each checked against the sha256
 * of the Packages index, unpacked with `dpkg -x` and laid out as python-build-standalone's
 * `install_only` builds are: `python/bin/python3.11` (+ relative `python3` and `python`
 * links) and `python/lib/python3.11/` with `lib-dynload/`. Debian links libpython into the
 * executable, so there is no libpython3.11.so, and the interpreter finds its prefix from its
 * own location: the tree is relocatable. Its extension modules link the system's libssl3,
 * libsqlite3-0, libffi8, libexpat1, libncursesw6, libreadline8, libbz2-1.0, liblzma5,
 * zlib1g, libuuid1, libdb5.3 and libnsl2, which cnbkit's run image carries
 * (builder-packager/src/base/packages.ts).
 *
 * Why Debian's binaries and not CPython built from source: they take seconds to make, where
 * a source build takes ~16 min on 2 cores, and the main job and CI pay that on a fresh
 * machine. Debian strips ensurepip, so `python -m venv` needs `--without-pip` and pip comes
 * from its PyPI wheel (which is what the python buildpack does anyway).
 *
 * Tarballs are cached in `~/.cache/cnbkit/python/<debian-version>-<arch>/`; the resolved
 * package set in `~/.cache/cnbkit/python/bookworm-<arch>.json`, re-read from the index once
 * a day and used as is when the index cannot be reached.
 */
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { copyFile, mkdir, mkdtemp, readdir, readFile, readlink, rename, rm, symlink } from "node:fs/promises";
import { homedir } from "node:os";
import { dirname, isAbsolute, join, relative, resolve } from "node:path";
import { parseToml, stringifyToml, type TomlTable } from "@cnbkit/framework/cnb-files";
import { download } from "@cnbkit/framework/dependencies";
import { writeAtomic } from "@cnbkit/framework/fs";
import { writeDeterministicTarGz } from "./reproducible-tarball.js";
import { type DebianPackage, newestPackageSet } from "./debian-index.js";

/** The Debian packages a local CPython is made from, in the order they are unpacked. */
export const DEBIAN_PYTHON_PACKAGES: readonly string[] = [
  "libpython3.11-minimal",
  "python3.11-minimal",
  "libpython3.11-stdlib",
  "python3.11",
  // include/python3.11 only (its libpython3.11.a is dropped): an sdist with a C extension
  // then compiles where the build image has gcc, as on python-build-standalone's builds.
  "libpython3.11-dev",
];

/** The Python minor version Debian bookworm ships. */
const MINOR = "3.11";

/** One day: how long a resolved package set is trusted before the index is read again. */
const INDEX_MAX_AGE_MS = 24 * 60 * 60 * 1000;

/** A local CPython tarball. */
export interface LocalCpython {
  /** The tar.gz (top directory `python/`, like python-build-standalone's install_only). */
  path: string;
  sha256: string;
  /** The upstream CPython version, e.g. `3.11.2`. */
  version: string;
  /** The Debian version it was made from, e.g. `3.11.2-6+deb12u9`. */
  debianVersion: string;
  /** The .debs it was made from, with their URLs and sha256s (for an SBOM or a purl). */
  packages: DebianPackage[];
}

/** Options of {@link localCpythonTarball}. */
export interface LocalCpythonOptions {
  /** The cache root; default `~/.cache/cnbkit/python`. */
  cacheDir?: string;
  /** Progress lines. */
  onProgress?: (line: string) => void;
}

/** The cache root of local CPython tarballs. */
export function pythonCacheDir(): string {
  return join(homedir(), ".cache", "cnbkit", "python");
}

/**
 * The upstream CPython version of a Debian version: `3.11.2-6+deb12u9` → `3.11.2`.
 *
 * @example
 * upstreamVersion("3.11.2-6+deb12u9"); // "3.11.2"
 */
export function upstreamVersion(debianVersion: string): string {
  return debianVersion.replace(/^\d+:/, "").replace(/-[^-]*$/, "");
}

/**
 * A relocatable CPython 3.11 for linux/`arch` made from Debian bookworm's .debs (see the
 * file comment), cached by Debian version. Made once per version in a few seconds; later
 * calls return the cached tarball.
 *
 * @example
 * const { path, sha256, version } = await localCpythonTarball("amd64"); // version "3.11.2"
 * @throws Error one line when the Debian index or a .deb cannot be fetched or does not verify,
 * or when the laid-out interpreter does not run
 */
export async function localCpythonTarball(
  arch: "amd64" | "arm64",
  opts: LocalCpythonOptions = {},
): Promise<LocalCpython> {
  const progress = opts.onProgress ?? (() => {});
  const root = opts.cacheDir ?? pythonCacheDir();
  const packages = await resolvePackages(arch, root, progress);
  const debianVersion = (packages[0] as DebianPackage).version;
  const version = upstreamVersion(debianVersion);
  // Named by what is in it too: a tarball made before the headers were added is not this one.
  const dir = join(root, `${debianVersion}-${arch}-with-headers`);
  const path = join(dir, `python-${debianVersion}-linux-${arch}-install_only.tar.gz`);
  const sumFile = `${path}.sha256`;
  if (existsSync(path) && existsSync(sumFile)) {
    const sha256 = (await readFile(sumFile, "utf8")).trim();
    return { path, sha256, version, debianVersion, packages };
  }
  progress(
    `CPython ${version} (Debian ${debianVersion}, linux/${arch}) from ${packages.map((p) => p.name).join(", ")}`,
  );
  await mkdir(root, { recursive: true });
  const work = await mkdtemp(join(root, `.make-${arch}-`));
  try {
    const tree = await unpackDebs(packages, work);
    await layOut(tree, join(work, "out", "python"));
    await compileStdlib(join(work, "out", "python"), arch);
    if (arch === hostArch()) await smokeTest(join(work, "out", "python"), work);
    await mkdir(join(work, "final"));
    const tarball = join(work, "final", relative(dir, path));
    const sha256 = await writeDeterministicTarGz(join(work, "out"), "python", tarball);
    await writeAtomic(`${tarball}.sha256`, `${sha256}\n`);
    await rm(dir, { recursive: true, force: true });
    await rename(join(work, "final"), dir);
    progress(`  ${relative(process.cwd(), path) || path} (sha256 ${sha256.slice(0, 12)}…)`);
    return { path, sha256, version, debianVersion, packages };
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

/** The Debian arch name of this machine. */
function hostArch(): string {
  return process.arch === "x64" ? "amd64" : process.arch;
}

interface ResolvedIndex {
  checkedAt: number;
  packages: DebianPackage[];
}

/** The package set: from the cache when checked within a day, else from the index (the cache when that fails). */
async function resolvePackages(arch: string, root: string, progress: (l: string) => void): Promise<DebianPackage[]> {
  const file = join(root, `bookworm-${arch}.json`);
  const cached = await readFile(file, "utf8")
    .then((t) => JSON.parse(t) as ResolvedIndex)
    .catch(() => undefined);
  const fresh = cached && Date.now() - cached.checkedAt < INDEX_MAX_AGE_MS;
  const sameNames = cached?.packages.map((p) => p.name).join() === DEBIAN_PYTHON_PACKAGES.join();
  if (cached && fresh && sameNames) return cached.packages;
  try {
    const packages = await newestPackageSet(DEBIAN_PYTHON_PACKAGES, arch);
    await writeAtomic(file, `${JSON.stringify({ checkedAt: Date.now(), packages }, null, 2)}\n`, { mkdirs: true });
    return packages;
  } catch (err) {
    if (!cached || !sameNames) throw err;
    progress(
      `warning: ${(err as Error).message}; using the package set resolved before (${cached.packages[0]?.version})`,
    );
    return cached.packages;
  }
}

/** Downloads (sha256-checked) and `dpkg -x`es the packages into `<work>/root`; returns it. */
async function unpackDebs(packages: readonly DebianPackage[], work: string): Promise<string> {
  const debs = join(work, "debs");
  const tree = join(work, "root");
  await mkdir(debs);
  for (const p of packages) {
    const file = await download({ id: p.name, version: p.version, uri: p.url, sha256: p.sha256 }, debs, {
      env: {},
      fileName: `${p.name}_${p.version}.deb`,
    });
    run("dpkg", ["-x", file, tree]);
  }
  return tree;
}

/**
 * Lays Debian's /usr tree out as python-build-standalone's install_only does. Drops what
 * ties it to a Debian system: the PEP 668 EXTERNALLY-MANAGED marker (pip in a venv ignores
 * it, but a pip in the base interpreter must not be told "use apt") and sitecustomize.py,
 * an absolute link to /etc/python3.11 that only installs Ubuntu's apport hook.
 */
async function layOut(tree: string, out: string): Promise<void> {
  const usr = join(tree, "usr");
  await mkdir(join(out, "bin"), { recursive: true });
  await mkdir(join(out, "lib"));
  await rename(join(usr, "lib", `python${MINOR}`), join(out, "lib", `python${MINOR}`));
  await rename(join(usr, "bin", `python${MINOR}`), join(out, "bin", `python${MINOR}`));
  await symlink(`python${MINOR}`, join(out, "bin", "python3"));
  await symlink(`python${MINOR}`, join(out, "bin", "python"));
  const stdlib = join(out, "lib", `python${MINOR}`);
  await layOutHeaders(tree, out);
  await rm(join(stdlib, "EXTERNALLY-MANAGED"), { force: true });
  await rm(join(stdlib, "sitecustomize.py"), { force: true });
  // The licenses travel with the binaries.
  for (const pkg of await readdir(join(usr, "share", "doc"))) {
    const copyright = join(usr, "share", "doc", pkg, "copyright");
    if (!existsSync(copyright)) continue;
    await mkdir(join(out, "share", "doc", pkg), { recursive: true });
    await copyFile(copyright, join(out, "share", "doc", pkg, "copyright"));
  }
  await assertSelfContainedLinks(out);
}

/**
 * CPython's headers as `include/python3.11`, where sysconfig looks relative to the prefix.
 * Debian's pyconfig.h there only includes `<x86_64-linux-gnu/python3.11/pyconfig.h>` from
 * /usr/include, which a build image has not got: the arch's own pyconfig.h replaces it.
 */
async function layOutHeaders(tree: string, out: string): Promise<void> {
  const include = join(out, "include", `python${MINOR}`);
  await mkdir(join(out, "include"));
  await rename(join(tree, "usr", "include", `python${MINOR}`), include);
  const multiarch = (await readdir(join(tree, "usr", "include"))).find((d) =>
    existsSync(join(tree, "usr", "include", d, `python${MINOR}`, "pyconfig.h")),
  );
  if (!multiarch) throw new Error(`local CPython: libpython${MINOR}-dev has no <arch>/python${MINOR}/pyconfig.h`);
  await rm(join(include, "pyconfig.h"));
  await copyFile(join(tree, "usr", "include", multiarch, `python${MINOR}`, "pyconfig.h"), join(include, "pyconfig.h"));
  // The static libpython (~25 MB) is for embedding Python in a C program, not for extensions.
  const config = join(out, "lib", `python${MINOR}`, `config-${MINOR}-${multiarch}`);
  for (const f of [`libpython${MINOR}.a`, `libpython${MINOR}-pic.a`, "python.o"])
    await rm(join(config, f), { force: true });
}

/** Throws when a symlink in `dir` is absolute or leads out of it (the tree must move as a whole). */
async function assertSelfContainedLinks(dir: string, top = dir): Promise<void> {
  for (const e of await readdir(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) await assertSelfContainedLinks(p, top);
    else if (e.isSymbolicLink()) {
      const target = await readlink(p);
      const rel = relative(top, resolve(dir, target));
      if (isAbsolute(target) || rel.startsWith("..")) {
        throw new Error(
          `local CPython: ${relative(top, p)} links to ${target}, outside the tree; it would not relocate`,
        );
      }
    }
  }
}

/**
 * Byte-compiles the standard library (Debian's postinst does this on a real system), so an
 * app's imports do not recompile it on every start in a read-only launch layer. Hash-checked
 * .pyc files, because the tarball's mtimes are fixed and timestamp .pyc would never match.
 * .pyc are arch-independent: for another arch, this machine's python3.11 compiles them.
 */
async function compileStdlib(python: string, arch: string): Promise<void> {
  const own = join(python, "bin", `python${MINOR}`);
  const runner = arch === hostArch() ? own : `/usr/bin/python${MINOR}`;
  if (!existsSync(runner)) return;
  const stdlib = join(python, "lib", `python${MINOR}`);
  // -s/-p: the embedded source path must not be this temp dir, or the tarball would differ
  // on every make (the import system replaces it with the real path when it loads a .pyc).
  const strip = ["-s", dirname(python), "-p", "/"];
  // -B: compileall's own imports must not drop timestamp .pyc into the tree first (it would
  // then skip those modules, and their .pyc would carry this temp dir's path).
  // Exit 1 means some file did not compile (Debian ships a few test fixtures with bad syntax on purpose).
  const r = spawnSync(
    runner,
    ["-B", "-m", "compileall", "-f", "-q", "-j", "0", "--invalidation-mode", "checked-hash", ...strip, stdlib],
    {
      encoding: "utf8",
      env: { PATH: process.env.PATH ?? "/usr/bin:/bin", SOURCE_DATE_EPOCH: "315532801" },
    },
  );
  if (r.status !== 0 && r.status !== 1) throw new Error(`local CPython: compileall failed: ${r.stderr || r.stdout}`);
}

/**
 * Runs the laid-out interpreter from another directory: the extension modules a web app
 * needs import, the prefix is the tree, and `-m venv --without-pip` works.
 */
async function smokeTest(python: string, work: string): Promise<void> {
  const bin = join(python, "bin", "python3");
  const code =
    "import sys, ssl, sqlite3, ctypes, venv, json, zlib, bz2, lzma, uuid, decimal, readline; print(sys.prefix)";
  const r = spawnSync(bin, ["-B", "-c", code], { cwd: "/", encoding: "utf8", env: { PATH: "/usr/bin:/bin" } });
  if (r.status !== 0 || r.stdout.trim() !== python) {
    throw new Error(`local CPython: ${bin} does not run from elsewhere: ${(r.stderr || r.stdout).trim()}`);
  }
  run(bin, ["-B", "-m", "venv", "--without-pip", join(work, "venv")]);
  run(join(work, "venv", "bin", "python"), ["-c", "import sys; assert sys.prefix != sys.base_prefix"]);
  await rm(join(work, "venv"), { recursive: true, force: true });
}

function run(cmd: string, args: string[]): void {
  const r = spawnSync(cmd, args, { encoding: "utf8" });
  if (r.status !== 0)
    throw new Error(`${cmd} ${args.join(" ")} failed: ${(r.stderr || r.stdout || String(r.error)).trim()}`);
}

/**
 * The python buildpack.toml with its CPython inventory replaced by one local tarball (of one
 * arch), its default CPython line set to that tarball's (the shipped default, 3.13.x, has no
 * local build), and its framework entry pointing back at buildpacks/python/src/index.ts.
 * Every other table (tools, servers) is the shipped one.
 */
export function localPythonBuildpackToml(
  realToml: string,
  cpython: Pick<LocalCpython, "path" | "sha256" | "version" | "debianVersion">,
  arch: "amd64" | "arm64",
  entry: string,
): string {
  const doc = parseToml(realToml, "buildpacks/python/buildpack.toml");
  const metadata = { ...((doc.metadata as TomlTable | undefined) ?? {}) };
  const others = ((metadata.dependencies as TomlTable[] | undefined) ?? []).filter((d) => d.id !== "cpython");
  const [major, minor] = cpython.version.split(".");
  metadata.dependencies = [
    {
      id: "cpython",
      name: "CPython",
      version: cpython.version,
      os: "linux",
      arch,
      uri: `file://${cpython.path}`,
      sha256: cpython.sha256,
      purl: `pkg:deb/debian/python${major}.${minor}@${cpython.debianVersion}?arch=${arch}&distro=debian-12`,
      cpes: [`cpe:2.3:a:python:python:${cpython.version}:*:*:*:*:*:*:*`],
      licenses: ["Python-2.0"],
      // CPython 3.11's end of life (PEP 664).
      "deprecation-date": new Date("2027-10-31T00:00:00Z"),
      "strip-components": 1,
    },
    ...others,
  ];
  metadata["default-versions"] = {
    ...((metadata["default-versions"] as TomlTable | undefined) ?? {}),
    cpython: `${major}.${minor}.x`,
  };
  metadata.cnbkit = { entry };
  const header = [
    "# GENERATED by builders/reference/local-python.ts. Do not edit.",
    "# buildpacks/python/buildpack.toml with the CPython inventory replaced by a CPython made",
    "# from Debian bookworm's python3.11 packages, because this machine cannot reach",
    "# python-build-standalone's releases.",
    "",
  ].join("\n");
  return `${header}${stringifyToml({ ...doc, targets: [{ os: "linux", arch }], metadata })}`;
}

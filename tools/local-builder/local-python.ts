/**
 * The CPythons the reference builder's LOCAL variant carries, for machines that cannot reach
 * python-build-standalone's GitHub releases (this repo's development and CI machines).
 *
 * Each line is made from one Debian release's python3.X .debs (python3.X-minimal,
 * libpython3.X-minimal, libpython3.X-stdlib, python3.X, libpython3.X-dev): 3.11 from Debian 12
 * (bookworm), 3.13 from Debian 13 (trixie), 3.14 and 3.15 from Debian unstable (sid), the only
 * suite this machine reaches that has them. The newest version the release's suites serve
 * (release, -updates, -security; sid alone) is taken, each .deb checked against the sha256 of the
 * Packages index (debian-index.ts), unpacked with `dpkg -x` and laid out as
 * python-build-standalone's `install_only` builds are: `python/bin/python3.X` (+ relative
 * `python3` and `python` links) and `python/lib/python3.X/` with `lib-dynload/`. Debian links
 * libpython into the executable, so there is no libpython3.X.so, and the interpreter finds its
 * prefix from its own location: the tree is relocatable. Its extension modules link the
 * system's libssl, libsqlite3-0, libffi8, libexpat1, libncursesw6, libreadline8, libbz2-1.0,
 * liblzma5, zlib1g, libuuid1, libdb5.3, libnsl2 (and 3.13 libmpdec4), which cnbkit's run image
 * carries (builder-packager/src/base/packages.ts).
 *
 * Trixie's and sid's binaries need glibc 2.38+, so 3.13, 3.14 and 3.15 run only on Debian 13
 * images (the inventory says so with `distros`, and cnbkit/python refuses them on a Debian 12
 * run image in one line); on a Debian 12 host their stdlib is byte-compiled and their smoke
 * test run in a trixie chroot (debian-chroot.ts, root). The harness tests on the host use 3.11.
 *
 * Sid's 3.14 and 3.15 run on trixie's glibc (2.41) but for one stdlib module, termios, built
 * against 2.42's new cfsetispeed/cfgetospeed symbol versions: it is compiled again against
 * trixie's glibc (trixie-termios.ts). The newest glibc each tree's ELF files need is measured
 * when it is made (glibc-need.ts) and the inventory's `distros` follow from it, so a tree that
 * still needs more than a run image has is refused at build, not installed to die at import.
 *
 * Why Debian's binaries and not CPython built from source: they take seconds to make, where
 * a source build takes ~16 min on 2 cores, and the main job and CI pay that on a fresh
 * machine. Debian strips ensurepip, so `python -m venv` needs `--without-pip` and pip comes
 * from its PyPI wheel (which is what the python buildpack does anyway).
 *
 * Tarballs are cached in `~/.cache/cnbkit/python/<debian-version>-<arch>-with-headers/`; the
 * resolved package set in `~/.cache/cnbkit/python/<codename>-python3.X-<arch>.json`, re-read
 * from the index once a day and used as is when the index cannot be reached.
 */
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { copyFile, cp, mkdir, mkdtemp, readdir, readFile, readlink, rename, rm, symlink } from "node:fs/promises";
import { dirname, isAbsolute, join, relative, resolve } from "node:path";
import { parseToml, stringifyToml, type TomlTable } from "@cnbkit/framework/cnb-files";
import { writeAtomic } from "@cnbkit/framework/fs";
import { withTrixieRoot } from "./debian-chroot.js";
import {
  BOOKWORM,
  cachedNewestPackageSet,
  type DebianPackage,
  type DebianRelease,
  SID,
  TRIXIE,
  unpackDebs,
} from "./debian-index.js";
import { debianReleasesFor, type GlibcNeed, glibcNeed } from "./glibc-need.js";
import { writeDeterministicTarGz } from "./reproducible-tarball.js";
import { rebuildTermiosForTrixie, termiosCompiler } from "./trixie-termios.js";
import { cnbkitCacheDir } from "../../builder-packager/src/cache/index.js";

/** A CPython line of the local inventory: the Debian release whose python3.X .debs make it. */
export interface LocalCpythonLine {
  /** `3.11`, `3.13`. */
  minor: string;
  release: DebianRelease;
  /** The line's end of life (PEP 664, PEP 719, PEP 745, PEP 790): the inventory's deprecation-date. */
  endOfLife: string;
}

/**
 * The local CPython lines: 3.11 from Debian 12 (runs on 12 and 13), 3.13 from Debian 13, 3.14
 * and 3.15 from Debian unstable (all three need glibc 2.38: they run only on trixie images).
 * 3.12 is in none of the suites this machine reaches (bookworm has 3.11, trixie 3.13, sid
 * 3.13-3.15; no backports or experimental carry it), and PyPI has no CPython build of it.
 */
export const LOCAL_CPYTHON_LINES: readonly LocalCpythonLine[] = [
  { minor: "3.11", release: BOOKWORM, endOfLife: "2027-10-31" },
  { minor: "3.13", release: TRIXIE, endOfLife: "2029-10-31" },
  { minor: "3.14", release: SID, endOfLife: "2030-10-31" },
  { minor: "3.15", release: SID, endOfLife: "2031-10-31" },
];

/**
 * Other builds of a line the inventory carries, for `cnbkit fleet patch`'s proof: Debian 13
 * serves python3.13 3.13.5-2+deb13u5 (no trixie-security or -updates build), sid 3.13.18-1
 * (2026-11-28), so an app pinned to 3.13.5 (BP_CPYTHON_VERSION) is patched onto sid's 3.13.18
 * and compared with a fresh build there. Sid's binaries run on trixie's glibc once termios is
 * compiled again (as for 3.14), so both run on the Debian 13 run image. Newer than the line's
 * own build, so only the builder that asks for it (prepareLocalReferenceBuilder's
 * `patchBuilds`) carries it: the main job's and CI's builders keep 3.13.5 as 3.13's newest and
 * neither download nor package it.
 */
export const LOCAL_CPYTHON_PATCH_BUILDS: readonly LocalCpythonLine[] = [
  { minor: "3.13", release: SID, endOfLife: "2029-10-31" },
];

/** The Debian packages a local CPython of `minor` is made from, in the order they are unpacked. */
export function debianPythonPackages(minor: string): string[] {
  return [
    `libpython${minor}-minimal`,
    `python${minor}-minimal`,
    `libpython${minor}-stdlib`,
    `python${minor}`,
    // include/python3.X only (its libpython3.X.a is dropped): an sdist with a C extension
    // then compiles where the build image has gcc, as on python-build-standalone's builds.
    `libpython${minor}-dev`,
  ];
}

function cpythonLine(minor: string): LocalCpythonLine {
  const line = LOCAL_CPYTHON_LINES.find((l) => l.minor === minor);
  if (!line) {
    throw new Error(`local CPython: no ${minor} line; there are ${LOCAL_CPYTHON_LINES.map((l) => l.minor).join(", ")}`);
  }
  return line;
}

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
  /** The newest glibc its ELF files need, measured when it was made: the inventory's `distros` follow from it. */
  glibc: GlibcNeed | undefined;
  /** The purl `distro` of the .debs (`debian-sid`), when not the line's own release's. */
  distro?: string;
}

/** Options of {@link localCpythonTarball}. */
export interface LocalCpythonOptions {
  /** The CPython line (a key of {@link LOCAL_CPYTHON_LINES}); default `3.11`, the one this Debian 12 host runs. */
  minor?: string;
  /** Another build of a line, from another release ({@link LOCAL_CPYTHON_PATCH_BUILDS}); overrides `minor`. */
  line?: LocalCpythonLine;
  /** The cache root; default `~/.cache/cnbkit/python`. */
  cacheDir?: string;
  /** Progress lines. */
  onProgress?: (line: string) => void;
}

/** The cache root of local CPython tarballs (`<cnbkit cache>/python`: $CNBKIT_CACHE moves it). */
export function pythonCacheDir(): string {
  return join(cnbkitCacheDir(), "python");
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
 * A relocatable CPython (3.11 from Debian 12's .debs, or 3.13 from Debian 13's) for
 * linux/`arch` (see the file comment), cached by Debian version. Made once per version in
 * under a minute; later calls return the cached tarball. 3.13 is byte-compiled and
 * smoke-tested in a trixie chroot (debian-chroot.ts), so making it needs root.
 *
 * @example
 * const { path, sha256, version } = await localCpythonTarball("amd64"); // version "3.11.2"
 * const py313 = await localCpythonTarball("amd64", { minor: "3.13" }); // version "3.13.5"
 * @throws Error one line when the Debian index or a .deb cannot be fetched or does not verify,
 * or when the laid-out interpreter does not run
 */
export async function localCpythonTarball(
  arch: "amd64" | "arm64",
  opts: LocalCpythonOptions = {},
): Promise<LocalCpython> {
  const progress = opts.onProgress ?? (() => {});
  const root = opts.cacheDir ?? pythonCacheDir();
  const line = opts.line ?? cpythonLine(opts.minor ?? "3.11");
  const distro = opts.line ? { distro: opts.line.release.distro } : {};
  const names = debianPythonPackages(line.minor);
  const indexFile = join(root, `${line.release.codename}-python${line.minor}-${arch}.json`);
  const packages = await cachedNewestPackageSet(names, arch, line.release, indexFile, progress);
  const debianVersion = (packages[0] as DebianPackage).version;
  const version = upstreamVersion(debianVersion);
  // Named by what is in it too: a tarball made before the headers were added is not this one,
  // nor, for sid's, one whose termios was (not) compiled again for trixie on a machine that had
  // (no) gcc for the arch (installing one makes it again).
  const termios = termiosCompiler(arch) ? "trixie-termios" : "sid-termios";
  const made = line.release === SID ? `with-headers-${termios}` : "with-headers";
  const dir = join(root, `${debianVersion}-${arch}-${made}`);
  const path = join(dir, `python-${debianVersion}-linux-${arch}-install_only.tar.gz`);
  const sumFile = `${path}.sha256`;
  if (existsSync(path) && existsSync(sumFile)) {
    const sha256 = (await readFile(sumFile, "utf8")).trim();
    return { path, sha256, version, debianVersion, packages, glibc: await cachedGlibcNeed(path, root), ...distro };
  }
  progress(
    `CPython ${version} (Debian ${debianVersion}, linux/${arch}) from ${packages.map((p) => p.name).join(", ")}`,
  );
  await mkdir(root, { recursive: true });
  const work = await mkdtemp(join(root, `.make-${arch}-`));
  try {
    const tree = await unpackDebs(packages, work);
    const python = join(work, "out", "python");
    await layOut(tree, python, line.minor);
    if (line.release === SID) {
      const rebuilt = await rebuildTermiosForTrixie(python, line.minor, arch, {
        cacheDir: root,
        work: join(work, "termios"),
        progress,
      });
      progress(`  ${rebuilt ?? `termios kept as sid built it (no compiler for linux/${arch} here)`}`);
    }
    await compileAndTest(python, line, arch, progress);
    const glibc = await glibcNeed(python);
    await mkdir(join(work, "final"));
    const tarball = join(work, "final", relative(dir, path));
    const sha256 = await writeDeterministicTarGz(join(work, "out"), "python", tarball);
    await writeAtomic(`${tarball}.sha256`, `${sha256}\n`);
    await writeAtomic(`${tarball}.glibc.json`, `${JSON.stringify(glibc ?? null)}\n`);
    await rm(dir, { recursive: true, force: true });
    await rename(join(work, "final"), dir);
    progress(
      `  ${relative(process.cwd(), path) || path} (sha256 ${sha256.slice(0, 12)}…, needs glibc ${glibc?.version})`,
    );
    return { path, sha256, version, debianVersion, packages, glibc, ...distro };
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

/** Byte-compiles the stdlib of the laid-out tree and smoke-tests it where this machine can run it. */
async function compileAndTest(
  python: string,
  line: LocalCpythonLine,
  arch: "amd64" | "arm64",
  progress: (l: string) => void,
): Promise<void> {
  if (line.release === BOOKWORM) {
    await compileStdlib(python, arch, line.minor);
    if (arch === hostArch()) await smokeTest(python, dirname(python));
  } else if (line.release === TRIXIE || arch === hostArch()) {
    // Sid has no python3.14 for the trixie root: the tree's own interpreter compiles its stdlib.
    const compiler = line.release === TRIXIE ? `/usr/bin/python${line.minor}` : undefined;
    await compileAndTestInTrixie(python, arch, line.minor, compiler, progress);
  }
  // else: another arch's sid CPython has no interpreter here to compile its stdlib with;
  // cnbkit/python compiles it at build when an archive carries no bytecode (compile-all.ts).
}

/**
 * The glibc need recorded beside a cached tarball; measured from the tarball (and recorded) when
 * it was made before needs were recorded.
 */
async function cachedGlibcNeed(path: string, root: string): Promise<GlibcNeed | undefined> {
  const file = `${path}.glibc.json`;
  const recorded = await readFile(file, "utf8").catch(() => undefined);
  if (recorded !== undefined) return (JSON.parse(recorded) as GlibcNeed | null) ?? undefined;
  const work = await mkdtemp(join(root, ".glibc-"));
  try {
    run("tar", ["-xzf", path, "-C", work]);
    const glibc = await glibcNeed(join(work, "python"));
    await writeAtomic(file, `${JSON.stringify(glibc ?? null)}\n`);
    return glibc;
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

/** The Debian arch name of this machine. */
function hostArch(): string {
  return process.arch === "x64" ? "amd64" : process.arch;
}

/**
 * Lays Debian's /usr tree out as python-build-standalone's install_only does. Drops what
 * ties it to a Debian system: the PEP 668 EXTERNALLY-MANAGED marker (pip in a venv ignores
 * it, but a pip in the base interpreter must not be told "use apt") and sitecustomize.py,
 * an absolute link to /etc/python3.11 that only installs Ubuntu's apport hook.
 */
async function layOut(tree: string, out: string, minor: string): Promise<void> {
  const usr = join(tree, "usr");
  await mkdir(join(out, "bin"), { recursive: true });
  await mkdir(join(out, "lib"));
  await rename(join(usr, "lib", `python${minor}`), join(out, "lib", `python${minor}`));
  await rename(join(usr, "bin", `python${minor}`), join(out, "bin", `python${minor}`));
  await symlink(`python${minor}`, join(out, "bin", "python3"));
  await symlink(`python${minor}`, join(out, "bin", "python"));
  const stdlib = join(out, "lib", `python${minor}`);
  await layOutHeaders(tree, out, minor);
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
async function layOutHeaders(tree: string, out: string, minor: string): Promise<void> {
  const include = join(out, "include", `python${minor}`);
  await mkdir(join(out, "include"));
  await rename(join(tree, "usr", "include", `python${minor}`), include);
  const multiarch = (await readdir(join(tree, "usr", "include"))).find((d) =>
    existsSync(join(tree, "usr", "include", d, `python${minor}`, "pyconfig.h")),
  );
  if (!multiarch) throw new Error(`local CPython: libpython${minor}-dev has no <arch>/python${minor}/pyconfig.h`);
  await rm(join(include, "pyconfig.h"));
  await copyFile(join(tree, "usr", "include", multiarch, `python${minor}`, "pyconfig.h"), join(include, "pyconfig.h"));
  // The static libpython (~25 MB) is for embedding Python in a C program, not for extensions.
  const config = join(out, "lib", `python${minor}`, `config-${minor}-${multiarch}`);
  for (const f of [`libpython${minor}.a`, `libpython${minor}-pic.a`, "python.o"])
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
async function compileStdlib(python: string, arch: string, minor: string): Promise<void> {
  const own = join(python, "bin", `python${minor}`);
  const runner = arch === hostArch() ? own : `/usr/bin/python${minor}`;
  if (!existsSync(runner)) return;
  const r = spawnSync(runner, compileallArgs(python, minor), {
    encoding: "utf8",
    env: { PATH: process.env.PATH ?? "/usr/bin:/bin", SOURCE_DATE_EPOCH: "315532801" },
  });
  checkCompiled(python, minor, r);
}

/**
 * Throws unless compileall compiled the stdlib: it exits 1 both when a few of Debian's test
 * fixtures (bad syntax on purpose) do not compile and when it could not run at all.
 */
function checkCompiled(python: string, minor: string, r: { status: number | null; stderr: string; stdout: string }) {
  const os = join(python, "lib", `python${minor}`, "__pycache__", `os.cpython-${minor.replace(".", "")}.pyc`);
  if ((r.status !== 0 && r.status !== 1) || !existsSync(os)) {
    const why = (r.stderr || r.stdout).trim().split("\n").slice(-1)[0];
    throw new Error(
      `local CPython: compileall did not compile ${python}/lib/python${minor} (exit ${r.status}): ${why}`,
    );
  }
}

/** compileall's arguments for the stdlib of the tree at `python`. */
function compileallArgs(python: string, minor: string): string[] {
  const stdlib = join(python, "lib", `python${minor}`);
  // -s/-p: the embedded source path must not be this temp dir, or the tarball would differ
  // on every make (the import system replaces it with the real path when it loads a .pyc).
  const strip = ["-s", dirname(python), "-p", "/"];
  // -B: compileall's own imports must not drop timestamp .pyc into the tree first (it would
  // then skip those modules, and their .pyc would carry this temp dir's path).
  return ["-B", "-m", "compileall", "-f", "-q", "-j", "0", "--invalidation-mode", "checked-hash", ...strip, stdlib];
}

/** The checks {@link smokeTest} runs: extension modules a web app needs import, and the prefix is the tree. */
const SMOKE_IMPORTS =
  "import sys, ssl, sqlite3, ctypes, venv, json, zlib, bz2, lzma, uuid, decimal, readline, termios, tty, pty; print(sys.prefix)";

/**
 * A trixie or sid CPython cannot run on a Debian 12 host: its stdlib is byte-compiled in a
 * trixie chroot by `compiler` (trixie's own python3.13, the same Debian version's bytecode;
 * .pyc do not depend on the arch) or, when undefined, by the tree's own interpreter (sid's
 * 3.14 and 3.15, which trixie does not carry; then only for this machine's arch), and, for
 * this machine's arch, the tree itself is smoke-tested there as {@link smokeTest} does on
 * the host. The tree moves into the chroot and back.
 */
async function compileAndTestInTrixie(
  python: string,
  arch: string,
  minor: string,
  compiler: string | undefined,
  progress: (l: string) => void,
): Promise<void> {
  await withTrixieRoot(async (root) => {
    const inside = join(root.dir, "opt", "cnbkit-python");
    await mkdir(dirname(inside), { recursive: true });
    await rename(python, inside).catch(() => cp(python, inside, { recursive: true, verbatimSymlinks: true }));
    await rm(python, { recursive: true, force: true });
    try {
      const at = "/opt/cnbkit-python";
      const r = root.spawn(compiler ?? `${at}/bin/python${minor}`, compileallArgs(at, minor), {
        SOURCE_DATE_EPOCH: "315532801",
      });
      checkCompiled(inside, minor, r);
      if (arch === hostArch()) {
        const prefix = root.run(`${at}/bin/python3`, ["-B", "-c", SMOKE_IMPORTS]).trim();
        if (prefix !== at) throw new Error(`local CPython: ${at}/bin/python3 reports prefix ${prefix}`);
        root.run(`${at}/bin/python3`, ["-B", "-m", "venv", "--without-pip", "/tmp/venv"]);
        root.run("/tmp/venv/bin/python", ["-c", "import sys; assert sys.prefix != sys.base_prefix"]);
      }
    } finally {
      await rename(inside, python).catch(() => cp(inside, python, { recursive: true, verbatimSymlinks: true }));
    }
  }, progress);
}

/**
 * Runs the laid-out interpreter from another directory: the extension modules a web app
 * needs import, the prefix is the tree, and `-m venv --without-pip` works.
 */
async function smokeTest(python: string, work: string): Promise<void> {
  const bin = join(python, "bin", "python3");
  const r = spawnSync(bin, ["-B", "-c", SMOKE_IMPORTS], { cwd: "/", encoding: "utf8", env: { PATH: "/usr/bin:/bin" } });
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
 * The python buildpack.toml with its CPython inventory replaced by local tarballs (of one
 * arch), its default CPython line set to `defaultLine` (the shipped default when the local
 * inventory has that line), and its framework entry pointing back at
 * buildpacks/python/src/index.ts. Every other table (tools, servers) is the shipped one.
 *
 * @throws Error when `defaultLine` matches none of `cpythons`
 */
export function localPythonBuildpackToml(
  realToml: string,
  cpythons: readonly Pick<LocalCpython, "path" | "sha256" | "version" | "debianVersion" | "glibc" | "distro">[],
  arch: "amd64" | "arm64",
  entry: string,
  defaultLine: string,
): string {
  const doc = parseToml(realToml, "buildpacks/python/buildpack.toml");
  const metadata = { ...((doc.metadata as TomlTable | undefined) ?? {}) };
  const others = ((metadata.dependencies as TomlTable[] | undefined) ?? []).filter((d) => d.id !== "cpython");
  const minorOf = (version: string) => version.split(".").slice(0, 2).join(".");
  if (!cpythons.some((c) => minorOf(c.version) === defaultLine)) {
    throw new Error(
      `local CPython: the default line ${defaultLine} is not among ${cpythons.map((c) => c.version).join(", ")}`,
    );
  }
  metadata.dependencies = [
    ...cpythons.map((cpython) => {
      const line = cpythonLine(minorOf(cpython.version));
      return {
        id: "cpython",
        name: "CPython",
        version: cpython.version,
        os: "linux",
        arch,
        uri: `file://${cpython.path}`,
        sha256: cpython.sha256,
        purl: `pkg:deb/debian/python${line.minor}@${encodeURIComponent(cpython.debianVersion)}?arch=${arch}&distro=${cpython.distro ?? line.release.distro}`,
        cpes: [`cpe:2.3:a:python:python:${cpython.version}:*:*:*:*:*:*:*`],
        licenses: ["Python-2.0"],
        "deprecation-date": new Date(`${line.endOfLife}T00:00:00Z`),
        "strip-components": 1,
        // The Debian releases whose glibc meets what its ELF files need (measured when it was
        // made): 3.13-3.15 need 2.38+, which Debian 12 lacks. None: cnbkit/python refuses it.
        distros: debianReleasesFor(cpython.glibc?.version ?? "0.0").map((version) => ({ name: "debian", version })),
      };
    }),
    ...others,
  ];
  metadata["default-versions"] = {
    ...((metadata["default-versions"] as TomlTable | undefined) ?? {}),
    cpython: `${defaultLine}.x`,
  };
  metadata.cnbkit = { entry };
  const header = [
    "# GENERATED by tools/local-builder/local-python.ts. Do not edit.",
    "# buildpacks/python/buildpack.toml with the CPython inventory replaced by CPythons made",
    "# from Debian's python3.X packages (3.11 from Debian 12, 3.13 from Debian 13, 3.14 and",
    "# 3.15 from Debian unstable), because this machine cannot reach python-build-standalone's",
    "# releases. `distros` names the run images each runs on (3.13-3.15 need glibc 2.38+).",
    "",
  ].join("\n");
  return `${header}${stringifyToml({ ...doc, targets: [{ os: "linux", arch }], metadata })}`;
}

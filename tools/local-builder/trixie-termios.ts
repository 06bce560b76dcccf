/**
 * Sid's CPython 3.14 and 3.15 with a termios module Debian 13 can load.
 *
 * Sid builds against glibc 2.42, whose cfgetispeed/cfgetospeed/cfsetispeed/cfsetospeed got new
 * symbol versions (arbitrary baud rates); termios is the one stdlib module that calls them, so
 * on trixie's 2.41 `import termios` (and tty, pty, getpass's echo-off path, and every app that
 * imports them: Gradio through its CLI helpers) fails with `GLIBC_2.42 not found`. Everything
 * else in those trees needs 2.38 at most (glibc-need.ts measures it).
 *
 * The module is compiled again here against trixie's own glibc and kernel headers (libc6-dev,
 * linux-libc-dev, unpacked into a sysroot), so it needs what the run image has. Its source is
 * CPython's Modules/termios.c from trixie's python3.13 source package, the newest CPython
 * source Debian's archive serves this machine (sid's python3.14/3.15 sources are not served).
 * It is built for the limited C API of 3.13 (`Py_LIMITED_API 0x030d0000`), the stable ABI,
 * so 3.14 and 3.15 load it as they load any abi3 extension. Its constants are those trixie's
 * headers define: the four baud rates glibc 2.42 added (B7200, B14400, B28800, B76800) are
 * absent, as they are from trixie's own python3.13, and the TCGETA family 2.42 dropped is
 * there. Before it replaces sid's module, every tc* function sid's names is checked for.
 *
 * The host's gcc compiles it for this machine's arch, and `<triple>-gcc` for the other one when
 * it is installed (gcc-aarch64-linux-gnu; setup.sh does not install it, for CI's time). Without
 * one, that arch keeps sid's module, and its measured glibc need keeps that CPython off Debian 13
 * run images with one line at build (local-python.ts, cnbkit/python's cpython-distro.ts).
 */
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdir, readdir, readFile, rename, rm, symlink } from "node:fs/promises";
import { join } from "node:path";
import { download } from "@cnbkit/framework/dependencies";
import { cachedNewestPackageSet, TRIXIE, unpackDebs } from "./debian-index.js";
import { compareGlibc, DEBIAN_GLIBC, glibcNeed } from "./glibc-need.js";

/** Trixie's python3.13 upstream tarball (the sha256 of trixie's Sources index) and the files taken from it. */
export const TERMIOS_SOURCE = {
  uri: `${TRIXIE.suites[0]?.archive}/pool/main/p/python3.13/python3.13_3.13.5.orig.tar.xz`,
  sha256: "93e583f243454e6e9e4588ca2c2662206ad961659863277afcdb96801647d640",
  top: "Python-3.13.5",
  files: ["Modules/termios.c", "Modules/clinic/termios.c.h"],
} as const;

/** The GNU multiarch triple of a Debian arch. */
function triple(arch: string): string {
  return arch === "arm64" ? "aarch64-linux-gnu" : "x86_64-linux-gnu";
}

/**
 * The gcc that compiles for `arch` here: `gcc` for this machine's arch, `<triple>-gcc` for the
 * other one; undefined when it is not installed (then sid's termios is kept).
 */
export function termiosCompiler(arch: "amd64" | "arm64"): string | undefined {
  const gcc = arch === (process.arch === "x64" ? "amd64" : process.arch) ? "gcc" : `${triple(arch)}-gcc`;
  return spawnSync(gcc, ["--version"]).status === 0 ? gcc : undefined;
}

/**
 * Replaces the termios module of the CPython tree at `python` (of `minor`, for `arch`) with one
 * compiled against trixie's glibc; returns a one-line account, or undefined when there is no
 * compiler for `arch` here (the tree is left as it is).
 *
 * @throws Error one line when a download does not verify, gcc fails, or the new module lacks a
 * function sid's has or still needs a newer glibc than trixie's
 */
export async function rebuildTermiosForTrixie(
  python: string,
  minor: string,
  arch: "amd64" | "arm64",
  opts: { cacheDir: string; work: string; progress: (l: string) => void },
): Promise<string | undefined> {
  const gcc = termiosCompiler(arch);
  if (!gcc) return undefined;
  const dynload = join(python, "lib", `python${minor}`, "lib-dynload");
  const name = (await readdir(dynload)).find((f) => f.startsWith("termios.cpython-") && f.endsWith(".so"));
  if (!name) throw new Error(`local CPython: ${dynload} has no termios module to rebuild`);
  const src = await termiosSource(opts.cacheDir, opts.work);
  const sysroot = await trixieSysroot(arch, opts);
  const out = join(opts.work, name);
  const cc = spawnSync(
    gcc,
    [
      `--sysroot=${sysroot}`,
      ...["-isystem", join(sysroot, "usr", "include", triple(arch)), "-isystem", join(sysroot, "usr", "include")],
      ...["-shared", "-fPIC", "-O2", "-g0", "-Wl,-z,relro,-z,now", `-ffile-prefix-map=${opts.work}=.`],
      ...["-I", join(src, "Modules"), "-I", join(python, "include", `python${minor}`)],
      ...["-o", out, join(src, "Modules", "termios.c")],
    ],
    { encoding: "utf8" },
  );
  if (cc.status !== 0)
    throw new Error(`local CPython: gcc termios.c failed: ${(cc.stderr || String(cc.error)).trim()}`);
  await checkReplacement(join(dynload, name), out, opts.work);
  await rename(out, join(dynload, name));
  return `termios recompiled against trixie's glibc (from ${TERMIOS_SOURCE.top}'s Modules/termios.c, limited C API)`;
}

/** Throws unless `rebuilt` has every tc* function of `original` and needs no newer glibc than trixie's. */
async function checkReplacement(original: string, rebuilt: string, work: string): Promise<void> {
  const functions = async (f: string) =>
    // Lookarounds: two names side by side share the NUL between them.
    new Set((await readFile(f, "latin1")).match(/(?<=\0)tc[a-z]+(?=\0)/g) ?? []);
  const have = await functions(rebuilt);
  const missing = [...(await functions(original))].filter((f) => !have.has(f));
  if (missing.length > 0) {
    throw new Error(`local CPython: the rebuilt termios lacks ${missing.join(", ")}, which sid's has`);
  }
  const dir = join(work, "termios-check");
  await mkdir(dir, { recursive: true });
  await rename(rebuilt, join(dir, "termios.so"));
  const need = await glibcNeed(dir);
  await rename(join(dir, "termios.so"), rebuilt);
  const trixie = DEBIAN_GLIBC.find((d) => d.version === "13")?.glibc ?? "2.41";
  if (need && compareGlibc(need.version, trixie) > 0) {
    throw new Error(`local CPython: the rebuilt termios still needs glibc ${need.version}; trixie has ${trixie}`);
  }
}

/** termios.c and its Argument Clinic header from {@link TERMIOS_SOURCE}, extracted under `work`. */
async function termiosSource(cacheDir: string, work: string): Promise<string> {
  const tarball = await download({ id: "python3.13 source", version: "3.13.5", ...TERMIOS_SOURCE }, work, {
    env: {},
    cacheDir: join(cacheDir, "sources"),
  });
  const members = TERMIOS_SOURCE.files.map((f) => `${TERMIOS_SOURCE.top}/${f}`);
  const r = spawnSync("tar", ["-xJf", tarball, "-C", work, ...members], { encoding: "utf8" });
  if (r.status !== 0) throw new Error(`local CPython: tar -xJf ${tarball} failed: ${r.stderr.trim()}`);
  await rm(tarball, { force: true });
  return join(work, TERMIOS_SOURCE.top);
}

/**
 * Trixie's libc6, libc6-dev and linux-libc-dev for `arch` unpacked into a sysroot under
 * `work` (the index resolution is cached beside the CPython ones); returns its root.
 */
async function trixieSysroot(arch: string, opts: { cacheDir: string; work: string; progress: (l: string) => void }) {
  const glibc = await cachedNewestPackageSet(
    ["libc6", "libc6-dev"],
    arch,
    TRIXIE,
    join(opts.cacheDir, `trixie-libc6-dev-${arch}.json`),
    opts.progress,
  );
  const kernel = await cachedNewestPackageSet(
    ["linux-libc-dev"],
    arch,
    TRIXIE,
    join(opts.cacheDir, `trixie-linux-libc-dev-${arch}.json`),
    opts.progress,
  );
  const root = await unpackDebs([...glibc, ...kernel], join(opts.work, "sysroot"));
  // libc.so names /lib/<triple>/libc.so.6: merged-/usr's links, which base-files makes on a real system.
  for (const dir of ["lib", "lib64"]) {
    if (!existsSync(join(root, dir)) && existsSync(join(root, "usr", dir)))
      await symlink(join("usr", dir), join(root, dir));
  }
  return root;
}

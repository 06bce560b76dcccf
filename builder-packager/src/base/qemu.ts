/**
 * The qemu user-mode emulator cnbkit runs foreign-arch binaries with: a static
 * `qemu-<arch>-static` ≥ 8.0 that scripts/fetch-qemu.sh takes from a newer Debian suite's
 * `qemu-user` package into `<cache>/qemu/<version>/`, with that package's binfmt_misc line.
 *
 * Not bookworm's own qemu-user-static (7.2): Go ≥ 1.23 programs, the lifecycle among them,
 * hang in os/exec under QEMU user mode 7.x (golang/go#68976, #69259); an arm64 build sat at
 * `===> DETECTING` for good.
 */
import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { readFile, realpath } from "node:fs/promises";
import { join } from "node:path";
import { promisify } from "node:util";
import { cnbkitCacheDir } from "../cache/index.js";

const exec = promisify(execFile);

/** The oldest qemu major version under which Go programs do not hang. */
export const MIN_QEMU_MAJOR = 8;

/** qemu's name for a Debian arch. */
export function qemuArch(debianArch: string): string {
  const names: Record<string, string> = {
    amd64: "x86_64",
    arm64: "aarch64",
    armhf: "arm",
    ppc64el: "ppc64le",
    s390x: "s390x",
    riscv64: "riscv64",
  };
  return names[debianArch] ?? debianArch;
}

/** A qemu emulator in cnbkit's cache, ready to register. */
export interface CachedQemu {
  /** Absolute path of the static emulator, symlinks resolved (the version dir). */
  path: string;
  /** Its version, e.g. "10.0.13". */
  version: string;
  /**
   * The binfmt_misc registration line (`:name:M::magic:mask:interpreter:flags`): the
   * package's magic and mask, this emulator as interpreter, and the F flag.
   */
  binfmtLine: string;
}

/** Where scripts/fetch-qemu.sh keeps the current emulator for `debianArch`. */
export function cachedQemuPath(debianArch: string, cache = cnbkitCacheDir()): string {
  return join(cache, "qemu", "current", `qemu-${qemuArch(debianArch)}-static`);
}

/**
 * The emulator for `debianArch` that scripts/fetch-qemu.sh cached, or undefined when there is
 * none (or it is older than {@link MIN_QEMU_MAJOR}).
 *
 * @example
 * const q = await cachedQemu("arm64"); // { path: "~/.cache/cnbkit/qemu/10.0.13+ds-0+deb13u1/qemu-aarch64-static", version: "10.0.13", ... }
 */
export async function cachedQemu(debianArch: string, cache = cnbkitCacheDir()): Promise<CachedQemu | undefined> {
  const link = cachedQemuPath(debianArch, cache);
  if (!existsSync(link)) return undefined;
  const path = await realpath(link);
  const q = qemuArch(debianArch);
  const conf = await readFile(join(path, "..", `qemu-${q}.conf`), "utf8").catch(() => undefined);
  const version = await qemuVersion(path);
  if (conf === undefined || version === undefined || majorOf(version) < MIN_QEMU_MAJOR) return undefined;
  // `:name:type:offset:magic:mask:interpreter:flags`; magic and mask are \x-escaped, no ':'.
  const fields = conf.trim().split(":");
  if (fields.length !== 8) return undefined;
  const flags = new Set((fields[7] ?? "").split(""));
  flags.add("F");
  fields[6] = path;
  fields[7] = [...flags].join("");
  return { path, version, binfmtLine: fields.join(":") };
}

const versions = new Map<string, string | undefined>();

/**
 * The version a qemu user-mode emulator reports (`qemu-aarch64 version 10.0.13 (...)` →
 * "10.0.13"), symlinks resolved, or undefined when it cannot be run or says something else.
 * Cached per path.
 */
export async function qemuVersion(path: string): Promise<string | undefined> {
  if (versions.has(path)) return versions.get(path);
  let version: string | undefined;
  try {
    // Debian registers `aarch64-binfmt-P`, a symlink whose name makes qemu take its first
    // argument as the program to run: ask the file it points to.
    const real = await realpath(path).catch(() => path);
    const { stdout } = await exec(real, ["--version"], { timeout: 10_000 });
    version = /^qemu-\S+ version (\d+\.\d+(?:\.\d+)?)/m.exec(stdout)?.[1];
  } catch {
    version = undefined;
  }
  versions.set(path, version);
  return version;
}

/** The major number of a version string ("10.0.13" → 10). */
export function majorOf(version: string): number {
  return Number.parseInt(version, 10);
}

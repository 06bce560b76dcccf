/**
 * Running foreign-arch binaries (an arm64 rootfs on an amd64 host) through qemu and the
 * kernel's binfmt_misc.
 *
 * debootstrap's second stage and runc both exec the rootfs's own binaries, so the host's
 * kernel must hand them to qemu. The handler must carry the F (fix-binary) flag: the kernel
 * then opens qemu when the handler is registered, so it works inside a chroot or container
 * that has no qemu of its own. And it must be qemu ≥ 8.0 (see qemu.ts): under 7.x the
 * lifecycle, a Go program, hangs. cnbkit registers the emulator scripts/fetch-qemu.sh cached
 * when it runs as root, and replaces a handler that fails any of these checks.
 */
import { existsSync } from "node:fs";
import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { CnbError } from "@cnbkit/framework";
import { cnbkitCacheDir, withDirLock } from "../cache/index.js";
import { type CachedQemu, cachedQemu, MIN_QEMU_MAJOR, majorOf, qemuArch, qemuVersion } from "./qemu.js";
import { runCommand } from "./run-command.js";

export { qemuArch } from "./qemu.js";

/** Where the kernel exposes binfmt_misc. */
export const BINFMT_DIR = "/proc/sys/fs/binfmt_misc";

/** The state of the qemu handler for one arch. */
export interface QemuBinfmtStatus {
  /** binfmt_misc is mounted. */
  mounted: boolean;
  /** A `qemu-<arch>` handler is registered. */
  registered: boolean;
  enabled: boolean;
  /** Registered with the F flag, so it works inside chroots and containers. */
  fixBinary: boolean;
  /** The handler's interpreter path, when registered. */
  interpreter?: string;
}

/** Where binfmt_misc is and where cnbkit's qemu is cached; both for tests. */
export interface BinfmtPlaces {
  /** binfmt_misc (default {@link BINFMT_DIR}). */
  dir?: string;
  /** cnbkit's cache root (default `$CNBKIT_CACHE` or ~/.cache/cnbkit). */
  cache?: string;
}

/** Reads the qemu handler's state for `debianArch` (e.g. "arm64") from binfmt_misc. */
export async function qemuBinfmtStatus(debianArch: string, dir = BINFMT_DIR): Promise<QemuBinfmtStatus> {
  const mounted = existsSync(join(dir, "register"));
  let text: string;
  try {
    text = await readFile(join(dir, `qemu-${qemuArch(debianArch)}`), "utf8");
  } catch {
    return { mounted, registered: false, enabled: false, fixBinary: false };
  }
  const flags = /^flags: *(\S*)/m.exec(text)?.[1] ?? "";
  const interpreter = /^interpreter (\S+)/m.exec(text)?.[1];
  return {
    mounted,
    registered: true,
    enabled: /^enabled$/m.test(text),
    fixBinary: flags.includes("F"),
    ...(interpreter ? { interpreter } : {}),
  };
}

/**
 * Why binaries of `debianArch` cannot run here through qemu (in a chroot or container), or
 * undefined when they can: binfmt_misc mounted, the handler registered, enabled, with the F
 * flag, and its interpreter a qemu ≥ 8.0.
 */
export async function qemuBinfmtProblem(debianArch: string, dir = BINFMT_DIR): Promise<string | undefined> {
  const s = await qemuBinfmtStatus(debianArch, dir);
  const q = qemuArch(debianArch);
  if (!s.mounted) return `binfmt_misc is not mounted at ${dir}`;
  if (!s.registered) return `no qemu-${q} handler is registered in ${dir}`;
  if (!s.enabled) return `the qemu-${q} handler in ${dir} is disabled`;
  if (!s.fixBinary) return `the qemu-${q} handler in ${dir} lacks the F (fix-binary) flag, so it fails inside a chroot`;
  const version = s.interpreter ? await qemuVersion(s.interpreter) : undefined;
  if (version === undefined) {
    return `the qemu-${q} handler's interpreter ${s.interpreter ?? "(none)"} does not run here, so its qemu version is unknown`;
  }
  if (majorOf(version) < MIN_QEMU_MAJOR) {
    return `the qemu-${q} handler runs qemu ${version} (${s.interpreter}), under which Go programs such as the lifecycle hang (golang/go#68976); cnbkit needs qemu >= ${MIN_QEMU_MAJOR}.0`;
  }
  return undefined;
}

/**
 * The shell commands that make `debianArch` runnable here, as one hint line: fetch qemu if
 * cnbkit's cache has none, then (as root, through sudo) mount binfmt_misc, drop a handler that
 * is in the way, and register cnbkit's qemu with the F flag.
 */
export async function qemuBinfmtHint(debianArch: string, places: BinfmtPlaces = {}): Promise<string> {
  const dir = places.dir ?? BINFMT_DIR;
  const cache = places.cache ?? cnbkitCacheDir();
  const q = qemuArch(debianArch);
  const s = await qemuBinfmtStatus(debianArch, dir);
  const fetch = (await cachedQemu(debianArch, cache)) ? "" : "bash scripts/fetch-qemu.sh && ";
  const root = [
    ...(s.mounted ? [] : [`mount -t binfmt_misc binfmt_misc ${dir}`]),
    ...(s.registered ? [`echo -1 > ${dir}/qemu-${q}`] : []),
    `cat ${join(cache, "qemu", "current", `qemu-${q}.conf`)} > ${join(dir, "register")}`,
  ];
  return `run: ${fetch}sudo sh -c '${root.join("; ")}' (or run cnbkit as root: it does this itself)`;
}

/**
 * Throws a one-line {@link CnbError} with the fix unless binaries of `debianArch` can run
 * here (in a chroot or container) through qemu.
 */
export async function checkQemuBinfmt(debianArch: string, places: BinfmtPlaces = {}): Promise<void> {
  const why = await qemuBinfmtProblem(debianArch, places.dir);
  if (why === undefined) return;
  throw new CnbError(`${debianArch}: cannot run ${debianArch} binaries on this ${hostArch()} machine: ${why}`, {
    hint: await qemuBinfmtHint(debianArch, places),
  });
}

/**
 * Makes `debianArch` runnable here: mounts binfmt_misc if needed and registers cnbkit's
 * cached qemu (see qemu.ts) with the F flag, replacing a handler that is missing, disabled,
 * without F or older than qemu 8. Needs root; changes kernel state for the whole machine (as
 * installing qemu-user-static on a systemd host would). Returns the emulator it registered,
 * or undefined when the handler was fine already.
 */
export async function enableQemuBinfmt(debianArch: string, places: BinfmtPlaces = {}): Promise<CachedQemu | undefined> {
  const dir = places.dir ?? BINFMT_DIR;
  const cache = places.cache ?? cnbkitCacheDir();
  if ((await qemuBinfmtProblem(debianArch, dir)) === undefined) return undefined;
  const qemu = await cachedQemu(debianArch, cache);
  if (!qemu) {
    throw new CnbError(`no qemu >= ${MIN_QEMU_MAJOR}.0 for linux/${debianArch} in ${join(cache, "qemu")}`, {
      hint: "run bash scripts/fetch-qemu.sh (scripts/setup.sh --arch arm64 runs it); Debian 12's own qemu-user-static 7.2 hangs Go programs such as the lifecycle",
    });
  }
  const q = qemuArch(debianArch);
  // Two cnbkit processes must not unregister each other's fresh handler.
  await withDirLock(join(cache, "qemu", `.binfmt-${q}.lock`), async () => {
    if ((await qemuBinfmtProblem(debianArch, dir)) === undefined) return;
    if (!(await qemuBinfmtStatus(debianArch, dir)).mounted) {
      await runCommand("mount", ["-t", "binfmt_misc", "binfmt_misc", dir]);
    }
    if ((await qemuBinfmtStatus(debianArch, dir)).registered) {
      await writeFile(join(dir, `qemu-${q}`), "-1").catch(ignoreCode("ENOENT"));
    }
    await writeFile(join(dir, "register"), qemu.binfmtLine).catch(ignoreCode("EEXIST"));
  });
  await checkQemuBinfmt(debianArch, { dir, cache });
  return qemu;
}

/** Options of {@link ensureQemuBinfmt}. */
export interface EnsureQemuOptions extends BinfmtPlaces {
  /** Starts the error line (default: "<arch>: cannot run <arch> binaries on this <host> machine"). */
  context?: string;
  /** Gets the one line saying that emulation was enabled. */
  onLog?: (line: string) => void;
  /** Register qemu when it is missing (default: when running as root). */
  enable?: boolean;
}

/**
 * What every foreign-arch entry point calls: returns at once when binaries of `debianArch`
 * already run here through a good qemu handler; as root (or with `enable`), registers cnbkit's
 * qemu and logs one line saying so; otherwise throws a one-line {@link CnbError} whose hint is the exact shell
 * commands to run.
 *
 * @example
 * await ensureQemuBinfmt("arm64", { onLog: console.error });
 * // Registered qemu 10.0.13 for linux/arm64 in /proc/sys/fs/binfmt_misc (binfmt_misc is not mounted ...): /root/.cache/cnbkit/qemu/...
 */
export async function ensureQemuBinfmt(debianArch: string, opts: EnsureQemuOptions = {}): Promise<void> {
  const dir = opts.dir ?? BINFMT_DIR;
  const why = await qemuBinfmtProblem(debianArch, dir);
  if (why === undefined) return;
  const context = opts.context ?? `${debianArch}: cannot run ${debianArch} binaries on this ${hostArch()} machine`;
  if (!(opts.enable ?? process.getuid?.() === 0)) {
    throw new CnbError(`${context}: ${why}`, { hint: await qemuBinfmtHint(debianArch, opts) });
  }
  const qemu = await enableQemuBinfmt(debianArch, opts);
  if (qemu) {
    opts.onLog?.(`Registered qemu ${qemu.version} for linux/${debianArch} in ${dir} (was: ${why}): ${qemu.path}`);
  }
}

function hostArch(): string {
  return process.arch === "x64" ? "amd64" : process.arch;
}

function ignoreCode(code: string): (err: NodeJS.ErrnoException) => void {
  return (err) => {
    if (err.code !== code) throw err;
  };
}

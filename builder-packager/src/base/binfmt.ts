/**
 * Running foreign-arch binaries (an arm64 rootfs on an amd64 host) through qemu-user-static
 * and the kernel's binfmt_misc.
 *
 * debootstrap's second stage and runc both exec the rootfs's own binaries, so the host's
 * kernel must hand them to qemu. The handler must carry the F (fix-binary) flag: the kernel
 * then opens qemu when the handler is registered, so it works inside a chroot or container
 * that has no qemu of its own.
 */
import { existsSync } from "node:fs";
import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { CnbError } from "@cnbkit/framework";
import { runCommand } from "./run-command.js";

/** Where the kernel exposes binfmt_misc. */
export const BINFMT_DIR = "/proc/sys/fs/binfmt_misc";

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

/** The state of the qemu handler for one arch. */
export interface QemuBinfmtStatus {
  /** binfmt_misc is mounted. */
  mounted: boolean;
  /** A `qemu-<arch>` handler is registered. */
  registered: boolean;
  enabled: boolean;
  /** Registered with the F flag, so it works inside chroots and containers. */
  fixBinary: boolean;
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
  return { mounted, registered: true, enabled: /^enabled$/m.test(text), fixBinary: flags.includes("F") };
}

/**
 * Throws a one-line {@link CnbError} with the fix unless binaries of `debianArch` can run
 * here (in a chroot or container) through qemu.
 */
export async function checkQemuBinfmt(debianArch: string, dir = BINFMT_DIR): Promise<void> {
  const why = await qemuBinfmtProblem(debianArch, dir);
  if (why === undefined) return;
  throw new CnbError(`${debianArch}: cannot run ${debianArch} binaries on this ${process.arch} machine: ${why}`, {
    hint: qemuBinfmtHint(debianArch),
  });
}

/**
 * Why binaries of `debianArch` cannot run here through qemu (in a chroot or container), or
 * undefined when they can.
 */
export async function qemuBinfmtProblem(debianArch: string, dir = BINFMT_DIR): Promise<string | undefined> {
  const s = await qemuBinfmtStatus(debianArch, dir);
  if (s.registered && s.enabled && s.fixBinary) return undefined;
  const q = qemuArch(debianArch);
  return !s.mounted
    ? `binfmt_misc is not mounted at ${dir}`
    : !s.registered
      ? `no qemu-${q} handler is registered in ${dir}`
      : !s.enabled
        ? `the qemu-${q} handler in ${dir} is disabled`
        : `the qemu-${q} handler in ${dir} lacks the F (fix-binary) flag, so it fails inside a chroot`;
}

/** What to do when {@link qemuBinfmtProblem} finds one. */
export function qemuBinfmtHint(debianArch: string): string {
  return `as root: install qemu-user-static, then call enableQemuBinfmt("${debianArch}") (mounts binfmt_misc and registers /usr/lib/binfmt.d/qemu-${qemuArch(debianArch)}.conf)`;
}

/**
 * Mounts binfmt_misc if needed and (re)registers the qemu handler for `debianArch` from
 * qemu-user-static's `/usr/lib/binfmt.d/qemu-<arch>.conf`, which has the F flag. Needs root;
 * changes kernel state for the whole machine (as installing qemu-user-static on a systemd
 * host would).
 */
export async function enableQemuBinfmt(debianArch: string, dir = BINFMT_DIR): Promise<void> {
  const q = qemuArch(debianArch);
  let s = await qemuBinfmtStatus(debianArch, dir);
  if (s.registered && s.enabled && s.fixBinary) return;
  if (!s.mounted) await runCommand("mount", ["-t", "binfmt_misc", "binfmt_misc", dir]);
  s = await qemuBinfmtStatus(debianArch, dir);
  if (s.registered && !s.fixBinary) await writeFile(join(dir, `qemu-${q}`), "-1"); // unregister, to add F below
  if (s.registered && s.fixBinary && !s.enabled) await writeFile(join(dir, `qemu-${q}`), "1");
  else if (!s.registered || !s.fixBinary) {
    const conf = `/usr/lib/binfmt.d/qemu-${q}.conf`;
    let line: string;
    try {
      line = (await readFile(conf, "utf8")).trim();
    } catch {
      throw new CnbError(`${conf}: missing, so ${debianArch} binaries cannot be run`, {
        hint: "install the Debian package qemu-user-static",
      });
    }
    await writeFile(join(dir, "register"), line);
  }
  await checkQemuBinfmt(debianArch, dir);
}

/**
 * A throwaway Debian 13 (trixie) root to run trixie binaries in: the local CPython 3.13 and
 * JDKs 21 and 25 are made from trixie's .debs, which need glibc 2.38+, and this machine may be
 * Debian 12 (2.36). The rootfs is debootstrapped once (builder-packager's cached
 * ensureDebianRootfs, as root) with python3.13 in it (it byte-compiles the 3.13 stdlib of any
 * arch, as the host's python3.11 does for 3.11); each use gets a hardlinked copy of it
 * (`cp -al`, ~0.2 s) to add files to and chroot into, removed afterwards.
 */
import { spawnSync } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { join } from "node:path";
import { ensureDebianRootfs } from "../../builder-packager/src/base/rootfs.js";
import { cnbkitCacheDir } from "../../builder-packager/src/cache/index.js";

/** The packages of the trixie rootfs: its python3.13 (and the libraries that pulls in). */
export const TRIXIE_ROOTFS_PACKAGES: readonly string[] = ["python3.13"];

/** A copy of the trixie rootfs: its directory, and a way to run a command chrooted into it. */
export interface TrixieRoot {
  /** The copy's root directory: files added under it are seen in the chroot. */
  dir: string;
  /**
   * Runs `cmd args` chrooted into {@link dir} (with /proc mounted in a private mount
   * namespace); returns stdout.
   *
   * @throws Error with the command and its stderr when it exits non-zero
   */
  run(cmd: string, args: readonly string[], env?: Record<string, string>): string;
  /** Like {@link run}, but returns the exit status and both outputs. */
  spawn(
    cmd: string,
    args: readonly string[],
    env?: Record<string, string>,
  ): { status: number; stdout: string; stderr: string };
}

/**
 * Calls `fn` with a fresh copy of the cached trixie rootfs of this machine's arch (made on the
 * first call: ~1 min with debootstrap, as root) and removes the copy when `fn` settles.
 *
 * @throws Error one line when not root or when debootstrap fails
 */
export async function withTrixieRoot<T>(
  fn: (root: TrixieRoot) => Promise<T>,
  progress?: (l: string) => void,
): Promise<T> {
  const arch = process.arch === "arm64" ? "arm64" : "amd64";
  const cached = await ensureDebianRootfs(
    { suite: "trixie", variant: "minbase", packages: [...TRIXIE_ROOTFS_PACKAGES], arch },
    progress ? { onProgress: progress } : {},
  );
  const work = await mkdtemp(join(cnbkitCacheDir(), "trixie-root-"));
  const dir = join(work, "root");
  try {
    const cp = spawnSync("cp", ["-al", cached, dir], { encoding: "utf8" });
    if (cp.status !== 0) throw new Error(`cp -al ${cached}: ${cp.stderr.trim()}`);
    const spawn = (cmd: string, args: readonly string[], env: Record<string, string> = {}) => {
      // A private mount namespace: the host's /dev (the JVM reads /dev/urandom; compileall's
      // worker pool needs /dev/shm) and a /proc (the JVM reads its cgroup limits and
      // /proc/self there) are mounted into the copy, and vanish with the namespace.
      const script = 'mount --rbind /dev "$0/dev" && mount -t proc proc "$0/proc" && exec /usr/sbin/chroot "$0" "$@"';
      const r = spawnSync(
        "/usr/bin/unshare",
        ["--mount", "--pid", "--fork", "/bin/sh", "-c", script, dir, cmd, ...args],
        {
          encoding: "utf8",
          env: { PATH: "/usr/local/bin:/usr/bin:/bin", HOME: "/root", LANG: "C.UTF-8", ...env },
          maxBuffer: 64 * 1024 * 1024,
        },
      );
      return { status: r.status ?? 1, stdout: r.stdout ?? "", stderr: r.stderr || String(r.error ?? "") };
    };
    const run = (cmd: string, args: readonly string[], env?: Record<string, string>) => {
      const r = spawn(cmd, args, env);
      if (r.status !== 0) throw new Error(`in trixie: ${cmd} ${args.join(" ")} failed: ${r.stderr.trim()}`);
      return r.stdout;
    };
    return await fn({ dir, run, spawn });
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

/**
 * Debian root filesystems made with debootstrap, built once and cached.
 *
 * A CNB build image and run image are a Debian rootfs plus a `cnb` user. debootstrap takes
 * 30 s to minutes, so each distinct recipe (suite, variant, packages, arch) is built once
 * into `<cache>/rootfs/<key>/` and reused. A rootfs is built in a temp dir beside the cache
 * entry and renamed into place only when complete, so a crash never leaves half a rootfs
 * where a later call would trust it; a lock dir makes concurrent callers wait for one build.
 * A foreign arch (arm64 on amd64) is unpacked with `debootstrap --foreign` and configured in a
 * chroot under qemu-user-static, which needs the binfmt_misc handler (see binfmt.ts).
 */
import { existsSync } from "node:fs";
import { createHash } from "node:crypto";
import { mkdir, readFile, readdir, rm, truncate, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { CnbError } from "@cnbkit/framework";
import { formatDuration } from "@cnbkit/framework/log";
import { cnbkitCacheDir, fillCacheEntry, withDirLock } from "../cache/index.js";
import { ensureQemuBinfmt, qemuArch } from "./binfmt.js";
import { runCommand } from "./run-command.js";

/** Bump when the build or clean-up steps change, so old cache entries are not reused. */
export const ROOTFS_RECIPE_VERSION = "2";

/** The Debian mirror debootstrap reads from. */
export const DEFAULT_DEBIAN_MIRROR = "http://deb.debian.org/debian";

/** The CNB user every cnbkit base image carries (CNB_USER_ID / CNB_GROUP_ID). */
export const CNB_USER = { name: "cnb", uid: 1000, gid: 1000, home: "/home/cnb" } as const;

/** Target architectures, in Debian's naming. */
export type DebianArch = "amd64" | "arm64";

/** What rootfs to make; everything here goes into the cache key. */
export interface DebianRootfsSpec {
  /** Debian release codename, e.g. "bookworm". */
  suite: string;
  /** debootstrap variant; "minbase" is essential packages plus apt. */
  variant: "minbase";
  /** Extra packages (debootstrap --include); order and duplicates do not matter. */
  packages: string[];
  arch: DebianArch;
}

/** Options that change where and how, not what. */
export interface EnsureRootfsOptions {
  /** Cache root (default {@link cnbkitCacheDir}). */
  cacheDir?: string;
  /** Debian mirror (default {@link DEFAULT_DEBIAN_MIRROR}). Part of the key. */
  mirror?: string;
  /** Progress lines ("Retrieving packages", "Configuring packages", ...). Default: stderr. */
  onProgress?: (line: string) => void;
}

/** The cache key of a rootfs recipe: a hash of everything that decides its content. */
export function rootfsKey(spec: DebianRootfsSpec, mirror = DEFAULT_DEBIAN_MIRROR): string {
  const packages = [...new Set(spec.packages)].sort();
  const recipe = JSON.stringify({
    recipe: ROOTFS_RECIPE_VERSION,
    suite: spec.suite,
    variant: spec.variant,
    packages,
    arch: spec.arch,
    mirror,
  });
  return createHash("sha256").update(recipe).digest("hex").slice(0, 24);
}

/**
 * Returns the directory of a cached Debian rootfs for `spec`, building it with debootstrap
 * (as root) when it is not cached yet. The rootfs has user and group `cnb` (1000:1000,
 * home /home/cnb), no apt caches or lists, empty logs and machine-id, and fixed
 * /etc/hostname, /etc/hosts and /etc/resolv.conf. Its path must be treated as read-only.
 *
 * @example
 * const dir = await ensureDebianRootfs({ suite: "bookworm", variant: "minbase", packages: ["ca-certificates"], arch: "amd64" });
 */
export async function ensureDebianRootfs(spec: DebianRootfsSpec, options: EnsureRootfsOptions = {}): Promise<string> {
  const mirror = options.mirror ?? DEFAULT_DEBIAN_MIRROR;
  const progress = options.onProgress ?? ((line: string) => process.stderr.write(`${line}\n`));
  const root = join(options.cacheDir ?? cnbkitCacheDir(), "rootfs");
  const key = rootfsKey(spec, mirror);
  const target = join(root, key);
  if (existsSync(target)) return target;

  await mkdir(root, { recursive: true });
  return withDirLock(
    `${target}.lock`,
    async () => {
      if (existsSync(target)) return target; // built by the caller we waited for
      await checkCanBuild(spec, progress);
      // A temp dir may hold a crashed debootstrap's mounts: removeTree unmounts them first.
      return fillCacheEntry(root, key, (tmp) => buildRootfs(tmp, spec, mirror, progress), removeTree);
    },
    { onWait: (pid) => progress(`Waiting for another cnbkit (pid ${pid ?? "?"}) building rootfs ${key}`) },
  );
}

/** The Debian name of this machine's arch. */
export function hostDebianArch(): string {
  return process.arch === "x64" ? "amd64" : process.arch;
}

async function checkCanBuild(spec: DebianRootfsSpec, progress: (line: string) => void): Promise<void> {
  if (process.getuid?.() !== 0) {
    throw new CnbError(
      `rootfs: debootstrap of Debian ${spec.suite} needs root (running as uid ${process.getuid?.()})`,
      {
        hint: "run as root, or copy a ready cache from a machine that has one (CNBKIT_CACHE)",
      },
    );
  }
  // A foreign arch's second stage runs under qemu: registered here when it is not yet.
  if (spec.arch !== hostDebianArch()) {
    await ensureQemuBinfmt(spec.arch, {
      context: `rootfs: debootstrap of Debian ${spec.suite} for ${spec.arch}`,
      onLog: progress,
    });
  }
}

async function buildRootfs(dir: string, spec: DebianRootfsSpec, mirror: string, progress: (line: string) => void) {
  const packages = [...new Set(spec.packages)].sort();
  const label = `Debian ${spec.suite} ${spec.variant} (${spec.arch}, ${packages.length} extra packages)`;
  progress(`Building rootfs ${label} with debootstrap`);
  const started = performance.now();
  // A foreign arch unpacks on the host (--foreign), then configures under qemu in a chroot.
  const foreign = spec.arch !== hostDebianArch();
  const args = [`--variant=${spec.variant}`, `--arch=${spec.arch}`];
  if (foreign) args.push("--foreign");
  if (packages.length > 0) args.push(`--include=${packages.join(",")}`);
  args.push(spec.suite, dir, mirror);
  const phases = phaseReporter(progress, started);
  try {
    await runCommand("debootstrap", args, { onLine: phases.line });
    if (foreign) {
      progress(`  Second stage under qemu-${qemuArch(spec.arch)} (emulated, slow)`);
      await runCommand("chroot", [dir, "/debootstrap/debootstrap", "--second-stage"], {
        onLine: phases.line,
        env: { LC_ALL: "C" },
      });
    }
  } catch (err) {
    const log = await readFile(join(dir, "debootstrap", "debootstrap.log"), "utf8").catch(() => "");
    const last = log.trim().split("\n").slice(-2).join(" | ");
    throw new CnbError(
      `${err instanceof Error ? err.message : String(err)}${last ? ` (debootstrap.log: ${last})` : ""}`,
      {
        hint: `check that ${mirror} is reachable and that every package in [${packages.join(", ")}] exists in ${spec.suite}`,
        cause: err,
      },
    );
  } finally {
    phases.stop();
  }
  progress(`  debootstrap done in ${formatDuration(performance.now() - started)}`);
  await addCnbUser(dir);
  await cleanRootfs(dir);
  progress(`  Rootfs ready in ${formatDuration(performance.now() - started)}`);
}

/**
 * Turns debootstrap's hundreds of `I: Retrieving foo` lines into the first line of each phase plus a
 * heartbeat every 15 s, so a long build shows it is alive without flooding the terminal.
 */
function phaseReporter(progress: (line: string) => void, started: number) {
  const seen = new Set<string>();
  let phase = "";
  let count = 0;
  const heartbeat = setInterval(() => {
    if (phase) progress(`  ... ${phase} (${count} so far, ${formatDuration(performance.now() - started)})`);
  }, 15_000);
  heartbeat.unref();
  return {
    line(line: string) {
      const m = /^([IWE]): (\S+)/.exec(line);
      if (!m) return;
      if (m[1] !== "I") {
        progress(`  ${line}`);
        return;
      }
      const verb = m[2] ?? "";
      if (verb === phase) count++;
      if (seen.has(verb)) return;
      seen.add(verb);
      phase = verb;
      count = 1;
      progress(`  ${line.slice(3)}`);
    },
    stop() {
      clearInterval(heartbeat);
    },
  };
}

/** Adds group and user `cnb` (1000:1000) with the rootfs's own shadow tools, so every file they touch stays consistent. */
async function addCnbUser(dir: string): Promise<void> {
  // shadow honours SOURCE_DATE_EPOCH for the "last changed" day in /etc/shadow.
  const env = { SOURCE_DATE_EPOCH: "315532801", LC_ALL: "C" };
  await runCommand("chroot", [dir, "groupadd", "--gid", String(CNB_USER.gid), CNB_USER.name], { env });
  await runCommand(
    "chroot",
    [
      dir,
      "useradd",
      "--uid",
      String(CNB_USER.uid),
      "--gid",
      String(CNB_USER.gid),
      "--create-home",
      "--home-dir",
      CNB_USER.home,
      "--shell",
      "/bin/bash",
      CNB_USER.name,
    ],
    { env },
  );
}

/** Removes what is host- or time-specific, or only useful to apt: the image does not need it and it makes images differ. */
async function cleanRootfs(dir: string): Promise<void> {
  await unmountUnder(dir); // debootstrap unmounts /proc and /sys itself; be sure before deleting anything
  for (const sub of ["var/cache/apt", "var/lib/apt/lists", "tmp", "var/tmp", "dev"]) {
    await emptyDir(
      join(dir, sub),
      sub === "var/lib/apt/lists" ? ["partial"] : sub === "var/cache/apt" ? ["archives"] : [],
    );
  }
  await emptyDir(join(dir, "var/cache/apt/archives"), ["partial"]);
  await emptyDir(join(dir, "var/lib/apt/lists/partial"), []);
  await rm(join(dir, "var/cache/ldconfig/aux-cache"), { force: true });
  for (const old of [
    "var/lib/dpkg/status-old",
    "var/lib/dpkg/diversions-old",
    "var/cache/debconf/config.dat-old",
    "var/cache/debconf/templates.dat-old",
  ]) {
    await rm(join(dir, old), { force: true });
  }
  await truncateFilesUnder(join(dir, "var/log"));
  // Replace (not rewrite) so the files get plain 0644 root:root, whatever debootstrap copied from the host.
  const fixed: [string, string][] = [
    ["etc/machine-id", ""],
    ["etc/hostname", "localhost\n"],
    ["etc/hosts", "127.0.0.1\tlocalhost\n::1\t\tlocalhost ip6-localhost ip6-loopback\n"],
    // The runtime (runc bundle, Kubernetes) mounts the real resolver config over this file.
    ["etc/resolv.conf", ""],
  ];
  for (const [path, content] of fixed) {
    await rm(join(dir, path), { force: true });
    await writeFile(join(dir, path), content, { mode: 0o644 });
  }
}

/** Empties a directory but keeps it (and the named children, emptied later or left as is). */
async function emptyDir(dir: string, keep: string[]): Promise<void> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch {
    return;
  }
  for (const name of names) {
    if (!keep.includes(name)) await rm(join(dir, name), { recursive: true, force: true });
  }
}

async function truncateFilesUnder(dir: string): Promise<void> {
  let entries: import("node:fs").Dirent[];
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch {
    return;
  }
  for (const e of entries) {
    const path = join(dir, e.name);
    if (e.isDirectory()) await truncateFilesUnder(path);
    else if (e.isFile()) await truncate(path, 0);
  }
}

/** Unmounts anything still mounted below `dir` (deepest first), so removing it cannot reach the host's /proc or /sys. */
async function unmountUnder(dir: string): Promise<void> {
  const mounts = await readFile("/proc/self/mounts", "utf8").catch(() => "");
  const prefix = `${dir}/`;
  const points = mounts
    .split("\n")
    .map((l) => (l.split(" ")[1] ?? "").replace(/\\040/g, " "))
    .filter((p) => p === dir || p.startsWith(prefix))
    .sort((a, b) => b.length - a.length);
  for (const p of points) await runCommand("umount", ["-l", p]);
}

/** Removes a temp tree after making sure nothing is mounted inside it. */
async function removeTree(dir: string): Promise<void> {
  if (!existsSync(dir)) return;
  await unmountUnder(dir);
  await rm(dir, { recursive: true, force: true });
}

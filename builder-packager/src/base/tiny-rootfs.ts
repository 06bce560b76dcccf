/**
 * The tiny run rootfs: a subset of a debootstrapped run rootfs with no shell, no apt or dpkg
 * programs and no coreutils, only the files of a few kept packages (glibc, libstdc++, zlib,
 * CA certificates, time zones) and what makes it a CNB run image (the `cnb` user's passwd and
 * group entries, its home, /tmp).
 *
 * It is cut from the run rootfs rather than debootstrapped: debootstrap cannot leave out
 * dash, coreutils or dpkg (they are Essential), and every kept file is then byte for byte the
 * one the standard run image has. Which files a package owns is dpkg's own record
 * (`var/lib/dpkg/info/<pkg>.list`); what maintainer scripts made at install time and no
 * package owns (the hashed links and bundle in /etc/ssl/certs, /etc/localtime, passwd and
 * group) is copied by name. The tiny tree keeps a dpkg status file of the kept packages
 * only, so its SBOM (base-sbom.ts) and scanners list what is really there.
 */
import { existsSync } from "node:fs";
import { createHash } from "node:crypto";
import { lstat, mkdir, readdir, readFile, realpath, rm, writeFile } from "node:fs/promises";
import { basename, dirname, join, relative } from "node:path";
import { CnbError } from "@cnbkit/framework";
import { cnbkitCacheDir, fillCacheEntry, withDirLock } from "../cache/index.js";
import { runCommand } from "./run-command.js";

/** Bump when the steps below change, so cached tiny trees are not reused. */
export const TINY_ROOTFS_RECIPE_VERSION = "1";

/**
 * Paths no package owns that the tiny image needs, copied from the run rootfs with what is
 * below them: the CA bundle and hashed links update-ca-certificates made, the time zone
 * link, the user database (root and `cnb` 1000:1000, as in the other flavours), name service
 * and host files, and the directories a container runtime mounts over or writes to.
 */
const TINY_EXTRA_PATHS: readonly string[] = [
  "etc/ssl/certs",
  "etc/localtime",
  "etc/passwd",
  "etc/group",
  "etc/nsswitch.conf",
  "etc/hosts",
  "etc/hostname",
  "etc/resolv.conf",
  "etc/machine-id",
  "home",
  "root",
  "tmp",
  "var/tmp",
  "dev",
  "proc",
  "sys",
  "run",
];

/** The usrmerge links at the top; bookworm's base-files does not list them, so they are kept by name. */
const TOP_LINKS: readonly string[] = ["bin", "lib", "lib64", "sbin"];

/** Options for {@link ensureTinyRootfs}. */
export interface EnsureTinyRootfsOptions {
  /** Cache root (default {@link cnbkitCacheDir}). */
  cacheDir?: string;
  /** Progress lines; default stderr. */
  onProgress?: (line: string) => void;
}

/**
 * The cache key of the tiny tree cut from the run rootfs whose key is `fromKey`, keeping
 * `packages` (order and duplicates do not matter).
 */
export function tinyRootfsKey(fromKey: string, packages: readonly string[]): string {
  const recipe = JSON.stringify({
    recipe: `tiny-${TINY_ROOTFS_RECIPE_VERSION}`,
    from: fromKey,
    packages: [...new Set(packages)].sort(),
  });
  return createHash("sha256").update(recipe).digest("hex").slice(0, 24);
}

/**
 * Returns the cached tiny rootfs cut from `from` (a cached run rootfs whose cache key is
 * `fromKey`), keeping the files of `packages`; makes it on first use (as root: owners are
 * kept). Like every cached rootfs, it is read-only.
 *
 * @throws CnbError one line when a package to keep is not installed in `from`
 * @example
 * const tiny = await ensureTinyRootfs(runRootfs, rootfsKey(runSpec), TINY_RUN_PACKAGES);
 */
export async function ensureTinyRootfs(
  from: string,
  fromKey: string,
  packages: readonly string[],
  options: EnsureTinyRootfsOptions = {},
): Promise<string> {
  const progress = options.onProgress ?? ((line: string) => process.stderr.write(`${line}\n`));
  const root = join(options.cacheDir ?? cnbkitCacheDir(), "rootfs");
  const key = tinyRootfsKey(fromKey, packages);
  const target = join(root, key);
  if (existsSync(target)) return target;
  await mkdir(root, { recursive: true });
  return withDirLock(
    `${target}.lock`,
    async () => {
      if (existsSync(target)) return target;
      return fillCacheEntry(root, key, (tmp) => cutTinyRootfs(from, tmp, [...new Set(packages)].sort(), progress));
    },
    { onWait: (pid) => progress(`Waiting for another cnbkit (pid ${pid ?? "?"}) cutting tiny rootfs ${key}`) },
  );
}

/** Copies the kept packages' files and {@link TINY_EXTRA_PATHS} from `from` into `dir`, with a dpkg status of the kept packages. */
async function cutTinyRootfs(
  from: string,
  dir: string,
  packages: readonly string[],
  progress: (line: string) => void,
): Promise<void> {
  if (process.getuid?.() !== 0) {
    throw new CnbError(
      `tiny rootfs: copying files with their owners needs root (running as uid ${process.getuid?.()})`,
      {
        hint: "run as root, or copy a ready cache from a machine that has one (CNBKIT_CACHE)",
      },
    );
  }
  progress(`Cutting the tiny run rootfs (${packages.join(" ")}) from the run rootfs`);
  const status = await readFile(join(from, "var/lib/dpkg/status"), "utf8");
  const stanzas = keptStanzas(status, packages);
  const owned = new Set<string>();
  for (const pkg of packages) {
    for (const path of await packageFiles(from, pkg)) owned.add(path);
  }
  const paths = new Set<string>();
  for (const link of TOP_LINKS) if (await exists(join(from, link))) paths.add(link);
  for (const path of owned) {
    const canonical = await canonicalPath(from, path);
    if (canonical !== undefined) paths.add(canonical);
  }
  await mkdir(dir, { recursive: true });
  const lists = join(dir, "..", `${basename(dir)}.lists`);
  await mkdir(lists, { recursive: true });
  try {
    // Sorted, so each directory comes before what is in it (tar then makes it with its own mode).
    await copyWithTar(from, dir, [...paths].sort(), join(lists, "owned"), { recursive: false });
    const extras: string[] = [];
    for (const p of TINY_EXTRA_PATHS) if (await exists(join(from, p))) extras.push(p);
    await copyWithTar(from, dir, extras, join(lists, "extra"), { recursive: true });
  } finally {
    await rm(lists, { recursive: true, force: true });
  }
  await mkdir(join(dir, "var/lib/dpkg"), { recursive: true });
  await writeFile(join(dir, "var/lib/dpkg/status"), stanzas, { mode: 0o644 });
  if (await exists(join(dir, "bin/sh"))) {
    throw new CnbError(`tiny rootfs: a kept package brings /bin/sh (kept: ${packages.join(", ")})`, {
      hint: "keep only libraries and data packages in the tiny set",
    });
  }
  progress(`  Tiny rootfs: ${paths.size} package paths from ${packages.length} packages`);
}

/**
 * The status stanzas of `packages` (installed ones) out of dpkg's status text, in its order.
 *
 * @throws CnbError when a package is not installed
 */
export function keptStanzas(status: string, packages: readonly string[]): string {
  const byName = new Map<string, string>();
  for (const stanza of status.split(/\n\s*\n/)) {
    const name = /^Package: (\S+)$/m.exec(stanza)?.[1];
    if (!name || !/^Status: .* installed$/m.test(stanza)) continue;
    byName.set(name, stanza.trim());
  }
  const missing = packages.filter((p) => !byName.has(p));
  if (missing.length > 0) {
    throw new CnbError(`tiny rootfs: ${missing.join(", ")} not installed in the run rootfs it is cut from`, {
      hint: "keep only packages of the release's run set (packages.ts) or of debootstrap's minbase",
    });
  }
  return `${[...byName]
    .filter(([n]) => packages.includes(n))
    .map(([, s]) => s)
    .join("\n\n")}\n`;
}

/** The paths (relative, no leading `/`) dpkg records for `pkg` (its `<pkg>.list` or `<pkg>:<arch>.list`). */
async function packageFiles(root: string, pkg: string): Promise<string[]> {
  const info = join(root, "var/lib/dpkg/info");
  const names = (await readdir(info)).filter(
    (n) => n === `${pkg}.list` || (n.startsWith(`${pkg}:`) && n.endsWith(".list")),
  );
  const out: string[] = [];
  for (const name of names) {
    for (const line of (await readFile(join(info, name), "utf8")).split("\n")) {
      const p = line.replace(/^\/+/, "").replace(/\/\.$/, "");
      if (p && p !== ".") out.push(p);
    }
  }
  return out;
}

/**
 * `path` with its directories' symlinks resolved inside `root` (bookworm lists
 * `/lib64/ld-linux-x86-64.so.2`, which is `usr/lib64/...` on disk), or undefined when the
 * file is not there (a path a package lists but a diversion or clean-up removed).
 */
async function canonicalPath(root: string, path: string): Promise<string | undefined> {
  try {
    const dir = await realpath(join(root, dirname(path)));
    const rel = relative(root, join(dir, basename(path)));
    if (rel.startsWith("..")) return undefined;
    await lstat(join(root, rel));
    return rel;
  } catch {
    return undefined;
  }
}

async function exists(path: string): Promise<boolean> {
  try {
    await lstat(path);
    return true;
  } catch {
    return false;
  }
}

/** Copies `paths` (relative to `from`) into `to` with GNU tar, keeping owners, modes and links. */
async function copyWithTar(
  from: string,
  to: string,
  paths: readonly string[],
  listFile: string,
  options: { recursive: boolean },
): Promise<void> {
  if (paths.length === 0) return;
  await writeFile(listFile, `${paths.join("\0")}\0`);
  const archive = `${listFile}.tar`;
  await runCommand("tar", [
    "-C",
    from,
    "--numeric-owner",
    ...(options.recursive ? [] : ["--no-recursion"]),
    "--null",
    "-T",
    listFile,
    "-cf",
    archive,
  ]);
  await runCommand("tar", [
    "-C",
    to,
    "--numeric-owner",
    "--same-owner",
    "-p",
    "--keep-directory-symlink",
    "-xf",
    archive,
  ]);
  await rm(archive, { force: true });
}

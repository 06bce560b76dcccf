/**
 * Debian's binary package indexes (bullseye's, bookworm's and trixie's), read for a handful of packages:
 * which version of each the archive serves (the release, its -updates and its -security
 * suite), its pool URL and its sha256; and those .debs downloaded (sha256-checked) and
 * unpacked. The local CPythons (local-python.ts) and JDKs (local-java.ts) are made from them,
 * so they need neither the host's apt nor its release: trixie's .debs are fetched on a
 * bookworm machine.
 */
import { spawn, spawnSync } from "node:child_process";
import { mkdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { Readable } from "node:stream";
import type { ReadableStream as WebReadableStream } from "node:stream/web";
import { download } from "@cnbkit/framework/dependencies";
import { writeAtomic } from "@cnbkit/framework/fs";

/** A Debian archive suite: where its dists/ and pool/ live. */
export interface DebianSuite {
  /** The archive root, e.g. `https://deb.debian.org/debian`. */
  archive: string;
  /** The suite under dists/, e.g. `bookworm-security`. */
  dist: string;
}

/** The suites a bookworm machine's apt reads (main component): the release, its updates and its security fixes. */
export const BOOKWORM_SUITES: readonly DebianSuite[] = [
  { archive: "https://deb.debian.org/debian", dist: "bookworm" },
  { archive: "https://deb.debian.org/debian", dist: "bookworm-updates" },
  { archive: "https://deb.debian.org/debian-security", dist: "bookworm-security" },
];

/**
 * The suites of Debian 11 (bullseye), read the same way: the newest release that packages
 * OpenJDK 11 (openjdk-11, with security updates). Its packages need glibc 2.31, which Debian 12
 * and 13 have, so they run on both run images and on a Debian 12 host.
 */
export const BULLSEYE_SUITES: readonly DebianSuite[] = [
  { archive: "https://deb.debian.org/debian", dist: "bullseye" },
  { archive: "https://deb.debian.org/debian", dist: "bullseye-updates" },
  { archive: "https://deb.debian.org/debian-security", dist: "bullseye-security" },
];

/** The suites of Debian 13 (trixie), read the same way: its packages need glibc 2.38+, so run only on trixie or newer. */
export const TRIXIE_SUITES: readonly DebianSuite[] = [
  { archive: "https://deb.debian.org/debian", dist: "trixie" },
  { archive: "https://deb.debian.org/debian", dist: "trixie-updates" },
  { archive: "https://deb.debian.org/debian-security", dist: "trixie-security" },
];

/**
 * Debian unstable (sid): the only suite this machine reaches that carries CPython 3.14 and 3.15
 * (python3.14 3.14.10, python3.15 3.15.2 when written). It has no -updates or -security
 * suite: fixes land in it directly. Its interpreters need glibc 2.38 and their stdlib's
 * termios module 2.42, which is compiled again for trixie (trixie-termios.ts), so they run on
 * trixie images, not bookworm's.
 */
export const SID_SUITES: readonly DebianSuite[] = [{ archive: "https://deb.debian.org/debian", dist: "sid" }];

/** A Debian release the local runtimes are made from: its suites and its purl `distro` qualifier. */
export interface DebianRelease {
  /** The codename, e.g. `trixie` (names cache files). */
  codename: string;
  /** The purl qualifier, e.g. `debian-13`. */
  distro: string;
  suites: readonly DebianSuite[];
}

/** Debian 12. */
export const BOOKWORM: DebianRelease = { codename: "bookworm", distro: "debian-12", suites: BOOKWORM_SUITES };
/** Debian 11. */
export const BULLSEYE: DebianRelease = { codename: "bullseye", distro: "debian-11", suites: BULLSEYE_SUITES };
/** Debian 13. */
export const TRIXIE: DebianRelease = { codename: "trixie", distro: "debian-13", suites: TRIXIE_SUITES };
/** Debian unstable. */
export const SID: DebianRelease = { codename: "sid", distro: "debian-sid", suites: SID_SUITES };

/** One binary package as a Packages index lists it. */
export interface DebianPackage {
  name: string;
  /** The Debian version, e.g. `3.11.2-6+deb12u9`. */
  version: string;
  /** The `Source:` field's name (the package's own name when absent). */
  source: string;
  /** The .deb's URL. */
  url: string;
  sha256: string;
  size: number;
  /** The suite whose index listed it. */
  dist: string;
}

/**
 * The stanzas of `names` in one suite's main/binary-<arch>/Packages.xz, streamed through
 * `xz -dc` (the index is ~45 MB uncompressed; only matching stanzas are kept).
 *
 * @throws Error naming the index URL when it cannot be fetched or decompressed
 */
export async function readPackagesIndex(
  suite: DebianSuite,
  arch: string,
  names: readonly string[],
): Promise<DebianPackage[]> {
  const url = `${suite.archive}/dists/${suite.dist}/main/binary-${arch}/Packages.xz`;
  const res = await fetch(url);
  if (!res.ok || !res.body)
    throw new Error(`${url}: HTTP ${res.status}; check that this machine reaches the Debian mirror`);
  const xz = spawn("xz", ["-dc"], { stdio: ["pipe", "pipe", "pipe"] });
  let stderr = "";
  xz.stderr.on("data", (d) => {
    stderr += d;
  });
  const exited = new Promise<number>((done, fail) => {
    xz.on("error", fail);
    xz.on("close", (code) => done(code ?? 1));
  });
  Readable.fromWeb(res.body as WebReadableStream).pipe(xz.stdin);
  const wanted = new Set(names);
  const found: DebianPackage[] = [];
  let fields: Record<string, string> = {};
  const flush = () => {
    const p = stanzaPackage(fields, suite, wanted);
    if (p) found.push(p);
    fields = {};
  };
  for await (const line of createInterface({ input: xz.stdout, crlfDelay: Number.POSITIVE_INFINITY })) {
    if (line === "") flush();
    else if (!line.startsWith(" ")) {
      const colon = line.indexOf(":");
      if (colon > 0) fields[line.slice(0, colon)] = line.slice(colon + 1).trim();
    }
  }
  flush();
  const code = await exited;
  if (code !== 0) throw new Error(`${url}: xz -dc exited ${code}: ${stderr.trim()}`);
  return found;
}

function stanzaPackage(f: Record<string, string>, suite: DebianSuite, wanted: Set<string>): DebianPackage | undefined {
  const name = f.Package;
  if (!name || !wanted.has(name) || !f.Version || !f.Filename || !f.SHA256) return undefined;
  return {
    name,
    version: f.Version,
    // "Source: python3.11 (3.11.2-6)" names the source and, when it differs, its version.
    source: (f.Source ?? name).split(" ")[0] ?? name,
    url: `${suite.archive}/${f.Filename}`,
    sha256: f.SHA256,
    size: Number(f.Size ?? 0),
    dist: suite.dist,
  };
}

/**
 * Compares two Debian versions with `dpkg --compare-versions` (epochs, tildes and all).
 *
 * @example
 * debianVersionNewer("3.11.2-6+deb12u9", "3.11.2-6+deb12u8"); // true
 */
export function debianVersionNewer(a: string, b: string): boolean {
  return spawnSync("dpkg", ["--compare-versions", a, "gt", b]).status === 0;
}

/**
 * The newest version of every package in `names` across `suites`, all at one Debian version
 * (packages built from one source must match: python3.11-minimal depends on
 * libpython3.11-minimal of the same version).
 *
 * @throws Error when no suite lists every package at one version
 */
export async function newestPackageSet(
  names: readonly string[],
  arch: string,
  suites: readonly DebianSuite[] = BOOKWORM_SUITES,
): Promise<DebianPackage[]> {
  const byVersion = new Map<string, Map<string, DebianPackage>>();
  for (const suite of suites) {
    for (const p of await readPackagesIndex(suite, arch, names)) {
      const set = byVersion.get(p.version) ?? new Map<string, DebianPackage>();
      if (!set.has(p.name)) set.set(p.name, p);
      byVersion.set(p.version, set);
    }
  }
  let best: string | undefined;
  for (const [version, set] of byVersion) {
    if (set.size === names.length && (best === undefined || debianVersionNewer(version, best))) best = version;
  }
  if (best === undefined) {
    throw new Error(
      `Debian ${suites.map((s) => s.dist).join(", ")} (${arch}) list no single version of all of ${names.join(", ")}`,
    );
  }
  const set = byVersion.get(best) as Map<string, DebianPackage>;
  return names.map((n) => set.get(n) as DebianPackage);
}

/** One day: how long a resolved package set is trusted before the indexes are read again. */
const INDEX_MAX_AGE_MS = 24 * 60 * 60 * 1000;

interface ResolvedIndex {
  checkedAt: number;
  packages: DebianPackage[];
}

/**
 * {@link newestPackageSet} remembered in `cacheFile` (JSON): read from the indexes at most once
 * a day (each is ~10 MB to fetch), and used as it was when they cannot be reached.
 *
 * @throws Error as newestPackageSet does, when nothing is cached for these names
 */
export async function cachedNewestPackageSet(
  names: readonly string[],
  arch: string,
  release: DebianRelease,
  cacheFile: string,
  progress: (line: string) => void = () => {},
): Promise<DebianPackage[]> {
  const cached = await readFile(cacheFile, "utf8")
    .then((t) => JSON.parse(t) as ResolvedIndex)
    .catch(() => undefined);
  const fresh = cached && Date.now() - cached.checkedAt < INDEX_MAX_AGE_MS;
  const sameNames = cached?.packages.map((p) => p.name).join() === names.join();
  if (cached && fresh && sameNames) return cached.packages;
  try {
    const packages = await newestPackageSet(names, arch, release.suites);
    await writeAtomic(cacheFile, `${JSON.stringify({ checkedAt: Date.now(), packages }, null, 2)}\n`, {
      mkdirs: true,
    });
    return packages;
  } catch (err) {
    if (!cached || !sameNames) throw err;
    progress(
      `warning: ${(err as Error).message}; using the package set resolved before (${cached.packages[0]?.version})`,
    );
    return cached.packages;
  }
}

/**
 * Downloads `packages` into `<work>/debs` (each checked against its index sha256) and
 * unpacks them with `dpkg -x` into `<work>/root`, in order; returns that root.
 *
 * @throws Error naming the .deb when a download does not verify or dpkg -x fails
 */
export async function unpackDebs(packages: readonly DebianPackage[], work: string): Promise<string> {
  const debs = join(work, "debs");
  const tree = join(work, "root");
  await mkdir(debs, { recursive: true });
  for (const p of packages) {
    const file = await download({ id: p.name, version: p.version, uri: p.url, sha256: p.sha256 }, debs, {
      env: {},
      fileName: `${p.name}_${p.version}.deb`,
    });
    const r = spawnSync("dpkg", ["-x", file, tree], { encoding: "utf8" });
    if (r.status !== 0) throw new Error(`dpkg -x ${file} failed: ${(r.stderr || String(r.error)).trim()}`);
  }
  return tree;
}

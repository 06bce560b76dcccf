/**
 * Debian bookworm's binary package index, read for a handful of packages: which version of
 * each the archive serves (bookworm, bookworm-updates and bookworm-security), its pool URL
 * and its sha256. The local CPython (local-python.ts) is made from what this returns.
 */
import { spawn, spawnSync } from "node:child_process";
import { createInterface } from "node:readline";
import { Readable } from "node:stream";
import type { ReadableStream as WebReadableStream } from "node:stream/web";

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

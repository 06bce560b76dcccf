/**
 * The packages a lock pins and the files it names for each (pure): uv.lock lists each
 * package's wheels by URL, poetry.lock by file name. Pipfile.lock and a pinned requirements.txt
 * name no files, only versions (and the index they come from): their files are the index's to
 * tell (index-files.ts).
 */
import type { PoetryLock } from "./poetry-export.js";

/** A package a lock pins. */
export interface LockedPackage {
  name: string;
  version: string;
  /** Its files' names (wheels and sdists), when the lock lists them. */
  files?: string[];
  /** A PEP 508 marker saying when it is installed, if the lock records one. */
  marker?: string;
}

/** The pins of a lock that names no files, and the index its files are on. */
export interface LockedPins {
  packages: LockedPackage[];
  /** The simple index URL the lock names, if it names one. */
  index?: string;
}

/** uv.lock, as far as this module reads it. */
export interface UvLock {
  package?: {
    name?: string;
    version?: string;
    wheels?: { url?: string; path?: string; filename?: string }[];
    sdist?: unknown;
  }[];
}

/** The last path segment of a URL or path, decoded (`%2B` in a local version). */
function baseName(ref: string): string {
  const last =
    ref
      .replace(/[?#].*$/, "")
      .split("/")
      .pop() ?? "";
  try {
    return decodeURIComponent(last);
  } catch {
    return last;
  }
}

/**
 * The packages of a uv.lock with their wheels' file names (uv records no markers per package:
 * they sit on the edges to it).
 *
 * @example
 * uvLockPackages({ package: [{ name: "orjson", version: "3.10.4", wheels: [{ url: "https://files.pythonhosted.org/…/orjson-3.10.4-cp311-cp311-manylinux_2_17_x86_64.whl" }] }] })
 * // [{ name: "orjson", version: "3.10.4", files: ["orjson-3.10.4-cp311-cp311-manylinux_2_17_x86_64.whl"] }]
 */
export function uvLockPackages(lock: UvLock): LockedPackage[] {
  const out: LockedPackage[] = [];
  for (const p of lock.package ?? []) {
    if (typeof p.name !== "string" || typeof p.version !== "string") continue;
    const files = (p.wheels ?? [])
      .map((w) => w.filename ?? w.url ?? w.path)
      .filter((r): r is string => typeof r === "string")
      .map(baseName);
    out.push({ name: p.name, version: p.version, files });
  }
  return out;
}

/**
 * The packages of a poetry.lock (format 1.x keeps the files under `[metadata.files]`, 2.x in
 * each package) with their files' names, leaving out packages only other groups than main
 * install (lock 2.1 records `groups`). A package's `markers` (for main) is kept.
 */
export function poetryLockPackages(lock: PoetryLock): LockedPackage[] {
  const out: LockedPackage[] = [];
  const legacy = lock.metadata?.files ?? {};
  for (const p of lock.package ?? []) {
    if (typeof p.name !== "string" || typeof p.version !== "string") continue;
    const groups = (p as { groups?: unknown }).groups;
    if (Array.isArray(groups) && groups.length > 0 && !groups.includes("main")) continue;
    const entries = p.files ?? legacy[p.name] ?? [];
    const files = entries.map((f) => f.file).filter((f): f is string => typeof f === "string");
    const pkg: LockedPackage = { name: p.name, version: p.version, files };
    const marker = typeof p.markers === "string" ? p.markers : p.markers?.main;
    if (typeof marker === "string" && marker.trim() !== "") pkg.marker = marker;
    out.push(pkg);
  }
  return out;
}

/** Pipfile.lock, as far as this module reads it. */
export interface PipfileLock {
  _meta?: { sources?: { url?: unknown }[] };
  default?: Record<string, { version?: unknown; markers?: unknown; [field: string]: unknown }>;
}

/**
 * The exact pins of a Pipfile.lock's default section (what `pipenv install --deploy` installs)
 * and its first source's URL.
 */
export function pipfileLockPins(lock: PipfileLock): LockedPins {
  const packages: LockedPackage[] = [];
  for (const [name, entry] of Object.entries(lock.default ?? {})) {
    const m = typeof entry?.version === "string" ? /^===?\s*(\S+)$/.exec(entry.version.trim()) : null;
    if (!m) continue;
    const pkg: LockedPackage = { name, version: m[1]! };
    if (typeof entry.markers === "string" && entry.markers.trim() !== "") pkg.marker = entry.markers;
    packages.push(pkg);
  }
  const url = lock._meta?.sources?.[0]?.url;
  return typeof url === "string" ? { packages, index: url } : { packages };
}

const PIN = /^([A-Za-z0-9][A-Za-z0-9._-]*)\s*(?:\[[^\]]*\])?\s*===?\s*([A-Za-z0-9.+!_-]+)\s*(?:;\s*(.+))?$/;
const INDEX = /^(?:-i|--index-url)(?:\s*=\s*|\s+)(\S+)$/;

/**
 * The `name==version` lines of a requirements file (hashes and other options dropped; ranges,
 * URLs and includes are no pins and are left out) and its `--index-url`.
 *
 * @example
 * requirementsPins("-i https://mirror/simple\norjson==3.10.4 --hash=sha256:…\nflask>=3\n")
 * // { packages: [{ name: "orjson", version: "3.10.4" }], index: "https://mirror/simple" }
 */
export function requirementsPins(text: string): LockedPins {
  const packages: LockedPackage[] = [];
  let index: string | undefined;
  for (const raw of text.replace(/\\\r?\n/g, " ").split(/\r?\n/)) {
    const line = raw.replace(/(?:^|\s+)#.*$/, "").trim();
    const option = INDEX.exec(line);
    if (option) index = option[1];
    // Per-requirement options (--hash) follow the requirement; the marker may precede them.
    const requirement = line.replace(/\s+--?[a-z][\w-]*(?:[=\s]\S+)?/gi, "").trim();
    const m = PIN.exec(requirement);
    if (!m) continue;
    const pkg: LockedPackage = { name: m[1]!, version: m[2]! };
    if (m[3]) pkg.marker = m[3].trim();
    packages.push(pkg);
  }
  return index ? { packages, index } : { packages };
}

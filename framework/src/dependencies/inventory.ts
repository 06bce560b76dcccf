/**
 * The dependency inventory a buildpack ships in buildpack.toml's `[[metadata.dependencies]]`
 * (the layout Paketo buildpacks use), and semver resolution over it.
 *
 * ```toml
 * [[metadata.dependencies]]
 * id = "node"
 * version = "24.11.1"
 * os = "linux"
 * arch = "amd64"
 * uri = "https://nodejs.org/dist/v24.11.1/node-v24.11.1-linux-x64.tar.xz"
 * sha256 = "…64 hex…"
 * purl = "pkg:generic/node@24.11.1?arch=amd64"
 * cpes = ["cpe:2.3:a:nodejs:node.js:24.11.1:*:*:*:*:*:*:*"]
 * licenses = ["MIT"]                      # or [{ type = "MIT", uri = "…" }]
 * deprecation-date = 2028-04-30T00:00:00Z
 * strip-components = 1
 * distros = [{ name = "debian", version = "13" }]  # optional: the run images it runs on
 * ```
 */
import semver from "semver";
import { CnbError } from "../errors/index.js";
import type { SbomComponent } from "../sbom/index.js";
import { NoMatchingVersionError } from "./no-matching-version.js";

/** One downloadable artifact from the inventory. Keys are camelCase versions of the TOML keys. */
export interface Dependency {
  id: string;
  name?: string;
  version: string;
  os?: string;
  arch?: string;
  uri: string;
  /** Lower-case hex sha256 of the artifact at `uri`. */
  sha256: string;
  source?: string;
  sourceSha256?: string;
  purl?: string;
  cpes: string[];
  licenses: string[];
  deprecationDate?: Date;
  stripComponents?: number;
  /**
   * The distros (run images' `io.buildpacks.base.distro.*`) the artifact runs on, when it
   * does not run on every one the buildpack targets, e.g. a binary that needs a newer glibc.
   * Undefined: any. Paketo's libpak reads the same key.
   */
  distros?: DependencyDistro[];
}

/** A distro an inventory entry runs on: `{ name = "debian", version = "13" }`. */
export interface DependencyDistro {
  name: string;
  version: string;
}

/** What a buildpack asks {@link resolveDependency} for. */
export interface DependencyQuery {
  id: string;
  /** A semver range ("24.x", "~24.1", ">=22 <25", "24.11.1"); "*" or undefined means newest. */
  version?: string;
  os?: string;
  arch?: string;
  /** The run image's distro: entries whose `distros` leave it out do not match. Undefined: any. */
  distro?: DependencyDistro;
}

/** The one method resolution needs from a logger. */
export interface WarnLog {
  warn(text: string): void;
}

const HEX64 = /^[0-9a-f]{64}$/;

/**
 * Reads `dependencies` from a buildpack's `[metadata]` table (undefined or no key → []).
 *
 * @throws CnbError naming file, entry index and field for each bad entry, e.g.
 * `buildpack.toml: [[metadata.dependencies]][2].sha256 "abc" is not a 64-character hex sha256`.
 */
export function parseInventory(metadata: unknown, file = "buildpack.toml"): Dependency[] {
  if (metadata === undefined || metadata === null) return [];
  if (typeof metadata !== "object" || Array.isArray(metadata)) {
    throw new CnbError(`${file}: [metadata] must be a table`);
  }
  const list = (metadata as Record<string, unknown>).dependencies;
  if (list === undefined) return [];
  if (!Array.isArray(list)) {
    throw new CnbError(`${file}: metadata.dependencies must be an array of tables ([[metadata.dependencies]])`);
  }
  return list.map((entry, i) => parseEntry(entry, `${file}: [[metadata.dependencies]][${i}]`));
}

function parseEntry(entry: unknown, where: string): Dependency {
  if (typeof entry !== "object" || entry === null || Array.isArray(entry)) {
    throw new CnbError(`${where} must be a table`);
  }
  const e = entry as Record<string, unknown>;
  const str = (key: string, required: boolean): string | undefined => {
    const v = e[key];
    if (v === undefined) {
      if (required) throw new CnbError(`${where}.${key} is missing`);
      return undefined;
    }
    if (typeof v !== "string" || v.trim() === "") {
      throw new CnbError(`${where}.${key} must be a non-empty string, got ${show(v)}`);
    }
    return v;
  };
  const sha = (key: string, required: boolean): string | undefined => {
    const v = str(key, required);
    if (v !== undefined && !HEX64.test(v.toLowerCase())) {
      throw new CnbError(`${where}.${key} "${v}" is not a 64-character hex sha256`);
    }
    return v?.toLowerCase();
  };

  const id = str("id", true) as string;
  const version = str("version", true) as string;
  if (semver.valid(version, { loose: true }) === null && semver.coerce(version) === null) {
    throw new CnbError(`${where}.version "${version}" is not a version`);
  }
  const uri = str("uri", true) as string;
  if (!URL.canParse(uri)) throw new CnbError(`${where}.uri "${uri}" is not a URI`);
  const sha256 = sha("sha256", true) as string;

  const cpes = parseCpes(e, where, str);
  const licenses = parseLicenses(e, where);
  const deprecationDate = parseDeprecationDate(e, where);
  const stripComponents = parseStripComponents(e, where);

  const dep: Dependency = { id, version, uri, sha256, cpes, licenses };
  const name = str("name", false);
  const os = str("os", false);
  const arch = str("arch", false);
  const source = str("source", false);
  const sourceSha256 = sha("source-sha256", false);
  const purl = str("purl", false);
  if (name !== undefined) dep.name = name;
  if (os !== undefined) dep.os = os;
  if (arch !== undefined) dep.arch = arch;
  if (source !== undefined) dep.source = source;
  if (sourceSha256 !== undefined) dep.sourceSha256 = sourceSha256;
  if (purl !== undefined) dep.purl = purl;
  if (deprecationDate !== undefined) dep.deprecationDate = deprecationDate;
  if (stripComponents !== undefined) dep.stripComponents = stripComponents;
  const distros = parseDistros(e, where);
  if (distros !== undefined) dep.distros = distros;
  return dep;
}

/** `distros`: an array of `{ name, version }` tables. */
function parseDistros(e: Record<string, unknown>, where: string): DependencyDistro[] | undefined {
  if (e.distros === undefined) return undefined;
  if (!Array.isArray(e.distros))
    throw new CnbError(`${where}.distros must be an array of tables, got ${show(e.distros)}`);
  return e.distros.map((d, j) => {
    const t = d as Record<string, unknown> | null;
    if (!t || typeof t !== "object" || typeof t.name !== "string" || typeof t.version !== "string") {
      throw new CnbError(`${where}.distros[${j}] must be a { name, version } table of strings, got ${show(d)}`);
    }
    return { name: t.name, version: t.version };
  });
}

/**
 * Whether `dep` runs on `distro`: true when either is undefined (an entry with no `distros`
 * runs anywhere the buildpack does; a build with no distro label cannot tell).
 *
 * @example
 * runsOnDistro({ ...dep, distros: [{ name: "debian", version: "13" }] }, { name: "debian", version: "12" }); // false
 */
export function runsOnDistro(dep: Pick<Dependency, "distros">, distro: DependencyDistro | undefined): boolean {
  if (distro === undefined || dep.distros === undefined) return true;
  return dep.distros.some((d) => d.name === distro.name && d.version === distro.version);
}

/** `cpes` (an array), else the older single `cpe`; empty when neither is set. */
function parseCpes(
  e: Record<string, unknown>,
  where: string,
  str: (key: string, required: boolean) => string | undefined,
): string[] {
  if (e.cpes !== undefined) {
    if (!Array.isArray(e.cpes) || e.cpes.some((c) => typeof c !== "string")) {
      throw new CnbError(`${where}.cpes must be an array of strings, got ${show(e.cpes)}`);
    }
    return e.cpes as string[];
  }
  return e.cpe !== undefined ? [str("cpe", false) as string] : [];
}

/** `licenses`: ids, or `{ type, uri }` tables (Paketo's form) reduced to their type. */
function parseLicenses(e: Record<string, unknown>, where: string): string[] {
  const licenses: string[] = [];
  if (e.licenses === undefined) return licenses;
  if (!Array.isArray(e.licenses)) {
    throw new CnbError(`${where}.licenses must be an array, got ${show(e.licenses)}`);
  }
  e.licenses.forEach((l, j) => {
    if (typeof l === "string" && l.trim() !== "") licenses.push(l);
    else if (l && typeof l === "object" && typeof (l as { type?: unknown }).type === "string") {
      licenses.push((l as { type: string }).type);
    } else {
      throw new CnbError(
        `${where}.licenses[${j}] must be a license id or a { type, uri } table with a type, got ${show(l)}`,
      );
    }
  });
  return licenses;
}

/** `deprecation-date` (or `deprecation_date`): a TOML date-time or an ISO string. */
function parseDeprecationDate(e: Record<string, unknown>, where: string): Date | undefined {
  const dateKey = e["deprecation-date"] !== undefined ? "deprecation-date" : "deprecation_date";
  const rawDate = e[dateKey];
  if (rawDate === undefined) return undefined;
  const d = rawDate instanceof Date ? rawDate : typeof rawDate === "string" ? new Date(rawDate) : undefined;
  if (d === undefined || Number.isNaN(d.getTime())) {
    throw new CnbError(`${where}.${dateKey} ${show(rawDate)} is not a date (e.g. 2028-04-30T00:00:00Z)`);
  }
  return new Date(d.getTime());
}

/** `strip-components`: a non-negative integer (TOML integers may arrive as bigint). */
function parseStripComponents(e: Record<string, unknown>, where: string): number | undefined {
  const strip = e["strip-components"];
  if (strip === undefined) return undefined;
  const n = typeof strip === "bigint" ? Number(strip) : strip;
  if (typeof n !== "number" || !Number.isInteger(n) || n < 0) {
    throw new CnbError(`${where}.strip-components must be a non-negative integer, got ${show(strip)}`);
  }
  return n;
}

function show(v: unknown): string {
  if (typeof v === "string") return JSON.stringify(v);
  if (v instanceof Date) return v.toISOString();
  if (typeof v === "bigint") return String(v);
  try {
    return JSON.stringify(v) ?? String(v);
  } catch {
    return String(v);
  }
}

/** A comparable semver for an inventory version (loose: "1.2", "v24.1.0" are accepted). */
function toSemver(version: string): semver.SemVer | null {
  return semver.parse(version, { loose: true }) ?? semver.coerce(version, { includePrerelease: true });
}

const DAY_MS = 86_400_000;

/**
 * Picks the highest version of `query.id` that satisfies `query.version` for the given
 * os/arch (entries without os/arch match any). Warns through `log` when the chosen version is
 * past its deprecation date, or within 30 days of it.
 *
 * @example
 * const dep = resolveDependency(inventory, { id: "node", version: "24.x", os: "linux", arch: "amd64" }, log);
 * @throws CnbError `no node version matches "99" for linux/arm64 in the inventory (newest: 24.11.1)`
 */
export function resolveDependency(
  inventory: readonly Dependency[],
  query: DependencyQuery,
  log?: WarnLog,
  now: Date = new Date(),
): Dependency {
  const range = query.version?.trim() || "*";
  const platform = `${query.os ?? "any os"}/${query.arch ?? "any arch"}`;
  const ofId = inventory.filter((d) => d.id === query.id);
  const candidates = ofId.filter(
    (d) =>
      (query.os === undefined || d.os === undefined || d.os === query.os) &&
      (query.arch === undefined || d.arch === undefined || d.arch === query.arch) &&
      runsOnDistro(d, query.distro),
  );
  const byVersionDesc = (a: Dependency, b: Dependency) => {
    const va = toSemver(a.version);
    const vb = toSemver(b.version);
    if (va && vb) return semver.rcompare(va, vb);
    return va ? -1 : vb ? 1 : 0;
  };
  const validRange = range === "*" || semver.validRange(range, { loose: true }) !== null;
  if (!validRange) {
    throw new CnbError(`"${range}" is not a valid version range for ${query.id}`, {
      hint: 'Use a semver range such as "24.x", "~24.1", ">=22 <25" or an exact version.',
    });
  }
  const matching = candidates
    .filter((d) => {
      const v = toSemver(d.version);
      return v !== null && semver.satisfies(v, range, { loose: true, includePrerelease: false });
    })
    .sort(byVersionDesc);
  const chosen = matching[0];
  if (chosen === undefined) {
    const available = [...new Set(candidates.sort(byVersionDesc).map((d) => d.version))];
    if (ofId.length === 0) {
      throw new CnbError(`no dependency with id "${query.id}" in the inventory`, {
        hint: `Known ids: ${[...new Set(inventory.map((d) => d.id))].sort().join(", ") || "(none)"}`,
      });
    }
    throw new NoMatchingVersionError({
      id: query.id,
      range,
      platform,
      available,
      newest: available[0] ?? [...ofId].sort(byVersionDesc)[0]?.version,
      otherPlatforms: [...new Set(ofId.map((d) => `${d.os ?? "any"}/${d.arch ?? "any"}`))],
    });
  }
  const dd = chosen.deprecationDate;
  if (dd && log) {
    const date = dd.toISOString().slice(0, 10);
    if (dd.getTime() <= now.getTime()) {
      log.warn(`${chosen.name ?? chosen.id} ${chosen.version} is deprecated since ${date}; upgrade to a newer version`);
    } else if (dd.getTime() - now.getTime() <= 30 * DAY_MS) {
      log.warn(`${chosen.name ?? chosen.id} ${chosen.version} is deprecated after ${date}`);
    }
  }
  return chosen;
}

/**
 * The SBOM entry for a dependency: its purl (or `pkg:generic/<id>@<version>`), CPEs,
 * licenses and checksum.
 */
export function dependencyComponent(dep: Dependency): SbomComponent {
  return {
    name: dep.name ?? dep.id,
    version: dep.version,
    purl: dep.purl ?? `pkg:generic/${encodeURIComponent(dep.id)}@${encodeURIComponent(dep.version)}`,
    cpes: [...dep.cpes],
    licenses: [...dep.licenses],
    sha256: dep.sha256,
    type: "library",
  };
}

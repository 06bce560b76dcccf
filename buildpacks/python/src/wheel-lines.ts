/**
 * The newest CPython line every locked package has a wheel for. A lock pinned before a CPython
 * came out (orjson 3.10.4, httptools 0.6.1 and 3.13) has no wheel for it, and its sdists then
 * need Rust or no longer compile: an older line the project allows and the builder carries
 * installs the same lock from wheels. So when the app names no exact version, the newest line
 * wins unless a locked package has wheels for other lines but not for it; packages with no
 * wheel for this platform at all (sdist-only) are built on any line and veto none.
 *
 * The files come from the lock (uv.lock, poetry.lock) or, for a Pipfile.lock or a pinned
 * requirements.txt, from the index's simple API ({@link indexFiles}); an index that cannot be
 * asked leaves the newest line, with one debug line.
 */
import type { AppFiles, Logger, Settings } from "@cnbkit/framework";
import { indexFiles, PYPI_SIMPLE } from "./index-files.js";
import {
  type LockedPackage,
  type LockedPins,
  type PipfileLock,
  pipfileLockPins,
  poetryLockPackages,
  requirementsPins,
  type UvLock,
  uvLockPackages,
} from "./lock-wheels.js";
import { evaluateMarker, linuxCpython } from "./markers.js";
import { newestFirst, satisfies } from "./pep440.js";
import type { PoetryLock } from "./poetry-export.js";
import type { VersionRequest } from "./python-version.js";
import { allows, linuxMachine, wheelCoverage } from "./wheel-coverage.js";
import { pythonLine as lineOf } from "./python-line.js";

/** The locked packages and the file they were read from. */
export interface LockedWheels {
  /** e.g. "poetry.lock". */
  lockfile: string;
  packages: LockedPackage[];
}

/** A line passed over, and the packages with no wheel for it ("orjson 3.10.4"). */
export interface SkippedLine {
  line: string;
  missing: string[];
}

/** The choice: the version, and the newer lines passed over (empty when the newest won). */
export interface LineChoice {
  version: string;
  skipped: SkippedLine[];
  /** When no line has every wheel: the packages with none for `version`, whose sources the install builds. */
  unmet?: string[];
}

/** Requests that name the version: the app's choice stands, whatever the wheels say. */
const EXACT = new Set(["BP_CPYTHON_VERSION", ".python-version", "runtime.txt"]);

/**
 * The lines the lock's wheels may choose among for request `r` (one version per line, newest
 * first, `chosen` first): none when the app names its version (a setting, .python-version,
 * runtime.txt); with no version asked at all (the default), `chosen`'s line and the older ones.
 *
 * @example
 * lineCandidates({ source: "pyproject.toml requires-python", raw: ">=3.10", specifier: ">=3.10" }, ["3.11.2", "3.13.5", "3.13.4"], "3.13.5")
 * // ["3.13.5", "3.11.2"]
 */
export function lineCandidates(r: VersionRequest, available: readonly string[], chosen: string): string[] {
  if (EXACT.has(r.source)) return [];
  const minor = (v: string) => Number(v.split(".")[1]);
  const allowed = newestFirst(available).filter((v) =>
    r.source === "default"
      ? v.split(".")[0] === chosen.split(".")[0] && minor(v) <= minor(chosen)
      : satisfies(v, r.specifier),
  );
  const seen = new Set<string>();
  const lines = allowed.filter((v) => {
    if (seen.has(lineOf(v))) return false;
    seen.add(lineOf(v));
    return true;
  });
  // chooseVersion's choice heads the list: it is what the build takes when the lock moves nothing.
  return [chosen, ...lines.filter((v) => lineOf(v) !== lineOf(chosen))];
}

/** The packages of `locked` that have wheels for some line but none for `version`'s (those whose marker leaves them out skipped). */
function missingFor(version: string, packages: readonly LockedPackage[], arch: string): string[] {
  const minor = Number(version.split(".")[1]);
  const env = linuxCpython(version, arch);
  const out: string[] = [];
  for (const p of packages) {
    if (p.marker && !markerHolds(p.marker, env)) continue;
    if (!allows(wheelCoverage(p.files ?? [], linuxMachine(arch)), minor)) out.push(`${p.name} ${p.version}`);
  }
  return out;
}

/** A marker this module cannot read counts as holding: the package is then checked. */
function markerHolds(marker: string, env: ReturnType<typeof linuxCpython>): boolean {
  try {
    return evaluateMarker(marker, env);
  } catch {
    return true;
  }
}

/**
 * The first of `candidates` (one version per line, newest first) that every package allows,
 * with the lines passed over before it; the newest when none is allowed by all, with the
 * packages that have no wheel for it (their sdists' builds then say what is missing).
 *
 * @example
 * chooseLine(["3.13.5", "3.11.2"], [{ name: "orjson", version: "3.10.4", files: ["orjson-3.10.4-cp311-cp311-manylinux_2_17_x86_64.whl"] }], "amd64")
 * // { version: "3.11.2", skipped: [{ line: "3.13", missing: ["orjson 3.10.4"] }] }
 */
export function chooseLine(
  candidates: readonly string[],
  packages: readonly LockedPackage[],
  arch: string,
): LineChoice {
  const skipped: SkippedLine[] = [];
  for (const version of candidates) {
    const missing = missingFor(version, packages, arch);
    if (missing.length === 0) return { version, skipped };
    skipped.push({ line: lineOf(version), missing });
  }
  return { version: candidates[0]!, skipped: [], unmet: skipped[0]?.missing };
}

/**
 * The warning for a choice no line satisfies: said at version resolution, it explains a
 * source build that fails minutes later (astral-sh/uv-fastapi-example: requires-python
 * ">=3.12" on a builder with 3.13 and 3.11, httptools 0.6.1 with cp312 wheels only).
 *
 * @example
 * describeUnmet("3.13.5", ["httptools 0.6.1", "uvloop 0.20.0"], "uv.lock")
 * // "httptools 0.6.1 and uvloop 0.20.0 publish no wheel for CPython 3.13 (uv.lock), and no other line the project allows and this builder carries has a wheel for each: their sources will be built, which an old pin's often no longer does on a newer CPython"
 */
export function describeUnmet(version: string, unmet: readonly string[], lockfile: string): string {
  const verb = unmet.length === 1 ? "publishes" : "publish";
  return `${names(unmet)} ${verb} no wheel for CPython ${lineOf(version)} (${lockfile}), and no other line the project allows and this builder carries has a wheel for each: their sources will be built, which an old pin's often no longer does on a newer CPython`;
}

/** "a", "a and b", "a, b and 2 more". */
function names(list: readonly string[]): string {
  if (list.length <= 2) return list.join(" and ");
  return list.length === 3
    ? `${list[0]}, ${list[1]} and ${list[2]}`
    : `${list[0]}, ${list[1]} and ${list.length - 2} more`;
}

/**
 * The log line for a choice that moved down a line.
 *
 * @example
 * describeLine("3.11.2", { version: "3.11.2", skipped: [{ line: "3.13", missing: ["orjson 3.10.4"] }] }, "poetry.lock")
 * // "Selected CPython 3.11.2: orjson 3.10.4 publishes no wheel for 3.13 (poetry.lock); pin a version to override"
 */
export function describeLine(version: string, choice: LineChoice, lockfile: string): string {
  // Lines that lack the same packages are named together: "for 3.14 or 3.13".
  const groups: { missing: string[]; lines: string[] }[] = [];
  for (const s of choice.skipped) {
    const last = groups.at(-1);
    if (last && last.missing.join() === s.missing.join()) last.lines.push(s.line);
    else groups.push({ missing: s.missing, lines: [s.line] });
  }
  const parts = groups.map(
    (g) =>
      `${names(g.missing)} ${g.missing.length === 1 ? "publishes" : "publish"} no wheel for ${g.lines.join(" or ")}`,
  );
  return `Selected CPython ${version}: ${parts.join("; ")} (${lockfile}); pin a version to override`;
}

/** What reading the lock needs. */
export interface LockInputs {
  app: Pick<AppFiles, "readText" | "readToml" | "readJson">;
  /** The lockfile the package manager installs from ("uv.lock", "requirements.txt", …). */
  lockfile: string;
  settings: Settings;
  log: Logger;
  /** Makes the fetch the index is asked with (only when one is asked; a bad proxy setting then counts as "cannot ask"). */
  fetch: () => typeof fetch;
}

/**
 * The locked packages with their files, or undefined when the lockfile pins nothing this
 * module reads, or the index that holds their files cannot be asked (one debug line says why).
 */
export async function lockedWheels(i: LockInputs): Promise<LockedWheels | undefined> {
  const { app, lockfile } = i;
  try {
    if (lockfile === "uv.lock") return { lockfile, packages: uvLockPackages(await app.readToml<UvLock>(lockfile)) };
    if (lockfile === "poetry.lock") {
      return { lockfile, packages: poetryLockPackages(await app.readToml<PoetryLock>(lockfile)) };
    }
    let pins: LockedPins;
    let index: string | undefined;
    if (lockfile === "Pipfile.lock") {
      pins = pipfileLockPins(await app.readJson<PipfileLock>(lockfile));
      index = i.settings.PIPENV_PYPI_MIRROR ?? pins.index ?? i.settings.PIP_INDEX_URL;
    } else if (lockfile === "requirements.txt") {
      pins = requirementsPins(await app.readText(lockfile));
      index = pins.index ?? i.settings.PIP_INDEX_URL;
    } else {
      return undefined;
    }
    if (pins.packages.length === 0) return undefined;
    const started = Date.now();
    const packages = await indexFiles(index ?? PYPI_SIMPLE, pins.packages, { fetch: i.fetch() });
    i.log.debug(`Read the files of ${packages.length} pins from the index in ${Date.now() - started} ms`);
    return { lockfile, packages };
  } catch (err) {
    // Reading the lock for this is a courtesy: the install reads it again and says what is wrong.
    i.log.debug(`CPython line by the lock's wheels: not checked (${lockfile}: ${(err as Error).message})`);
    return undefined;
  }
}

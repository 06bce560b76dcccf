/**
 * A version range starts from the buildpack's default line, not from the newest line it allows.
 *
 * Why: a range (`requires-python = ">=3.10"`, Poetry's `^3.11`, a Pipfile's) says which lines
 * the app can run on, not that it wants the newest one a builder happens to carry. The lines
 * newer than the default are the least proven: the local builder's 3.14 and 3.15 come from
 * Debian unstable (whose `termios` needed glibc 2.42 until the local builder compiled it again
 * for trixie: trixie-termios.ts). Heroku's Python buildpack also
 * takes its default unless `.python-version` names a line. A newer line is still taken when the
 * range rules out the default line (`>=3.14`), when the app names the line, or when the lock's
 * wheels need it (the newer lines are tried after the default's older ones).
 */
import { satisfies } from "./pep440.js";
import type { VersionRequest } from "./python-version.js";
import { compareLines, pythonLine as lineOf } from "./python-line.js";

/** What {@link preferDefaultLine} decided. */
export interface DefaultLinePreference {
  /** The versions to choose the first from: those up to the default line, or all. */
  available: readonly string[];
  /** The default line ("3.13") when it capped the range, else undefined. */
  capped?: string;
}

/**
 * The versions a request chooses its first version from: up to the default line when the
 * request is a range that the default line satisfies and newer lines satisfy too.
 *
 * @example
 * preferDefaultLine({ source: "pyproject.toml requires-python", raw: ">=3.10", specifier: ">=3.10" },
 *   ["3.11.2", "3.13.5", "3.15.2"], "3.13.x")
 * // { available: ["3.11.2", "3.13.5"], capped: "3.13" }
 */
export function preferDefaultLine(
  request: VersionRequest,
  available: readonly string[],
  defaultVersion: string,
): DefaultLinePreference {
  if (request.source === "default") return { available };
  const line = lineOf(defaultVersion);
  const allowed = available.filter((v) => satisfies(v, request.specifier));
  const newer = allowed.some((v) => compareLines(lineOf(v), line) > 0);
  if (!newer || !allowed.some((v) => lineOf(v) === line)) return { available };
  return { available: available.filter((v) => compareLines(lineOf(v), line) <= 0), capped: line };
}

/**
 * The lines for the lock's wheels to choose among, in the order to try them: the chosen
 * version, the other lines up to the default newest first, then the newer lines oldest first
 * (the least new one that has every wheel).
 *
 * @example
 * orderForDefaultLine(["3.13.5", "3.15.2", "3.14.10", "3.11.2"], "3.13")
 * // ["3.13.5", "3.11.2", "3.14.10", "3.15.2"]
 */
export function orderForDefaultLine(candidates: readonly string[], capped: string | undefined): string[] {
  if (!capped || candidates.length === 0) return [...candidates];
  const [chosen, ...rest] = candidates as [string, ...string[]];
  const older = rest.filter((v) => compareLines(lineOf(v), capped) <= 0);
  const newer = rest.filter((v) => compareLines(lineOf(v), capped) > 0).reverse();
  return [chosen, ...older, ...newer];
}

/**
 * The log line for a range the default line capped: what else it allows, and how to get it.
 *
 * @example
 * describeCap({ source: "pyproject.toml requires-python", raw: ">=3.10", specifier: ">=3.10" }, "3.13", ["3.11.2", "3.13.5", "3.15.2"])
 * // 'pyproject.toml requires-python ">=3.10" also allows 3.15: using the default line 3.13 (name a newer line in .python-version to build on it)'
 */
export function describeCap(request: VersionRequest, capped: string, available: readonly string[]): string {
  const newer = [
    ...new Set(
      available.filter((v) => satisfies(v, request.specifier) && compareLines(lineOf(v), capped) > 0).map(lineOf),
    ),
  ].sort((a, b) => compareLines(b, a));
  return `${request.source} "${request.raw}" also allows ${newer.join(" and ")}: using the default line ${capped} (name a newer line in .python-version to build on it)`;
}

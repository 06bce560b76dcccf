/**
 * Version ranges in each package ecosystem's own syntax, so a query reads the way that
 * ecosystem's users write it: npm semver ranges (`^4.17.0`, `<4.17.21`), PEP 440 specifiers
 * (`>=2.0,<2.32`), Maven ranges (`[1.0,2.0)`, `(,5.3.39]`) and Debian relations (`<< 3.0.15-1`,
 * `>= 2.36`). A bare version means that version exactly. Every range is checked once, when the
 * query is read: a range that does not parse is one line naming the ecosystem's syntax.
 */
import * as pep440 from "@renovatebot/pep440";
import semver from "semver";
import { CnbError } from "@cnbkit/framework";
import { compareDebian, isDebianVersion } from "./debian.js";
import { compareMaven } from "./maven.js";

/** The package ecosystems a fleet inventory tells apart (a purl's type; anything else is `other`). */
export type Ecosystem = "npm" | "pypi" | "maven" | "deb" | "other";

/** Tests one version of a package against a range of its ecosystem. */
export type VersionTest = (version: string) => boolean;

/** The ecosystem of a purl type (`pkg:<type>/...`). */
export function ecosystemOf(purlType: string | undefined): Ecosystem {
  return purlType === "npm" || purlType === "pypi" || purlType === "maven" || purlType === "deb" ? purlType : "other";
}

/** How each ecosystem orders two versions (for sorting and for comparator ranges). */
export const COMPARE: Record<Ecosystem, (a: string, b: string) => number> = {
  npm: (a, b) =>
    semver.compare(
      semver.coerce(a, { includePrerelease: true }) ?? "0.0.0",
      semver.coerce(b, { includePrerelease: true }) ?? "0.0.0",
    ),
  pypi: (a, b) => (pep440.valid(a) && pep440.valid(b) ? pep440.compare(a, b) : compareDebian(a, b)),
  maven: compareMaven,
  deb: compareDebian,
  other: compareDebian,
};

const SYNTAX: Record<Ecosystem, string> = {
  npm: 'an npm semver range, e.g. "<4.17.21" or "^1.2.0"',
  pypi: 'a PEP 440 specifier, e.g. "<2.32.0" or ">=1.0,<2"',
  maven: 'a Maven range, e.g. "[1.0,2.0)" or "(,5.3.39]", or comparators like "<5.3.39"',
  deb: 'Debian relations, e.g. "<< 3.0.15-1~deb12u1" or ">= 2.36, << 2.37"',
  other: 'comparators, e.g. "<1.2.3" or ">=1, <2"',
};

/**
 * Parses `range` for `ecosystem` into a test; a {@link CnbError} naming the syntax when it is
 * not one. `where` names the flag for the message.
 *
 * @example
 * versionTest("deb", "<< 3.0.15", "--package openssl@<< 3.0.15")("3.0.11-1~deb12u2") // true
 */
export function versionTest(ecosystem: Ecosystem, range: string, where: string): VersionTest {
  const test = parseRange(ecosystem, range.trim());
  if (!test) throw new CnbError(`${where}: "${range}" is not ${SYNTAX[ecosystem]}`);
  return test;
}

function parseRange(ecosystem: Ecosystem, range: string): VersionTest | undefined {
  if (!range) return undefined;
  if (ecosystem === "npm") {
    if (!semver.validRange(range)) return undefined;
    return (v) => semver.valid(v) !== null && semver.satisfies(v, range, { includePrerelease: true });
  }
  if (ecosystem === "pypi") {
    const spec = /^[0-9]/.test(range) ? `==${range}` : range;
    if (!pep440.validRange(spec)) return undefined;
    return (v) => pep440.valid(v) !== null && pep440.satisfies(v, spec);
  }
  if (ecosystem === "maven" && /^[[(]/.test(range)) return mavenRange(range);
  return comparators(range, COMPARE[ecosystem], ecosystem === "deb" ? isDebianVersion : (v) => /^[0-9A-Za-z]/.test(v));
}

/** Comparator lists: `op version` joined by commas (Debian's `<<`/`>>` and `<`/`>` both read as strict). */
function comparators(
  range: string,
  compare: (a: string, b: string) => number,
  valid: (v: string) => boolean,
): VersionTest | undefined {
  const tests: VersionTest[] = [];
  for (const part of range.split(",")) {
    const m = /^\s*(<<|>>|<=|>=|==|=|<|>)?\s*(\S+)\s*$/.exec(part);
    if (!m || !valid(m[2]!)) return undefined;
    const op = m[1] ?? "=";
    const bound = m[2]!;
    tests.push((v) => {
      const c = compare(v, bound);
      if (op === "<" || op === "<<") return c < 0;
      if (op === ">" || op === ">>") return c > 0;
      if (op === "<=") return c <= 0;
      if (op === ">=") return c >= 0;
      return c === 0;
    });
  }
  return (v) => tests.every((t) => t(v));
}

/** Maven's bracket ranges: `[a,b]`, `[a,b)`, `(,b]`, `[a,)`, `[a]`, and unions of them joined by commas. */
function mavenRange(range: string): VersionTest | undefined {
  const sets = range.match(/[[(][^\])]*[\])]/g);
  if (!sets || sets.join(",") !== range.replace(/\s+/g, "")) return undefined;
  const tests: VersionTest[] = [];
  for (const set of sets) {
    const lowInclusive = set.startsWith("[");
    const highInclusive = set.endsWith("]");
    const inner = set
      .slice(1, -1)
      .split(",")
      .map((s) => s.trim());
    if (inner.length === 1) {
      if (!inner[0] || !lowInclusive || !highInclusive) return undefined;
      tests.push((v) => compareMaven(v, inner[0]!) === 0);
      continue;
    }
    if (inner.length !== 2) return undefined;
    const [low, high] = inner as [string, string];
    tests.push(
      (v) =>
        (!low || (lowInclusive ? compareMaven(v, low) >= 0 : compareMaven(v, low) > 0)) &&
        (!high || (highInclusive ? compareMaven(v, high) <= 0 : compareMaven(v, high) < 0)),
    );
  }
  return (v) => tests.some((t) => t(v));
}

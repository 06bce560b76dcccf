/**
 * PEP 440 version specifiers (`>=3.10,<3.13`, `~=3.11`, `==3.12.*`, `!=3.12.1`) for plain
 * release versions such as CPython's `3.12.7`: enough to pick an interpreter from the
 * inventory. Pre-releases, epochs and local versions are not in the inventory, so they are
 * not modelled; a specifier using them is reported as invalid.
 */

/** One clause of a specifier set. */
interface Clause {
  op: "==" | "!=" | "<=" | ">=" | "<" | ">" | "~=" | "===";
  release: number[];
  wildcard: boolean;
}

const CLAUSE = /^(~=|===|==|!=|<=|>=|<|>)\s*v?(\d+(?:\.\d+)*)(\.\*)?$/;

/**
 * Parses a comma-separated specifier set; undefined when any clause is not PEP 440.
 *
 * @example
 * parseSpecifiers(">=3.10, <3.13")?.length // 2
 */
export function parseSpecifiers(text: string): Clause[] | undefined {
  const parts = text
    .split(",")
    .map((p) => p.trim())
    .filter((p) => p !== "");
  if (parts.length === 0) return undefined;
  const out: Clause[] = [];
  for (const p of parts) {
    const m = CLAUSE.exec(p);
    if (!m) return undefined;
    const op = m[1] as Clause["op"];
    const wildcard = m[3] !== undefined;
    if (wildcard && op !== "==" && op !== "!=") return undefined;
    const release = m[2]!.split(".").map(Number);
    if (op === "~=" && release.length < 2) return undefined;
    out.push({ op, release, wildcard });
  }
  return out;
}

/** Compares two release tuples, padding the shorter one with zeros (PEP 440). */
function compare(a: readonly number[], b: readonly number[]): number {
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    const d = (a[i] ?? 0) - (b[i] ?? 0);
    if (d !== 0) return Math.sign(d);
  }
  return 0;
}

function prefixMatches(version: readonly number[], prefix: readonly number[]): boolean {
  return prefix.every((p, i) => (version[i] ?? 0) === p);
}

function clauseMatches(version: number[], c: Clause): boolean {
  const cmp = compare(version, c.release);
  switch (c.op) {
    case "==":
    case "===":
      return c.wildcard ? prefixMatches(version, c.release) : cmp === 0;
    case "!=":
      return c.wildcard ? !prefixMatches(version, c.release) : cmp !== 0;
    case "<=":
      return cmp <= 0;
    case ">=":
      return cmp >= 0;
    case "<":
      return cmp < 0;
    case ">":
      return cmp > 0;
    case "~=":
      // ~=X.Y.Z means >=X.Y.Z, ==X.Y.*
      return cmp >= 0 && prefixMatches(version, c.release.slice(0, -1));
  }
}

/**
 * True when `version` (e.g. "3.12.7") satisfies every clause of `specifiers`.
 *
 * @example
 * satisfies("3.12.7", ">=3.10,<3.13") // true
 * satisfies("3.13.1", "~=3.12.0") // false
 */
export function satisfies(version: string, specifiers: string): boolean {
  const clauses = parseSpecifiers(specifiers);
  if (!clauses) return false;
  const release = version.split(".").map(Number);
  return clauses.every((c) => clauseMatches(release, c));
}

/** Versions sorted newest first. */
export function newestFirst(versions: readonly string[]): string[] {
  const tuple = (v: string) => v.split(".").map(Number);
  return [...new Set(versions)].sort((a, b) => compare(tuple(b), tuple(a)));
}

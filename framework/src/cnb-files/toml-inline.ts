/**
 * TOML values written as one line, without the TOML library: what a detect writes its plan
 * with (see {@link inlineTomlValue} for why). toml.ts stays the one place TOML is parsed.
 */
const BARE_KEY = /^[A-Za-z0-9_-]+$/;

/**
 * A value as one line of TOML (`"text"`, `1.5`, `true`, `[1, 2]`, `{ a = 1 }`), or
 * undefined when it holds something JSON has no form for (a Date, a BigInt, NaN, null, an
 * integer past 2^53, a lone surrogate, a class instance): the caller then writes the table
 * with {@link stringifyToml}. JSON's strings, finite numbers and booleans are TOML's.
 *
 * Why not smol-toml here: its stringify asks `globalThis.Temporal` about every table, and on
 * Node 26 the first ask builds the Temporal namespace, ~0.9 ms of every detect that passes.
 * `undefined` entries are dropped, as {@link stringifyToml} drops them.
 */
export function inlineTomlValue(value: unknown): string | undefined {
  switch (typeof value) {
    case "string":
      return isWellFormed(value) ? JSON.stringify(value) : undefined;
    case "boolean":
      return String(value);
    case "number":
      return Number.isFinite(value) && (!Number.isInteger(value) || Number.isSafeInteger(value))
        ? JSON.stringify(value)
        : undefined;
    case "object":
      return Array.isArray(value) ? inlineArray(value) : inlineTable(value);
    default:
      return undefined;
  }
}

function inlineArray(values: unknown[]): string | undefined {
  const items: string[] = [];
  for (const v of values) {
    if (v === undefined) continue;
    const text = inlineTomlValue(v);
    if (text === undefined) return undefined;
    items.push(text);
  }
  return `[${items.join(", ")}]`;
}

function inlineTable(value: object | null): string | undefined {
  const proto = value === null ? undefined : Object.getPrototypeOf(value);
  if (proto !== Object.prototype && proto !== null) return undefined;
  const entries: string[] = [];
  for (const [k, v] of Object.entries(value as object)) {
    if (v === undefined) continue;
    const key = BARE_KEY.test(k) ? k : inlineTomlValue(k);
    const text = inlineTomlValue(v);
    if (key === undefined || text === undefined) return undefined;
    entries.push(`${key} = ${text}`);
  }
  return entries.length === 0 ? "{}" : `{ ${entries.join(", ")} }`;
}

/**
 * No lone surrogate (TOML strings are Unicode scalar values). String#isWellFormed (Node 20+;
 * not in this project's TypeScript lib yet) rather than a `\p{Surrogate}` regex, whose first
 * use costs a detect ~0.1-0.5 ms.
 */
function isWellFormed(s: string): boolean {
  return (s as string & { isWellFormed(): boolean }).isWellFormed();
}

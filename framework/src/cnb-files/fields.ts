/**
 * Field readers shared by the spec modules: each checks one value of a parsed TOML table
 * and throws a one-line {@link CnbError} that names the file and the field.
 *
 * Field names follow the TOML a user would edit: `[buildpack].id` for a key of a table,
 * `[[processes]][1].type` for a key of the second entry of an array of tables (indexes
 * count from 0, as in the lifecycle's own messages).
 */
import { CnbError } from "../errors/index.js";
import type { TomlTable } from "./toml.js";

/** Throws `<file>: <field> <problem>` as a {@link CnbError}. */
export function fail(file: string, field: string, problem: string, hint?: string): never {
  const msg = field === "" ? `${file}: ${problem}` : `${file}: ${field} ${problem}`;
  throw new CnbError(msg, hint === undefined ? undefined : { hint });
}

/** A short description of a value for "must be X, not Y" messages. */
export function describe(value: unknown): string {
  if (typeof value === "string") return `string ${quote(value)}`;
  if (typeof value === "bigint") return `integer ${value}`;
  if (typeof value === "number") return Number.isInteger(value) ? `integer ${value}` : `float ${value}`;
  if (typeof value === "boolean") return `boolean ${value}`;
  if (value instanceof Date) return `date ${value.toISOString()}`;
  if (Array.isArray(value)) return "an array";
  if (value === null) return "null";
  if (value === undefined) return "nothing";
  if (typeof value === "object") return "a table";
  return typeof value;
}

/** A string as it appears in messages: JSON-quoted, shortened when long. */
export function quote(s: string): string {
  const q = JSON.stringify(s);
  return q.length > 80 ? `${q.slice(0, 76)}..."` : q;
}

/** True for a TOML table (a plain or null-prototype object, not a date or array). */
export function isTable(value: unknown): value is TomlTable {
  if (value === null || typeof value !== "object" || Array.isArray(value) || value instanceof Date) return false;
  const proto = Object.getPrototypeOf(value);
  return proto === null || proto === Object.prototype;
}

/** `value` as a table, or a CnbError "must be a table". */
export function table(value: unknown, file: string, field: string): TomlTable {
  if (!isTable(value)) fail(file, field, `must be a table, not ${describe(value)}`);
  return value;
}

/** `parent[key]` as a table; missing gives `undefined`. */
export function optTable(parent: TomlTable, key: string, file: string, field: string): TomlTable | undefined {
  const v = parent[key];
  return v === undefined ? undefined : table(v, file, field);
}

/** `value` as a string, or a CnbError "must be a string". */
export function str(value: unknown, file: string, field: string): string {
  if (typeof value !== "string") fail(file, field, `must be a string, not ${describe(value)}`);
  return value;
}

/** `parent[key]` as a required, non-empty string. */
export function reqStr(parent: TomlTable, key: string, file: string, field: string): string {
  const v = parent[key];
  if (v === undefined) fail(file, field, "is required");
  const s = str(v, file, field);
  if (s === "") fail(file, field, "must not be empty");
  return s;
}

/** `parent[key]` as a string; missing gives `undefined`. */
export function optStr(parent: TomlTable, key: string, file: string, field: string): string | undefined {
  const v = parent[key];
  return v === undefined ? undefined : str(v, file, field);
}

/** `parent[key]` as a boolean; missing gives `undefined`. */
export function optBool(parent: TomlTable, key: string, file: string, field: string): boolean | undefined {
  const v = parent[key];
  if (v === undefined) return undefined;
  if (typeof v !== "boolean") fail(file, field, `must be a boolean, not ${describe(v)}`);
  return v;
}

/** `value` as an array of strings, or a CnbError naming the first bad element. */
export function strArray(value: unknown, file: string, field: string): string[] {
  if (!Array.isArray(value)) fail(file, field, `must be an array of strings, not ${describe(value)}`);
  return value.map((v, i) => str(v, file, `${field}[${i}]`));
}

/** `parent[key]` as an array of strings; missing gives `undefined`. */
export function optStrArray(parent: TomlTable, key: string, file: string, field: string): string[] | undefined {
  const v = parent[key];
  return v === undefined ? undefined : strArray(v, file, field);
}

/**
 * `parent[key]` as an array of tables (`[[key]]`); missing gives `[]`. `field` names the
 * array, e.g. `[[processes]]`; elements are reported as `[[processes]][i]`.
 */
export function tableArray(parent: TomlTable, key: string, file: string, field: string): TomlTable[] {
  const v = parent[key];
  if (v === undefined) return [];
  if (!Array.isArray(v)) fail(file, field, `must be an array of tables, not ${describe(v)}`);
  return v.map((t, i) => table(t, file, `${field}[${i}]`));
}

/**
 * A deep copy of parsed TOML data made of ordinary objects (the parser returns
 * null-prototype tables), so metadata behaves like any JSON-ish object. Dates are kept
 * (as the parser's Date subclass); a key such as `__proto__` stays an own property.
 */
export function plain(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(plain);
  if (isTable(value)) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) {
      Object.defineProperty(out, k, { value: plain(v), enumerable: true, writable: true, configurable: true });
    }
    return out;
  }
  return value;
}

/** `parent[key]` as metadata: a table copied with {@link plain}; missing gives `{}`. */
export function metadataTable(parent: TomlTable, key: string, file: string, field: string): Record<string, unknown> {
  const t = optTable(parent, key, file, field);
  return t === undefined ? {} : (plain(t) as Record<string, unknown>);
}

/** Adds `value` under `key` only when it is defined, so parsed objects have no `undefined` keys. */
export function setOpt<T extends object, K extends keyof T>(target: T, key: K, value: T[K] | undefined): void {
  if (value !== undefined) target[key] = value;
}

/**
 * An `exec-env` list (Buildpack API 0.12): execution environment names such as
 * "production", or "*" for all. Names must not be empty or contain '/' (the spec reserves it).
 */
export function execEnvArray(value: unknown, file: string, field: string): string[] {
  const names = strArray(value, file, field);
  names.forEach((n, i) => {
    if (n === "") fail(file, `${field}[${i}]`, "must not be empty");
    if (n.includes("/")) fail(file, `${field}[${i}]`, `${quote(n)} must not contain '/'`);
  });
  return names;
}

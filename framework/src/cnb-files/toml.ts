/**
 * The one place cnbkit parses and writes TOML, so the library can be swapped.
 *
 * We use smol-toml rather than @iarna/toml: it implements TOML 1.0 (lifecycle and pack
 * write TOML 1.0), is maintained, and is small enough not to slow `detect` down.
 */
import { parse, stringify, TomlError } from "smol-toml";
import { CnbError } from "../errors/index.js";

/** A parsed TOML table. */
export type TomlTable = Record<string, unknown>;

/**
 * Parses TOML text; a syntax error becomes a {@link CnbError} naming `file`, line and column.
 *
 * @example
 * const doc = parseToml(await readFile("buildpack.toml", "utf8"), "buildpack.toml");
 */
export function parseToml(text: string, file: string): TomlTable {
  try {
    return parse(text) as TomlTable;
  } catch (err) {
    if (err instanceof TomlError) {
      const where = err.line ? `:${err.line}:${err.column}` : "";
      const reason = err.message.split("\n")[0]?.replace(/^Invalid TOML document: /, "") ?? "invalid TOML";
      throw new CnbError(`${file}${where}: invalid TOML: ${reason}`, { cause: err });
    }
    throw err;
  }
}

/**
 * Writes a table as TOML. `undefined` values are dropped (TOML has no null), so callers can
 * build tables with optional fields without filtering them first.
 */
export function stringifyToml(table: TomlTable): string {
  return stringify(dropUndefined(table) as Record<string, unknown>);
}

function dropUndefined(value: unknown): unknown {
  if (Array.isArray(value)) return value.filter((v) => v !== undefined).map(dropUndefined);
  if (
    value &&
    typeof value === "object" &&
    !(value instanceof Date) &&
    Object.getPrototypeOf(value) === Object.prototype
  ) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) if (v !== undefined) out[k] = dropUndefined(v);
    return out;
  }
  return value;
}

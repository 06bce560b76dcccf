/**
 * The cache key that decides whether a cached layer is reused: stored in `<layer>.toml` as
 * `[metadata.cache-key]`, compared with the expected one after a TOML round trip, and each
 * difference named for the log ("version 24.10.0 → 24.11.1").
 */

/** A cache key: TOML-compatible data (strings, numbers, booleans, dates, arrays, tables). */
export type LayerKey = Record<string, unknown>;

/** The metadata key under which the cache key is stored in `<layer>.toml`. */
export const CACHE_KEY_FIELD = "cache-key";

/**
 * Compares a stored key with the expected one and names each difference
 * ("version 24.10.0 → 24.11.1"). TOML round trips are tolerated: dates compare by instant,
 * bigints as numbers, and table key order does not matter.
 */
export function keyChanges(stored: LayerKey, expected: LayerKey): string[] {
  const a = flatten(normalize(stored));
  const b = flatten(normalize(expected));
  const changes: string[] = [];
  for (const field of [...new Set([...Object.keys(b), ...Object.keys(a)])]) {
    const before = a[field];
    const after = b[field];
    if (before === after) continue;
    changes.push(`${field} ${show(before)} → ${show(after)}`);
  }
  return changes;
}

function normalize(value: unknown): unknown {
  if (value instanceof Date) return value.toISOString();
  if (typeof value === "bigint") return Number(value);
  if (Array.isArray(value)) return value.map(normalize);
  if (isTable(value)) {
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(value)) if (value[k] !== undefined) out[k] = normalize(value[k]);
    return out;
  }
  return value;
}

/** Flattens tables to dotted paths with JSON-encoded leaves, so comparison is by string. */
function flatten(value: unknown, prefix = "", out: Record<string, string> = {}): Record<string, string> {
  if (isTable(value) && (Object.keys(value).length > 0 || prefix === "")) {
    for (const [k, v] of Object.entries(value)) flatten(v, prefix ? `${prefix}.${k}` : k, out);
  } else {
    out[prefix] = JSON.stringify(value);
  }
  return out;
}

function show(json: string | undefined): string {
  if (json === undefined) return "(none)";
  const v: unknown = JSON.parse(json);
  const s = typeof v === "string" ? v : json;
  return s.length > 40 ? `${s.slice(0, 12)}…` : s;
}

/** True for a TOML table: a plain object, not an array or a date. */
export function isTable(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value) && !(value instanceof Date);
}

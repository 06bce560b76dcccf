/**
 * A layer's `[metadata]` made writable as TOML, which has no null: `<layer>.toml` (layers.ts)
 * and the arch-neutral store's entries (multi-platform.ts) both write it.
 */
import { isTable } from "./cache-key.js";

/** The table without its undefined values, at any depth: TOML has no null. */
export function dropUndefined(table: Record<string, unknown>): Record<string, unknown> {
  return normalizeForToml(table) as Record<string, unknown>;
}

function normalizeForToml(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(normalizeForToml);
  if (isTable(value)) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) if (v !== undefined) out[k] = normalizeForToml(v);
    return out;
  }
  return value;
}

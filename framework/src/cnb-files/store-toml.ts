/** `<layers>/store.toml`: `[metadata]` persisted from one build to the next. */
import { describe, fail, isTable, metadataTable } from "./fields.js";
import { parseToml, stringifyToml } from "./toml.js";

/** The whole store.toml. */
export interface StoreToml {
  metadata: Record<string, unknown>;
}

/** Parses store.toml; a missing `[metadata]` is `{}`. */
export function parseStoreToml(text: string, file: string): StoreToml {
  const doc = parseToml(text, file);
  return { metadata: metadataTable(doc, "metadata", file, "[metadata]") };
}

/** Writes store.toml (always with a `[metadata]` table). */
export function stringifyStoreToml(s: StoreToml): string {
  if (!isTable(s.metadata)) fail("store.toml", "[metadata]", `must be a table, not ${describe(s.metadata)}`);
  return stringifyToml({ metadata: s.metadata });
}

/** `<layers>/<layer>.toml`: a layer's `[types]` and `[metadata]`. */
import { describe, fail, isTable, metadataTable, optBool, optTable } from "./fields.js";
import { parseToml, stringifyToml } from "./toml.js";

/** `[types]`. Each defaults to false. */
export interface LayerTypes {
  build: boolean;
  launch: boolean;
  cache: boolean;
}

/** The whole `<layer>.toml`. */
export interface LayerToml {
  types: LayerTypes;
  metadata: Record<string, unknown>;
}

/**
 * Parses `<layer>.toml`. A missing `[types]` (or key in it) is false: the lifecycle restores
 * a cached layer's TOML with `[metadata]` only. Top-level `build`/`launch`/`cache` keys are
 * an error, as in the lifecycle. A missing `[metadata]` is `{}`.
 */
export function parseLayerToml(text: string, file: string): LayerToml {
  const doc = parseToml(text, file);
  for (const key of ["build", "launch", "cache"]) {
    if (doc[key] !== undefined) fail(file, key, "must be under [types]", `[types] ${key} = ${String(doc[key])}`);
  }
  const t = optTable(doc, "types", file, "[types]") ?? {};
  const types: LayerTypes = {
    build: optBool(t, "build", file, "[types].build") ?? false,
    launch: optBool(t, "launch", file, "[types].launch") ?? false,
    cache: optBool(t, "cache", file, "[types].cache") ?? false,
  };
  return { types, metadata: metadataTable(doc, "metadata", file, "[metadata]") };
}

/**
 * Writes `<layer>.toml` with all three `[types]` keys (they are rewritten on every build,
 * because the lifecycle restores layers without them) and `[metadata]` when non-empty.
 */
export function stringifyLayerToml(l: LayerToml): string {
  for (const key of ["build", "launch", "cache"] as const) {
    const v: unknown = l.types[key];
    if (typeof v !== "boolean") fail("layer.toml", `[types].${key}`, `must be a boolean, not ${describe(v)}`);
  }
  if (!isTable(l.metadata)) fail("layer.toml", "[metadata]", `must be a table, not ${describe(l.metadata)}`);
  const doc: Record<string, unknown> = {
    types: { build: l.types.build, launch: l.types.launch, cache: l.types.cache },
  };
  if (Object.keys(l.metadata).length > 0) doc.metadata = l.metadata;
  return stringifyToml(doc);
}

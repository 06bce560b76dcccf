/**
 * Typed `[metadata]` of a layer, checked when a build reads it back. A layer's metadata is
 * written by one version of a buildpack and read by the next, so what comes back may have
 * another shape: a {@link LayerMetadata} says what this version expects (`validate`) and how
 * to carry older metadata forward (`migrate`), as libcnb.rs's `LayerMetadata` and migration
 * do. Metadata that neither accepts resets the layer, with the reason logged.
 */

/** TOML-compatible data (strings, numbers, booleans, dates, arrays, tables) stored in `[metadata]`. */
export type MetadataTable = Record<string, unknown>;

/**
 * What a layer's `[metadata]` holds, for {@link Layers.cached} and {@link Layers.fresh}.
 *
 * @example
 * const meta: LayerMetadata<{ artifact: string }> = {
 *   validate(m) {
 *     if (typeof m.artifact !== "string") throw new Error("artifact is missing");
 *     return { artifact: m.artifact };
 *   },
 *   migrate: (old) => (typeof old.jar === "string" ? { artifact: old.jar } : undefined), // 1.x called it jar
 * };
 */
export interface LayerMetadata<M> {
  /**
   * Returns the stored metadata typed as `M`, or throws an Error whose message says what is
   * wrong ("artifact is missing"). Also checks what `fill` leaves, before it is written.
   */
  validate(stored: MetadataTable): M;
  /**
   * Metadata that `validate` refused, as an older version of the buildpack wrote it: returns
   * it in this version's shape (validated again), or undefined to rebuild the layer.
   */
  migrate?(old: MetadataTable): M | undefined;
}

/** The kinds {@link metadataSchema} checks: a TOML value's type, `?` when it may be missing. */
export type MetadataFieldKind =
  | "string"
  | "number"
  | "boolean"
  | "string[]"
  | "table"
  | "table[]"
  | "string?"
  | "number?"
  | "boolean?"
  | "string[]?"
  | "table?"
  | "table[]?";

/** The TypeScript type of one {@link MetadataFieldKind}. */
export type MetadataFieldType<K extends MetadataFieldKind> = K extends `${infer B}?`
  ? MetadataFieldType<B & MetadataFieldKind> | undefined
  : K extends "string"
    ? string
    : K extends "number"
      ? number
      : K extends "boolean"
        ? boolean
        : K extends "string[]"
          ? string[]
          : K extends "table"
            ? MetadataTable
            : MetadataTable[];

/** A field of a {@link metadataSchema}: a kind, or a function that checks the value and returns it typed. */
export type MetadataField = MetadataFieldKind | ((value: unknown, field: string) => unknown);

/** The metadata type a {@link metadataSchema} describes. */
export type MetadataOf<S extends Record<string, MetadataField>> = {
  [F in keyof S]: S[F] extends MetadataFieldKind
    ? MetadataFieldType<S[F]>
    : S[F] extends (value: unknown, field: string) => infer T
      ? T
      : never;
};

/**
 * A {@link LayerMetadata} from a small schema: each field's kind, or a function for the rest.
 * Fields not in the schema are dropped; a missing or mistyped field fails validation.
 *
 * @example
 * const jar = metadataSchema({ jar: "string", classes: "number?" });
 * const layer = await ctx.layers.cached("runner", { types, key, metadata: jar, fill: async (l) => ({ jar: "x.jar" }) });
 * layer.metadata.jar; // string
 */
export function metadataSchema<S extends Record<string, MetadataField>>(
  schema: S,
  options: { migrate?(old: MetadataTable): MetadataOf<S> | undefined } = {},
): LayerMetadata<MetadataOf<S>> {
  return {
    validate(stored) {
      const out: Record<string, unknown> = {};
      for (const [field, kind] of Object.entries(schema)) {
        const value = typeof kind === "function" ? kind(stored[field], field) : checkKind(stored[field], field, kind);
        if (value !== undefined) out[field] = value;
      }
      return out as MetadataOf<S>;
    },
    ...(options.migrate ? { migrate: options.migrate } : {}),
  };
}

function checkKind(value: unknown, field: string, kind: MetadataFieldKind): unknown {
  const optional = kind.endsWith("?");
  if (value === undefined) {
    if (optional) return undefined;
    throw new Error(`${field} is missing`);
  }
  const base = optional ? kind.slice(0, -1) : kind;
  const ok =
    base === "string[]"
      ? Array.isArray(value) && value.every((v) => typeof v === "string")
      : base === "table[]"
        ? Array.isArray(value) && value.every(isTable)
        : base === "table"
          ? isTable(value)
          : typeof value === base;
  if (!ok) throw new Error(`${field} is ${describe(value)}, not ${base === "table[]" ? "a list of tables" : base}`);
  return value;
}

/**
 * Checks what `validate` or `migrate` made of stored metadata: the typed value, or why it
 * was refused ("metadata from an older buildpack version: artifact is missing").
 */
export function readLayerMetadata<M>(
  spec: LayerMetadata<M>,
  stored: MetadataTable,
): { ok: true; metadata: M; migrated: boolean } | { ok: false; reason: string } {
  let why: string;
  try {
    return { ok: true, metadata: spec.validate(stored), migrated: false };
  } catch (err) {
    why = err instanceof Error ? err.message : String(err);
  }
  if (spec.migrate) {
    try {
      const migrated = spec.migrate(stored);
      if (migrated !== undefined) {
        return { ok: true, metadata: spec.validate(migrated as MetadataTable), migrated: true };
      }
    } catch (err) {
      why = `${why}; migrating it failed: ${err instanceof Error ? err.message : String(err)}`;
    }
  }
  return { ok: false, reason: `metadata from an older buildpack version: ${why}` };
}

function describe(value: unknown): string {
  if (Array.isArray(value)) return "a list";
  if (value instanceof Date) return "a date";
  if (isTable(value)) return "a table";
  return `${typeof value} ${JSON.stringify(value)}`;
}

function isTable(value: unknown): value is MetadataTable {
  return typeof value === "object" && value !== null && !Array.isArray(value) && !(value instanceof Date);
}

/**
 * The two ABI records: what an app image's own layers need from the run image under them,
 * and what a run image provides. Both are small sorted JSON, with no timestamps, kept as image
 * labels so a rebase and `fleet scan` read them from the config blob they already fetch.
 */

/** The label on an app image: its launch layers' {@link AbiNeeds}. */
export const ABI_NEEDS_LABEL = "io.cnbkit.abi.needs";

/**
 * The label on a run image: its {@link AbiProvides}. Under `io.cnbkit.base.`, so it moves with
 * the run image on a rebase and an app image carries the record of the run image it sits on.
 */
export const ABI_PROVIDES_LABEL = "io.cnbkit.base.abi";

/** The record schema; a label of another schema is ignored (recomputed), never trusted. */
export const ABI_SCHEMA = 1;

/** One file that needs something, as an absolute path in the image (`/layers/cnbkit_python/python/bin/python3.13`). */
export type NeedingFile = string;

/** What an app image's layers need from the run image: versions per library and family, and sonames. */
export interface AbiNeeds {
  schema: typeof ABI_SCHEMA;
  /** Per library soname, per version family, the newest version any file needs and the first file (by path) that needs it. */
  versions: Record<string, Record<string, { version: string; file: NeedingFile }>>;
  /** Sonames the files load that the app layers themselves do not hold, each with the first file (by path) that loads it. */
  sonames: Record<string, NeedingFile>;
}

/** What a run image provides: its glibc and, per soname in its library directories, the newest version per family. */
export interface AbiProvides {
  schema: typeof ABI_SCHEMA;
  /** The newest `GLIBC_` version libc.so.6 defines (`2.41`), when there is a libc. */
  glibc?: string;
  libraries: Record<string, Record<string, string>>;
}

/** An object with its keys sorted at every level: the same record gives the same bytes. */
export function sortedRecord<T>(value: T): T {
  if (Array.isArray(value)) return value.map(sortedRecord) as T;
  if (value === null || typeof value !== "object") return value;
  const out: Record<string, unknown> = {};
  for (const k of Object.keys(value).sort()) out[k] = sortedRecord((value as Record<string, unknown>)[k]);
  return out as T;
}

/** The label value of a record: compact, keys sorted. */
export function abiLabel(record: AbiNeeds | AbiProvides): string {
  return JSON.stringify(sortedRecord(record));
}

/** The record in a label, or undefined when absent, unparsable or of another schema. */
export function parseAbiLabel<T extends AbiNeeds | AbiProvides>(value: string | undefined): T | undefined {
  if (!value) return undefined;
  try {
    const parsed = JSON.parse(value) as T;
    return parsed?.schema === ABI_SCHEMA ? parsed : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Small facts that are slow to derive and fixed by their inputs, remembered by a digest of
 * those inputs: a bundle's detect rules and its chunks' V8 code caches (each a Node start,
 * ~50-100 ms, seconds under qemu), a lifecycle build's SBOMs (~100 ms of loading CycloneDX).
 * An unchanged `builder create` would otherwise pay them on every run. Entries are small JSON
 * files under `<cache>/<kind>/<key>.json`; the newest {@link KEEP} of a kind are kept.
 */
import { mkdir, readdir, readFile, rename, rm, stat, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { cnbkitCacheDir } from "./dir.js";

/** How many entries of a kind stay; older ones go when a new one is written. */
const KEEP = 100;

/** Options of {@link memoByContent}. */
export interface ContentMemoOptions<T> {
  /** The cache dir's name, e.g. "detect-rules". */
  kind: string;
  /** A hex digest of everything the value depends on. */
  key: string;
  /** Cache root (default `cnbkitCacheDir()`). */
  cacheDir?: string;
  /** The stored JSON back into a value, or undefined when it is not one (then it is made again). */
  check: (json: unknown, file: string) => T | undefined;
  /** Makes the value on a miss; it must survive `JSON.stringify`. */
  make: () => Promise<T>;
}

/**
 * The value stored under `key`, or `make()`'s, stored for next time.
 *
 * @example
 * const rules = await memoByContent({ kind: "detect-rules", key, check, make: () => describeDetectRules(file, node) });
 */
export async function memoByContent<T>(options: ContentMemoOptions<T>): Promise<T> {
  const root = join(options.cacheDir ?? cnbkitCacheDir(), options.kind);
  const file = join(root, `${options.key}.json`);
  const text = await readFile(file, "utf8").catch(() => undefined);
  if (text !== undefined) {
    try {
      const value = options.check(JSON.parse(text), file);
      if (value !== undefined) return value;
    } catch {
      // A broken entry is made again and replaced.
    }
  }
  const value = await options.make();
  await mkdir(root, { recursive: true });
  const tmp = `${file}.tmp-${process.pid}`;
  await writeFile(tmp, JSON.stringify(value));
  await rename(tmp, file);
  await prune(root);
  return value;
}

/**
 * A `check` for values that are objects of strings (file name -> text, name -> base64):
 * the JSON back as such a record, or undefined.
 */
export function stringRecord(json: unknown): Record<string, string> | undefined {
  if (typeof json !== "object" || json === null || Array.isArray(json)) return undefined;
  return Object.values(json).every((v) => typeof v === "string") ? (json as Record<string, string>) : undefined;
}

/** Removes all but the newest {@link KEEP} entries. */
async function prune(root: string): Promise<void> {
  const names = (await readdir(root)).filter((n) => n.endsWith(".json"));
  if (names.length <= KEEP) return;
  const dated = await Promise.all(
    names.map(async (n) => ({ n, t: (await stat(join(root, n)).catch(() => undefined))?.mtimeMs ?? 0 })),
  );
  dated.sort((a, b) => b.t - a.t);
  for (const { n } of dated.slice(KEEP)) await rm(join(root, n), { force: true });
}

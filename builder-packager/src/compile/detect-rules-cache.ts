/**
 * The detect rules of a bundle, remembered by the bundle's content: asking a bundle for its
 * rules starts Node (~50-100 ms), which an unchanged `builder create` paid once per
 * buildpack. Entries are tiny JSON files under `<cache>/detect-rules/`, named by the sha256
 * of the bundle and the Node version; the newest {@link KEEP} are kept.
 */
import { createHash } from "node:crypto";
import { mkdir, readdir, readFile, rename, rm, stat, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { cnbkitCacheDir } from "../cache/index.js";
import { checkRulesJson, type DetectRulesJson, describeDetectRules } from "./detect-rules.js";

/** How many entries stay; older ones go when a new one is written. */
const KEEP = 100;

/** Options of {@link cachedDetectRules}. */
export interface CachedDetectRulesOptions {
  /** The bundle's text (the key) and where it is written (what Node runs on a miss). */
  code: string;
  bundleFile: string;
  /** A Node binary this machine runs, and its version (part of the key). */
  node: string;
  nodeVersion: string;
  /** Cache root (default `cnbkitCacheDir()`). */
  cacheDir?: string;
}

/**
 * The bundle's detect rules (undefined for a plain detect), from the cache when this bundle
 * was asked before.
 *
 * @example
 * const rules = await cachedDetectRules({ code, bundleFile: "lib/main.cjs", node: host.node, nodeVersion: host.version });
 */
export async function cachedDetectRules(options: CachedDetectRulesOptions): Promise<DetectRulesJson | undefined> {
  const root = join(options.cacheDir ?? cnbkitCacheDir(), "detect-rules");
  const key = createHash("sha256").update(`${options.nodeVersion}\0`).update(options.code).digest("hex");
  const file = join(root, `${key}.json`);
  const text = await readFile(file, "utf8").catch(() => undefined);
  if (text !== undefined) {
    try {
      const json: unknown = JSON.parse(text);
      return json === null ? undefined : checkRulesJson(json, file);
    } catch {
      // A broken entry is asked again and replaced.
    }
  }
  const rules = await describeDetectRules(options.bundleFile, options.node);
  await mkdir(root, { recursive: true });
  const tmp = `${file}.tmp-${process.pid}`;
  await writeFile(tmp, JSON.stringify(rules ?? null));
  await rename(tmp, file);
  await prune(root);
  return rules;
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

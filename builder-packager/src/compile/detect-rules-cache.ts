/**
 * The detect rules of a bundle, remembered by the bundle's content (cache/content-memo.ts):
 * asking a bundle for its rules starts Node, which an unchanged `builder create` paid once
 * per buildpack. Keyed by the sha256 of the bundle and the Node version.
 */
import { createHash } from "node:crypto";
import { memoByContent } from "../cache/index.js";
import { checkRulesJson, type DetectRulesJson, describeDetectRules } from "./detect-rules.js";

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
  const key = createHash("sha256").update(`${options.nodeVersion}\0`).update(options.code).digest("hex");
  // A plain detect is stored as `null`, so that "no rules" is remembered too.
  const stored = await memoByContent<DetectRulesJson | null>({
    kind: "detect-rules",
    key,
    cacheDir: options.cacheDir,
    check: (json, file) => (json === null ? null : checkRulesJson(json, file)),
    make: async () => (await describeDetectRules(options.bundleFile, options.node)) ?? null,
  });
  return stored ?? undefined;
}

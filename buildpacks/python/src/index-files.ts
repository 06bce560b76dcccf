/**
 * The files a package index holds for pinned packages, from its simple API: PEP 691's JSON
 * when the index serves it, else PEP 503's HTML page (the anchors' text is the file name). Used
 * for the locks that name no files (Pipfile.lock, a pinned requirements.txt).
 *
 * Bounded: a few requests at a time, each with a timeout, and one failure ends the lot (the
 * caller then decides without the index): the CPython choice must never be what makes a build
 * slow or fail.
 */
import type { LockedPackage } from "./lock-wheels.js";

/** PyPI's simple index: pip's, uv's and Pipenv's default. */
export const PYPI_SIMPLE = "https://pypi.org/simple";

/** How the index is asked. */
export interface IndexOptions {
  /** The fetch to use (the environment's proxy). */
  fetch: typeof fetch;
  /** Requests in flight at once. */
  concurrency?: number;
  /** Per request, in ms. */
  timeoutMs?: number;
}

/** PEP 503's normalized project name. */
export function normalizeName(name: string): string {
  return name.toLowerCase().replace(/[-_.]+/g, "-");
}

/** The version in a wheel's file name (`name-version-…whl`); undefined for an sdist, which says nothing about CPython lines. */
function wheelVersion(filename: string): string | undefined {
  if (!filename.toLowerCase().endsWith(".whl")) return undefined;
  return filename.split("-")[1];
}

/** The file names on an index page: PEP 691 JSON's `files[].filename`, or an HTML page's anchors. */
export function pageFiles(body: string, contentType: string): string[] {
  if (contentType.includes("json")) {
    const files = (JSON.parse(body) as { files?: { filename?: unknown; yanked?: unknown }[] }).files ?? [];
    return files.filter((f) => typeof f.filename === "string" && !f.yanked).map((f) => f.filename as string);
  }
  const out: string[] = [];
  for (const m of body.matchAll(/<a\b([^>]*)>([^<]*)<\/a>/gi)) {
    if (/\bdata-yanked\b/i.test(m[1]!)) continue;
    out.push(m[2]!.trim());
  }
  return out;
}

/** `url` without user:password (fetch refuses such URLs), and the Basic authorization it carried. */
function withoutCredentials(url: URL): { url: string; headers: Record<string, string> } {
  if (!url.username && !url.password) return { url: url.href, headers: {} };
  const auth = Buffer.from(`${decodeURIComponent(url.username)}:${decodeURIComponent(url.password)}`).toString(
    "base64",
  );
  const bare = new URL(url.href);
  bare.username = "";
  bare.password = "";
  return { url: bare.href, headers: { authorization: `Basic ${auth}` } };
}

/**
 * Each package's wheels at its pinned version, from the index at `index` (a simple index URL),
 * as a copy of `packages` with `files` set. Rejects on the first request that fails, times out
 * or answers other than 200.
 */
export async function indexFiles(
  index: string,
  packages: readonly LockedPackage[],
  options: IndexOptions,
): Promise<LockedPackage[]> {
  const base = new URL(index.endsWith("/") ? index : `${index}/`);
  const timeoutMs = options.timeoutMs ?? 10_000;
  const ask = async (pkg: LockedPackage): Promise<LockedPackage> => {
    const { url, headers } = withoutCredentials(new URL(`${normalizeName(pkg.name)}/`, base));
    const res = await options.fetch(url, {
      headers: { ...headers, accept: "application/vnd.pypi.simple.v1+json, text/html;q=0.1" },
      signal: AbortSignal.timeout(timeoutMs),
    });
    if (res.status !== 200) throw new Error(`${url} answered ${res.status}`);
    const files = pageFiles(await res.text(), res.headers.get("content-type") ?? "");
    const want = pkg.version.toLowerCase();
    return { ...pkg, files: files.filter((f) => wheelVersion(f)?.toLowerCase() === want) };
  };
  const out: LockedPackage[] = new Array(packages.length);
  let next = 0;
  const worker = async () => {
    while (next < packages.length) {
      const i = next++;
      out[i] = await ask(packages[i]!);
    }
  };
  const workers = Array.from({ length: Math.min(options.concurrency ?? 8, packages.length) }, worker);
  await Promise.all(workers);
  return out;
}

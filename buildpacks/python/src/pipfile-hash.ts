/**
 * Whether Pipfile.lock was locked from this Pipfile: the lock's `_meta.hash.sha256` against
 * the Pipfile's hash, computed as Pipenv does, both ways it has done it (pure).
 *
 * Pipenv hashes the parsed Pipfile, not its bytes: the sources (PyPI's when none is
 * declared), `[requires]`, and each package section, serialised as JSON with sorted keys
 * and no spaces. Pipenv 2026.4 changed one thing: package names are now lowercased
 * (PEP 503) before hashing (pypa/pipenv#6609). So a lock made by an earlier Pipenv from a
 * Pipfile that writes `Flask` or `Flask_Login` fails `pipenv verify` in a later one, though
 * nothing changed (pypa/pipenv#6664; Pipenv calls it a one-time migration). Outside apps
 * carry such locks. The build accepts a lock that matches either hash, as the Pipenv that
 * made it would have, and refuses one that matches neither.
 */
import { createHash } from "node:crypto";
import { pythonJson } from "./python-json.js";

/** Pipfile sections that are not package categories. */
const NOT_PACKAGES = new Set(["source", "packages", "dev-packages", "requires", "scripts", "pipfile", "pipenv"]);

/** The source Pipenv assumes when Pipfile declares none. */
const DEFAULT_SOURCE = [{ name: "pypi", url: "https://pypi.org/simple", verify_ssl: true }];

/** The Pipfile's hash as Pipenv 2026.4 and later compute it, and as earlier ones did. */
export function pipfileHashes(pipfile: Record<string, unknown>): { current: string; legacy: string } {
  return { current: hashWith(pipfile, canonicalName), legacy: hashWith(pipfile, (name) => name) };
}

/** How Pipfile.lock relates to Pipfile: which Pipenv's hash it carries, or neither. */
export type LockSync = "current" | "legacy" | "out-of-date";

/** Compares Pipfile.lock's recorded hash with both of the Pipfile's. */
export function pipfileLockSync(pipfile: Record<string, unknown>, lock: unknown): LockSync {
  const recorded = (lock as { _meta?: { hash?: { sha256?: unknown } } } | null)?._meta?.hash?.sha256;
  const { current, legacy } = pipfileHashes(pipfile);
  if (recorded === current) return "current";
  if (recorded === legacy) return "legacy";
  return "out-of-date";
}

/** PEP 503's normalized name: lowercase, runs of `-_.` as one `-`. */
function canonicalName(name: string): string {
  return name.replace(/[-_.]+/g, "-").toLowerCase();
}

function hashWith(pipfile: Record<string, unknown>, name: (n: string) => string): string {
  const section = (key: string) => renameKeys(pipfile[key], name);
  const data: Record<string, unknown> = {
    _meta: { sources: pipfile.source ?? DEFAULT_SOURCE, requires: pipfile.requires ?? {} },
    default: section("packages"),
    develop: section("dev-packages"),
  };
  for (const key of Object.keys(pipfile)) {
    if (NOT_PACKAGES.has(key) || key === "default" || key === "develop") continue;
    data[key] = section(key);
  }
  return createHash("sha256")
    .update(pythonJson(data, { compact: true }), "utf8")
    .digest("hex");
}

function renameKeys(section: unknown, name: (n: string) => string): Record<string, unknown> {
  if (!section || typeof section !== "object") return {};
  return Object.fromEntries(Object.entries(section).map(([k, v]) => [name(k), v]));
}

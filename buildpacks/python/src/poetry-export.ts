/**
 * poetry.lock as a requirements file with hashes (pure): what `poetry export --only main`
 * writes, for this image's interpreter and platform.
 *
 * Why not `poetry sync`: Poetry's PyPI source reads PyPI's per-version JSON API, and a
 * mirror or proxy that serves only the simple index (PEP 503/691: corporate mirrors, this
 * project's build machines) answers it with 404, so every Poetry app failed with "Unable to
 * find installation candidates". Why not `poetry export`: it needs poetry-plugin-export, one
 * more tool from PyPI, and Poetry itself (~4 s to install) only to read a TOML file. The lock
 * already says everything an installer needs: each package's version, its files' hashes, its
 * dependencies with their markers and extras. So the build walks it from pyproject.toml's main
 * dependencies (as `--only main`: dev and other groups, and optional dependencies no extra
 * asks for, are left out), evaluates the markers for the image's CPython on Linux, and hands
 * uv the exact versions with `--require-hashes --no-deps`: nothing is resolved again, and a
 * file whose hash is not in the lock is refused.
 *
 * A lock with git, path or file dependencies (no hashes to require) is left to Poetry.
 */
import { createHash } from "node:crypto";
import { CnbError } from "@cnbkit/framework";
import { evaluateMarker, type MarkerEnv } from "./markers.js";
import { satisfies } from "./pep440.js";
import { poetryToSpecifier } from "./python-version.js";
import { pythonJson } from "./python-json.js";

/** A dependency as poetry.lock and pyproject.toml write it: a constraint, or a table. */
type DepSpec =
  | string
  | {
      version?: string;
      markers?: string;
      python?: string;
      platform?: string;
      optional?: boolean;
      extras?: string[];
    };

/** A `[[package]]` of poetry.lock. */
export interface LockPackage {
  name: string;
  version: string;
  files?: { file?: string; hash?: string }[];
  source?: { type?: string; url?: string; reference?: string };
  dependencies?: Record<string, DepSpec | DepSpec[]>;
  extras?: Record<string, string[]>;
  /** Lock 2.1 (Poetry 2): when the package is needed, per group. */
  markers?: string | Record<string, string>;
}

/** poetry.lock, as far as the export reads it. */
export interface PoetryLock {
  package?: LockPackage[];
  /** Lock 1.x kept the files' hashes here, by package name. */
  metadata?: { "content-hash"?: string; files?: Record<string, { file?: string; hash?: string }[]> };
}

/** pyproject.toml, as far as the export reads it. */
export interface PoetryPyproject {
  project?: { name?: unknown; dependencies?: unknown };
  tool?: { poetry?: Record<string, unknown> };
  "dependency-groups"?: unknown;
}

/** The export: requirement lines with hashes, and the indexes the lock's packages came from. */
export interface PoetryExport {
  /** The requirements file's text. */
  text: string;
  /** How many distributions it pins. */
  count: number;
  /** Indexes other than PyPI that packages came from (`[package.source]` of type legacy), as URLs. */
  indexes: { name: string; url: string }[];
}

const normalize = (name: string) => name.toLowerCase().replace(/[-_.]+/g, "-");
const NAME = /^\s*([A-Za-z0-9][A-Za-z0-9._-]*)\s*(?:\[([^\]]*)\])?\s*(.*)$/;

/** A requirement to walk from: a name, the extras asked of it, and its version constraint. */
interface Want {
  name: string;
  extras: string[];
  constraint?: string | undefined;
}

/**
 * The lock exported for `env`, or `{ unsupported }` with the reason when uv cannot install it
 * by hash (a git, path or file dependency). A main dependency missing from the lock throws.
 */
export function exportPoetryLock(
  lock: PoetryLock,
  pyproject: PoetryPyproject,
  env: MarkerEnv,
): PoetryExport | { unsupported: string } {
  const byName = new Map<string, LockPackage[]>();
  for (const p of lock.package ?? []) {
    const key = normalize(p.name);
    byName.set(key, [...(byName.get(key) ?? []), p]);
  }
  const chosen = new Map<string, LockPackage>();
  const asked = new Map<string, Set<string>>();
  const visit = (want: Want, from: string) => {
    const key = normalize(want.name);
    const candidates = byName.get(key);
    if (!candidates) {
      throw new CnbError(`poetry.lock: ${want.name}, which ${from} requires, is not in the lock`, {
        hint: 'The lock is out of date with pyproject.toml: run "poetry lock" and commit poetry.lock.',
      });
    }
    const pkg = chosen.get(key) ?? pick(candidates, want.constraint, env);
    chosen.set(key, pkg);
    const before = asked.get(key);
    const extras = new Set([...(before ?? []), ...want.extras.map(normalize)]);
    if (before && extras.size === before.size) return;
    asked.set(key, extras);
    const fromExtras = new Set(
      Object.entries(pkg.extras ?? {})
        .filter(([e]) => extras.has(normalize(e)))
        .flatMap(([, deps]) => deps.map((d) => normalize(NAME.exec(d)?.[1] ?? d))),
    );
    for (const [name, specs] of Object.entries(pkg.dependencies ?? {})) {
      for (const spec of [specs].flat()) {
        if (typeof spec === "object" && spec.optional && !fromExtras.has(normalize(name))) continue;
        if (!applies(spec, env, [...extras], `${pkg.name} ${pkg.version}`)) continue;
        visit(
          { name, extras: typeof spec === "object" ? (spec.extras ?? []) : [], constraint: versionOf(spec) },
          `${pkg.name} ${pkg.version}`,
        );
      }
    }
  };
  for (const want of mainDependencies(pyproject, env)) visit(want, "pyproject.toml");

  const lines: string[] = [];
  const indexes = new Map<string, string>();
  for (const pkg of [...chosen.values()].sort((a, b) => normalize(a.name).localeCompare(normalize(b.name)))) {
    const type = pkg.source?.type;
    if (type === "git" || type === "directory" || type === "file") {
      return { unsupported: `${pkg.name} is a ${type} dependency (no hashes to require)` };
    }
    const files = pkg.files ?? lock.metadata?.files?.[pkg.name] ?? [];
    const hashes = files.map((f) => f.hash).filter((h): h is string => typeof h === "string" && h.includes(":"));
    if (hashes.length === 0) return { unsupported: `${pkg.name} ${pkg.version} has no file hashes in poetry.lock` };
    if (type === "legacy" && pkg.source?.url) indexes.set(pkg.source.reference ?? pkg.source.url, pkg.source.url);
    const requirement =
      type === "url" && pkg.source?.url ? `${pkg.name} @ ${pkg.source.url}` : `${pkg.name}==${pkg.version}`;
    lines.push([requirement, ...hashes.map((h) => `    --hash=${h}`)].join(" \\\n"));
  }
  return {
    text: lines.map((l) => `${l}\n`).join(""),
    count: lines.length,
    indexes: [...indexes].map(([name, url]) => ({ name, url })),
  };
}

/** The version constraint of a dependency spec. */
function versionOf(spec: DepSpec): string | undefined {
  return typeof spec === "string" ? spec : spec.version;
}

/** Whether a dependency spec's markers, `python` and `platform` hold in `env`. */
function applies(spec: DepSpec, env: MarkerEnv, extras: string[], where: string): boolean {
  if (typeof spec === "string") return true;
  try {
    if (spec.markers && !evaluateMarker(spec.markers, env, extras)) return false;
  } catch (e) {
    throw new CnbError(`poetry.lock: ${where}: ${(e as Error).message}`);
  }
  if (spec.python) {
    const specifier = poetryToSpecifier(spec.python);
    if (specifier && !satisfies(env.python_full_version, specifier)) return false;
  }
  if (spec.platform && spec.platform !== env.sys_platform) return false;
  return true;
}

/** Of several locked versions of one package, the one this environment and constraint take. */
function pick(candidates: LockPackage[], constraint: string | undefined, env: MarkerEnv): LockPackage {
  if (candidates.length === 1) return candidates[0]!;
  const specifier = constraint ? poetryToSpecifier(constraint) : undefined;
  const fits = candidates.filter((p) => {
    const marker = typeof p.markers === "string" ? p.markers : p.markers?.main;
    if (marker && !evaluateMarker(marker, env)) return false;
    return !specifier || !/^\d+(?:\.\d+)*$/.test(p.version) || satisfies(p.version, specifier);
  });
  return fits[0] ?? candidates[0]!;
}

/**
 * pyproject.toml's main dependencies, as `poetry install --only main` installs them: PEP 621
 * `[project] dependencies` when declared (Poetry 2), else `[tool.poetry.dependencies]` but
 * `python` and optional ones; those whose markers do not hold here are left out.
 */
export function mainDependencies(pyproject: PoetryPyproject, env: MarkerEnv): Want[] {
  const out: Want[] = [];
  const declared = pyproject.project?.dependencies;
  if (Array.isArray(declared)) {
    for (const d of declared) {
      if (typeof d !== "string") continue;
      const [req, marker] = d.split(";", 2) as [string, string | undefined];
      const m = NAME.exec(req);
      if (!m) continue;
      if (marker?.trim() && !evaluateMarker(marker.trim(), env)) continue;
      const extras = (m[2] ?? "")
        .split(",")
        .map((e) => e.trim())
        .filter(Boolean);
      out.push({ name: m[1]!, extras, constraint: m[3]?.startsWith("@") ? undefined : m[3]?.trim() || undefined });
    }
    return out;
  }
  const deps = (pyproject.tool?.poetry?.dependencies ?? {}) as Record<string, DepSpec | DepSpec[]>;
  for (const [name, specs] of Object.entries(deps)) {
    if (name.toLowerCase() === "python") continue;
    for (const spec of [specs].flat()) {
      if (typeof spec === "object" && spec.optional) continue;
      if (!applies(spec, env, [], "pyproject.toml")) continue;
      out.push({ name, extras: typeof spec === "object" ? (spec.extras ?? []) : [], constraint: versionOf(spec) });
    }
  }
  return out;
}

/**
 * The content-hash Poetry records in poetry.lock for this pyproject.toml, as Poetry 1.x and
 * 2.x compute it (with and without `[dependency-groups]`, which Poetry before 2.3 left out):
 * sha256 of the relevant tables as Python's `json.dumps(sort_keys=True)`.
 */
export function poetryContentHashes(pyproject: PoetryPyproject): string[] {
  const legacyKeys = ["dependencies", "source", "extras", "dev-dependencies"];
  const project = (pyproject.project ?? {}) as Record<string, unknown>;
  const poetry = pyproject.tool?.poetry ?? {};
  const hash = (groups: unknown) => {
    const relevantProject: Record<string, unknown> = {};
    for (const key of ["requires-python", "dependencies", "optional-dependencies"]) {
      if (project[key] !== undefined) relevantProject[key] = project[key];
    }
    const hasGroups = groups !== undefined && Object.keys(groups as object).length > 0;
    const relevantPoetry: Record<string, unknown> = {};
    for (const key of [...legacyKeys, "group"]) {
      const data = poetry[key];
      const hasProject = Object.keys(relevantProject).length > 0;
      if (data === undefined && (!legacyKeys.includes(key) || hasProject || hasGroups)) continue;
      relevantPoetry[key] = data ?? null;
    }
    const content: Record<string, unknown> = {};
    if (Object.keys(relevantProject).length > 0) content.project = relevantProject;
    if (hasGroups) content["dependency-groups"] = groups;
    const all = Object.keys(content).length > 0 ? { ...content, tool: { poetry: relevantPoetry } } : relevantPoetry;
    return createHash("sha256")
      .update(pythonJson(all, { compact: false }), "utf8")
      .digest("hex");
  };
  return [...new Set([hash(pyproject["dependency-groups"]), hash(undefined)])];
}

/**
 * What `poetry install` does with the project itself: installs it, or not, and why not.
 * `missing` is Poetry 1.x's case of a `packages` list that names no file or folder that exists:
 * Poetry 1 warned "The current project could not be installed" and went on (Poetry 2 fails),
 * so apps written for it (webmasterdevlin/fastapi-demo) declare a package they never had.
 */
export type PoetryRoot =
  | { install: true }
  | { install: false; reason: "package-mode" | "not a package" }
  | { install: false; reason: "missing"; missing: string[] };

/**
 * Whether `poetry install` would install the project itself: not in non-package mode
 * (`package-mode = false`), and when it declares packages that exist, has scripts, or has a
 * package or module named like the project (Poetry's default), at the top or under src/.
 */
export function poetryRoot(
  pyproject: PoetryPyproject,
  hasScripts: boolean,
  exists: (path: string) => boolean,
): PoetryRoot {
  const poetry = pyproject.tool?.poetry ?? {};
  if (poetry["package-mode"] === false) return { install: false, reason: "package-mode" };
  if (Array.isArray(poetry.packages)) {
    const declared = poetry.packages.flatMap((p: unknown) => {
      const entry = p as { include?: unknown; from?: unknown };
      if (typeof entry?.include !== "string") return [];
      return [typeof entry.from === "string" ? `${entry.from}/${entry.include}` : entry.include];
    });
    // A glob is Poetry's to expand: only plain names are checked.
    const missing = declared.filter((path) => !/[*?[]/.test(path) && !exists(path));
    if (declared.length > 0 && missing.length === declared.length)
      return { install: false, reason: "missing", missing };
    return { install: true };
  }
  if (hasScripts) return { install: true };
  const name = pyproject.project?.name ?? poetry.name;
  if (typeof name !== "string") return { install: false, reason: "not a package" };
  const module = normalize(name).replace(/-/g, "_");
  const found = [`${module}/__init__.py`, `${module}.py`, `src/${module}/__init__.py`, `src/${module}.py`].some(exists);
  return found ? { install: true } : { install: false, reason: "not a package" };
}

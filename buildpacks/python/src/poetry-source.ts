/**
 * The package index an unlocked Poetry project is resolved against, as a simple-API source
 * (pure).
 *
 * Why: Poetry's built-in PyPI source reads PyPI's per-version JSON API
 * (`/pypi/<name>/<version>/json`), which a mirror or proxy that serves only the simple index
 * (PEP 503/691: corporate mirrors, this project's build machines) answers with 404, so
 * `poetry lock` stopped with "Package uvicorn (0.30.6) not found". A source of Poetry's
 * "legacy" kind reads the simple index instead, and its files' hashes, which the locked
 * install then requires (install-poetry-lock.ts). Poetry has no setting that turns its PyPI
 * source into a legacy one, so the source goes into a pyproject.toml Poetry reads for the
 * build only (steps/lock-poetry.ts puts the app's own back).
 *
 * The index is PIP_INDEX_URL when the build sets it, else PyPI's simple index. A project that
 * names its own primary source already keeps Poetry off PyPI and is left as it is; one that
 * names PyPI itself as a source gets the index in its place. Credentials in PIP_INDEX_URL go
 * to Poetry as `POETRY_HTTP_BASIC_<SOURCE>_USERNAME` / `_PASSWORD`, not in the URL, so neither
 * the lock nor the log holds them.
 */
import type { ToolEnv } from "@cnbkit/framework";

/** The name the added source has in the lock (`[package.source] reference`). */
export const INDEX_SOURCE = "cnbkit-index";

/** PyPI's simple index: what Poetry's PyPI source stands for. */
export const PYPI_SIMPLE = "https://pypi.org/simple/";

/** A `[[tool.poetry.source]]`, as far as this reads it. */
interface PoetrySource {
  name?: unknown;
  url?: unknown;
  priority?: unknown;
  default?: unknown;
}

/** pyproject.toml, as far as this reads it. */
export interface SourcePyproject {
  tool?: { poetry?: Record<string, unknown> };
  [key: string]: unknown;
}

/** What Poetry locks with: the pyproject to lock, and the variables it needs for the index. */
export interface LockSource {
  /** pyproject.toml for the lock (the app's own when it already names its index). */
  pyproject: SourcePyproject;
  /** The index added as a source, without credentials; undefined when the project's own sources are used. */
  index?: string;
  /** Where the index came from, for the log: "PIP_INDEX_URL" or "PyPI's simple index". */
  from: string;
  /** Variables for Poetry (the index's credentials), never logged. */
  env: Record<string, string>;
}

/**
 * The pyproject.toml Poetry should lock, resolving through the build's index as a legacy source.
 *
 * @example
 * lockSource({ tool: { poetry: { dependencies: {} } } }, {}).index // "https://pypi.org/simple/"
 */
export function lockSource(pyproject: SourcePyproject, settings: ToolEnv): LockSource {
  const poetry = pyproject.tool?.poetry ?? {};
  const declared = Array.isArray(poetry.source) ? (poetry.source as PoetrySource[]) : [];
  const isPypi = (s: PoetrySource) => typeof s.name === "string" && s.name.toLowerCase() === "pypi" && !s.url;
  const own = declared.filter((s) => !isPypi(s) && typeof s.url === "string" && isPrimary(s));
  if (own.length > 0) {
    return { pyproject, from: `pyproject.toml [[tool.poetry.source]] "${String(own[0]!.name)}"`, env: {} };
  }
  const configured = settings.PIP_INDEX_URL?.trim();
  const { url, env } = withoutCredentials(configured || PYPI_SIMPLE);
  // An explicit PyPI source keeps its priority; the index takes its place.
  const pypi = declared.find(isPypi);
  const priority = typeof pypi?.priority === "string" ? pypi.priority : "primary";
  const source = { name: INDEX_SOURCE, url, priority };
  return {
    pyproject: {
      ...pyproject,
      tool: {
        ...pyproject.tool,
        poetry: { ...poetry, source: [...declared.filter((s) => !isPypi(s)), source] },
      },
    },
    index: url,
    from: configured ? "PIP_INDEX_URL" : "PyPI's simple index",
    env,
  };
}

/**
 * Whether a source is one Poetry resolves from by default: `primary` (the default priority of
 * Poetry 2), or `default` / `default = true` of earlier Poetry. Such a source turns PyPI off.
 */
function isPrimary(s: PoetrySource): boolean {
  if (s.default === true) return true;
  return s.priority === undefined || s.priority === "primary" || s.priority === "default";
}

/** The URL without user and password, and those as Poetry's variables for {@link INDEX_SOURCE}. */
function withoutCredentials(raw: string): { url: string; env: Record<string, string> } {
  let parsed: URL;
  try {
    parsed = new URL(raw);
  } catch {
    // Not a URL Node reads: Poetry says what is wrong with it, in its own words.
    return { url: raw, env: {} };
  }
  if (!parsed.username && !parsed.password) return { url: raw, env: {} };
  const key = INDEX_SOURCE.toUpperCase().replace(/[^A-Z0-9]+/g, "_");
  const env = {
    [`POETRY_HTTP_BASIC_${key}_USERNAME`]: decodeURIComponent(parsed.username),
    [`POETRY_HTTP_BASIC_${key}_PASSWORD`]: decodeURIComponent(parsed.password),
  };
  parsed.username = "";
  parsed.password = "";
  return { url: parsed.toString(), env };
}

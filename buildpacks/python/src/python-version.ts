/**
 * Which CPython the app asks for, and from where: BP_CPYTHON_VERSION > `.python-version` >
 * `runtime.txt` > pyproject.toml `requires-python` (or Poetry's `python` dependency) >
 * Pipfile / Pipfile.lock `python_version` > the buildpack's default. Every request becomes a
 * PEP 440 specifier set, matched against the inventory's versions.
 */
import { CnbError } from "@cnbkit/framework";
import { newestFirst, parseSpecifiers, satisfies } from "./pep440.js";
import { pythonLine } from "./python-line.js";

/** The inputs, as read from the app and the settings (undefined = absent). */
export interface VersionSources {
  env?: string | undefined;
  pythonVersionFile?: string | undefined;
  runtimeTxt?: string | undefined;
  requiresPython?: string | undefined;
  /** Poetry's `[tool.poetry.dependencies].python` (`^3.11`), used when requires-python is absent. */
  poetryPython?: string | undefined;
  /** Pipfile's (or Pipfile.lock's) `python_version`, e.g. "3.11". */
  pipfilePython?: string | undefined;
  /**
   * Pipfile's `python_full_version`, used only when `python_version` is absent: `pipenv install`
   * writes both, the full one being whatever patch the developer had, which an inventory holding
   * the newest patch of each line rarely has.
   */
  pipfileFullPython?: string | undefined;
  /** `[metadata.default-versions].cpython`, e.g. "3.13.x". */
  defaultVersion: string;
}

/** What was asked, where, and as a PEP 440 specifier set. */
export interface VersionRequest {
  /** Where the request came from, e.g. `.python-version` or `pyproject.toml requires-python`. */
  source: string;
  /** The text as written. */
  raw: string;
  /** A PEP 440 specifier set, e.g. `==3.12.*`. */
  specifier: string;
}

const PLAIN = /^(?:cpython[-@]|python-?)?v?(\d+(?:\.\d+){1,2})(?:\.[x*])?$/i;

/**
 * A plain version ("3.12", "3.12.7", "3.12.x", "python-3.12.7", "cpython-3.12") as a
 * specifier: a full version is exact, a partial one means its newest patch.
 *
 * @example
 * plainToSpecifier("python-3.12") // "==3.12.*"
 */
export function plainToSpecifier(text: string): string | undefined {
  const m = PLAIN.exec(text.trim());
  if (!m) return undefined;
  const parts = m[1]!.split(".");
  return parts.length === 3 ? `==${m[1]}` : `==${m[1]}.*`;
}

/** `text` when it is a PEP 440 specifier set (`>= 3.10`, `~=3.12`). */
function specifierOf(text: string): string | undefined {
  return parseSpecifiers(text) ? text : undefined;
}

/** Poetry's caret and tilde ranges (`^3.11`, `~3.11`) and PEP 440 specifiers, as PEP 440. */
export function poetryToSpecifier(text: string): string | undefined {
  const t = text.trim();
  const m = /^([\^~])\s*(\d+(?:\.\d+){0,2})$/.exec(t);
  if (!m) return parseSpecifiers(t) ? t : plainToSpecifier(t);
  const parts = m[2]!.split(".").map(Number);
  const [major = 0, minor = 0] = parts;
  const upper = m[1] === "^" ? `${major + 1}` : parts.length === 1 ? `${major + 1}` : `${major}.${minor + 1}`;
  return `>=${m[2]},<${upper}`;
}

/** The first version file from the top of the precedence list that says something. */
export function pythonVersionRequest(s: VersionSources): VersionRequest {
  const firstLine = (text: string | undefined) =>
    text
      ?.split(/\r?\n/)
      .map((l) => l.replace(/#.*/, "").trim())
      .find((l) => l !== "");
  const candidates: [string, string | undefined, (t: string) => string | undefined][] = [
    ["BP_CPYTHON_VERSION", s.env?.trim() || undefined, (t) => plainToSpecifier(t) ?? poetryToSpecifier(t)],
    // uv writes and reads specifiers there too (`uv python pin ">=3.10"`: GCP's buildpack sample).
    [".python-version", firstLine(s.pythonVersionFile), (t) => plainToSpecifier(t) ?? specifierOf(t)],
    ["runtime.txt", firstLine(s.runtimeTxt), plainToSpecifier],
    ["pyproject.toml requires-python", s.requiresPython?.trim() || undefined, specifierOf],
    ["pyproject.toml [tool.poetry.dependencies].python", s.poetryPython?.trim() || undefined, poetryToSpecifier],
    ["Pipfile python_version", s.pipfilePython?.trim() || undefined, plainToSpecifier],
    ["Pipfile python_full_version", s.pipfileFullPython?.trim() || undefined, plainToSpecifier],
  ];
  // A .python-version with nothing but comments or blank lines asks for no version: failing
  // says so, where falling through built on another source's version unnoticed.
  if (!s.env?.trim() && s.pythonVersionFile !== undefined && firstLine(s.pythonVersionFile) === undefined) {
    throw new CnbError(".python-version: the file holds no version (only comments or blank lines)", {
      hint: 'Write a version such as "3.13" on its first line, or delete the file.',
    });
  }
  for (const [source, raw, convert] of candidates) {
    if (raw === undefined) continue;
    const specifier = convert(raw);
    if (!specifier) {
      throw new CnbError(`${source}: "${raw}" is not a Python version`, {
        hint: source.includes("requires-python")
          ? 'Use a PEP 440 specifier such as ">=3.11,<3.14" or "~=3.12".'
          : 'Use a version such as "3.12" (its newest patch) or "3.12.7", or a specifier such as ">=3.11".',
      });
    }
    return { source, raw, specifier };
  }
  const specifier = plainToSpecifier(s.defaultVersion) ?? s.defaultVersion;
  return { source: "default", raw: s.defaultVersion, specifier };
}

/** The log line that says where the version came from. */
export function describeRequest(r: VersionRequest): string {
  return r.source === "default" ? `using the default "${r.raw}" (no version file)` : `${r.source}: "${r.raw}"`;
}

/**
 * The newest of `available` that the request allows, or one error line naming the source
 * and the newest versions there are. `requiresPython` (pyproject's, when the request came
 * from elsewhere) narrows what the hint offers.
 *
 * @example
 * chooseVersion({ source: ".python-version", raw: "3.12", specifier: "==3.12.*" }, ["3.12.7", "3.13.1"], "linux/amd64") // "3.12.7"
 */
export function chooseVersion(
  r: VersionRequest,
  available: readonly string[],
  platform: string,
  requiresPython?: string,
): string {
  const sorted = newestFirst(available);
  const chosen = sorted.find((v) => satisfies(v, r.specifier));
  if (chosen) return chosen;
  const newest = newestPerLine(sorted).slice(0, 5);
  // The hint offers only lines the project's requires-python allows too: asking for one it
  // rules out only moves the failure to the installer ("incompatible with the project's
  // Python requirement").
  const other = requiresPython && !r.source.includes("requires-python") ? requiresPython : undefined;
  const allowed = other && parseSpecifiers(other) ? newest.filter((v) => satisfies(v, other)) : newest;
  const lines = allowed.map(pythonLine);
  const hint =
    newest.length === 0
      ? `This builder has no CPython for ${platform}: build with one that does.`
      : lines.length === 0
        ? `pyproject.toml requires-python "${other}" rules out every CPython this builder has: build with a builder that carries one it allows.`
        : askHint(r.source, lines);
  throw new CnbError(
    `${r.source}: "${r.raw}" matches no CPython version in the inventory for ${platform} (newest: ${newest.join(", ") || "none"})`,
    { hint },
  );
}

/**
 * A warning when the chosen CPython is one pyproject.toml's requires-python rules out (the
 * request came from elsewhere: BP_CPYTHON_VERSION, .python-version, runtime.txt), since uv,
 * Poetry and `pip install .` then refuse it at install; undefined when it is allowed.
 *
 * @example
 * requiresPythonConflict("3.11.2", { source: "BP_CPYTHON_VERSION", raw: "3.11", specifier: "==3.11.*" }, ">=3.12")
 * // 'BP_CPYTHON_VERSION "3.11" chose CPython 3.11.2, which pyproject.toml requires-python ">=3.12" rules out: …'
 */
export function requiresPythonConflict(
  version: string,
  r: VersionRequest,
  requiresPython: string | undefined,
): string | undefined {
  const rp = requiresPython?.trim();
  if (!rp || r.source.includes("requires-python") || !parseSpecifiers(rp) || satisfies(version, rp)) return undefined;
  return `${r.source} "${r.raw}" chose CPython ${version}, which pyproject.toml requires-python "${rp}" rules out: uv, Poetry and pip refuse to install the project on it`;
}

/**
 * The hint that asks for one of `lines` ("3.11", newest first) where the request came from,
 * written as that file writes a version: a value the build then accepts.
 */
function askHint(source: string, lines: readonly string[]): string {
  const ask = (write: (line: string) => string) => {
    const quoted = lines.map((l) => `"${write(l)}"`);
    return quoted.length === 1 ? quoted[0]! : `one of ${quoted.join(", ")}`;
  };
  const oldest = lines.at(-1)!;
  const tail = ", or set BP_CPYTHON_VERSION.";
  if (source === "runtime.txt") return `Ask for ${ask((l) => `python-${l}`)} in runtime.txt${tail}`;
  // Not BP_CPYTHON_VERSION here: uv, Poetry and `pip install .` refuse a CPython the project's
  // own requires-python rules out (full-stack-fastapi-template's ">=3.14,<4.0").
  if (source === "pyproject.toml requires-python")
    return `Let requires-python in pyproject.toml allow ${ask((l) => l)}, as ">=${oldest}" does, or build with a builder that carries a CPython it allows.`;
  // Poetry refuses a CPython its python constraint rules out, whatever BP_CPYTHON_VERSION
  // chose (1chooo/django-template: "3.12.*"), so the setting is no way out here.
  if (source.startsWith("pyproject.toml"))
    return `Let python in [tool.poetry.dependencies] allow ${ask((l) => l)}, as "^${oldest}" does (Poetry refuses a CPython it rules out, whatever BP_CPYTHON_VERSION says).`;
  if (source.startsWith("Pipfile")) return `Ask for ${ask((l) => l)} in Pipfile's python_version${tail}`;
  return `Ask for ${ask((l) => l)} in .python-version${tail}`;
}

/** The newest patch of each minor line, newest line first. */
function newestPerLine(sorted: readonly string[]): string[] {
  const seen = new Set<string>();
  return sorted.filter((v) => {
    const line = pythonLine(v);
    if (seen.has(line)) return false;
    seen.add(line);
    return true;
  });
}

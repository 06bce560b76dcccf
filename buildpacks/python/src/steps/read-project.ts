/**
 * Step: read what the decisions need from the app: which dependency files exist, pyproject.toml
 * (a syntax error stops the build naming the line), the version files, and the files the
 * start command is inferred from. Nothing is decided here.
 */
import { readdir } from "node:fs/promises";
import { join } from "node:path";
import type { AppFiles } from "@cnbkit/framework";
import { hatchFindsNothing } from "../hatch-selection.js";
import { DEPENDENCY_FILES, type PyprojectShape } from "../package-manager.js";
import type { VersionSources } from "../python-version.js";
import { djangoSettingsCandidates, settingsFiles, starImports } from "../django-settings.js";
import { NOT_START_FILES, SCAN_FILES, type StartHint, scriptModuleFiles } from "../start-command.js";

/** pyproject.toml, as far as this buildpack reads it. */
export interface Pyproject extends PyprojectShape {
  project?: { name?: unknown; "requires-python"?: unknown; scripts?: Record<string, unknown> };
  tool?: { poetry?: { name?: unknown; scripts?: Record<string, unknown>; dependencies?: Record<string, unknown> } };
}

/** What the app holds. */
export interface Project {
  /** Dependency files present (of {@link DEPENDENCY_FILES}). */
  files: Set<string>;
  pyproject: Pyproject | undefined;
  /** Version sources from files (the setting and the default are added by the runtime step). */
  versions: Omit<VersionSources, "env" | "defaultVersion">;
  /** The project's name and its declared console scripts. */
  name: string | undefined;
  scripts: string[];
  /** What each console script runs (`pkg.server:app`), by name. */
  scriptTargets: Map<string, string>;
  /** Contents of the files the start command is inferred from, by app-relative path. */
  scan: Map<string, string>;
  /** The app's top-level `.py` files, sorted (for the hint when no start command is found). */
  topLevelPy: string[];
  /** The other top-level modules' contents (not in {@link scan}, not tooling), by file name. */
  modules: Map<string, string>;
  /** The Makefile, Dockerfile, README and console script targets, which may name the module to serve. */
  hints: StartHint[];
  /** The module hatchling (the build backend) looks for and does not find: the project is no package. */
  notAPackage: string | undefined;
}

/** Reads the project. */
export async function readProject(app: AppFiles): Promise<Project> {
  const files = new Set<string>();
  for (const f of DEPENDENCY_FILES) if (await app.exists(f)) files.add(f);
  const pyproject = files.has("pyproject.toml") ? await app.readToml<Pyproject>("pyproject.toml") : undefined;
  const poetry = pyproject?.tool?.poetry;
  const scripts = { ...(poetry?.scripts ?? {}), ...(pyproject?.project?.scripts ?? {}) };
  const name = pyproject?.project?.name ?? poetry?.name;
  // Poetry also writes `start = { reference = "pkg.server:app", type = "console" }`.
  const scriptTargets = new Map<string, string>();
  for (const [script, target] of Object.entries(scripts)) {
    const ref = typeof target === "string" ? target : (target as { reference?: unknown } | null)?.reference;
    if (typeof ref === "string") scriptTargets.set(script, ref);
  }
  const scan = await scanFiles(app, [...scriptTargets.values()]);
  const topLevelPy = (await readdir(app.path, { withFileTypes: true }))
    .filter((e) => e.isFile() && e.name.endsWith(".py"))
    .map((e) => e.name)
    .sort();
  return {
    files,
    pyproject,
    versions: {
      pythonVersionFile: await app.readText(".python-version", { optional: true }),
      runtimeTxt: await app.readText("runtime.txt", { optional: true }),
      requiresPython: stringOr(pyproject?.project?.["requires-python"]),
      poetryPython: stringOr(poetry?.dependencies?.python),
      ...(await pipfilePython(app, files)),
    },
    name: typeof name === "string" ? name : undefined,
    scripts: Object.keys(scripts).sort(),
    scriptTargets,
    scan,
    topLevelPy,
    modules: await otherModules(app, topLevelPy, scan),
    hints: await startHints(app, scriptTargets),
    notAPackage: pyproject ? await hatchFindsNothing(pyproject, (p) => app.exists(p)) : undefined,
  };
}

/** Top-level modules read for an app object at most (an app's own modules are a handful). */
const MAX_MODULES = 40;
/** Bytes of a module or hint file read at most: an app object is made near the top. */
const MAX_READ = 256 * 1024;

/** The top-level modules not already scanned and not tooling (setup.py, manage.py, ...), by name. */
async function otherModules(
  app: AppFiles,
  topLevelPy: readonly string[],
  scan: ReadonlyMap<string, string>,
): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  // Tests make app objects of their own (test_app.py); they are never what is served.
  const names = topLevelPy.filter(
    (f) => !scan.has(f) && !NOT_START_FILES.has(f) && /^[A-Za-z_]\w*\.py$/.test(f) && !/^test_|_test\.py$/.test(f),
  );
  for (const f of names.slice(0, MAX_MODULES)) {
    const text = await app.readText(f, { optional: true });
    if (text !== undefined) out.set(f, text.slice(0, MAX_READ));
  }
  return out;
}

/** Files that often say how an app is started, as its author runs it. */
const HINT_FILES = [
  "Makefile",
  "makefile",
  "GNUmakefile",
  "Dockerfile",
  "README.md",
  "README.rst",
  "README.txt",
  "README",
];

/** The texts that may name the module to serve: {@link HINT_FILES} and the console scripts' targets. */
async function startHints(app: AppFiles, scriptTargets: ReadonlyMap<string, string>): Promise<StartHint[]> {
  const out: StartHint[] = [];
  for (const f of HINT_FILES) {
    const text = await app.readText(f, { optional: true });
    if (text !== undefined) out.push({ source: f, text: text.slice(0, MAX_READ) });
  }
  if (scriptTargets.size > 0) out.push({ source: "console scripts", text: [...scriptTargets.values()].join("\n") });
  return out;
}

function stringOr(v: unknown): string | undefined {
  return typeof v === "string" ? v : undefined;
}

/** `[requires]` of Pipfile, else `_meta.requires` of Pipfile.lock: python_version and python_full_version. */
async function pipfilePython(
  app: AppFiles,
  files: ReadonlySet<string>,
): Promise<{ pipfilePython?: string; pipfileFullPython?: string }> {
  const versions = (req: Record<string, unknown> | undefined) => {
    const out: { pipfilePython?: string; pipfileFullPython?: string } = {};
    const short = stringOr(req?.python_version);
    const full = stringOr(req?.python_full_version);
    if (short) out.pipfilePython = short;
    if (full) out.pipfileFullPython = full;
    return out;
  };
  if (files.has("Pipfile")) {
    const found = versions((await app.readToml<{ requires?: Record<string, unknown> }>("Pipfile")).requires);
    if (found.pipfilePython || found.pipfileFullPython) return found;
  }
  if (files.has("Pipfile.lock")) return versions((await app.readJson("Pipfile.lock"))?._meta?.requires);
  return {};
}

/** Top-level directories that are not where an app's code lives. */
const NOT_APP_PACKAGES = new Set(["tests", "test", "docs", "node_modules", "venv", "env", "migrations", "scripts"]);

/** The start-command files that exist: {@link SCAN_FILES}, src/<pkg>/…, <pkg>/{main,app}.py, packages' __init__.py, manage.py and Django's settings. */
async function scanFiles(app: AppFiles, scriptTargets: readonly string[]): Promise<Map<string, string>> {
  const candidates = [...SCAN_FILES];
  const dirs = async (path: string) =>
    (await readdir(join(app.path, path), { withFileTypes: true }).catch(() => []))
      .filter((e) => e.isDirectory() && /^[A-Za-z_]\w*$/.test(e.name) && !NOT_APP_PACKAGES.has(e.name))
      .map((e) => e.name)
      .sort();
  const src = await dirs("src");
  const top = (await dirs(".")).slice(0, 30);
  for (const d of src) candidates.push(`src/${d}/main.py`, `src/${d}/app.py`);
  // A package's own app module (Hexlet's page_analyzer/app.py, which its __init__.py re-exports).
  for (const d of top) candidates.push(`${d}/main.py`, `${d}/app.py`);
  // Packages whose __init__.py may create the app or its factory (Flask's tutorial: flaskr/).
  for (const d of top) candidates.push(`${d}/__init__.py`);
  // Packages run as `python -m <pkg>` when nothing else starts the app.
  for (const d of top) candidates.push(`${d}/__main__.py`);
  for (const d of src) candidates.push(`src/${d}/__init__.py`);
  const out = new Map<string, string>();
  const read = async (files: readonly string[]) => {
    for (const f of files) {
      if (out.has(f)) continue;
      const text = await app.readText(f, { optional: true });
      if (text !== undefined) out.set(f, text);
    }
  };
  const manage = await app.readText("manage.py", { optional: true });
  if (manage !== undefined) {
    out.set("manage.py", manage);
    // The settings modules, and what they star-import two levels deep (djangoSettings reads them).
    let modules = djangoSettingsCandidates(manage);
    for (let depth = 0; depth < 3 && modules.length > 0; depth++) {
      const next: string[] = [];
      for (const module of modules) {
        await read(settingsFiles(module));
        const file = settingsFiles(module).find((f) => out.has(f));
        if (file) next.push(...starImports(module, file, out.get(file)!));
      }
      modules = next;
    }
  }
  await read(candidates);
  // The modules console scripts run, which may be the app's (`start = "pkg.server:app"`).
  await read(scriptTargets.flatMap((t) => scriptModuleFiles(t.split(":")[0]!.trim())));
  return out;
}

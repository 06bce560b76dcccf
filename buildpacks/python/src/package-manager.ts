/**
 * Which package manager installs the app's dependencies, from the files it has.
 *
 * Precedence (the first that is present wins; the others are named in the log):
 * `uv.lock` → uv, `poetry.lock` → Poetry, `Pipfile.lock` → Pipenv, `requirements.txt` → pip,
 * a `Pipfile` with no lock → Pipenv (locks during the build), a pyproject.toml with
 * `[tool.poetry]` and no lock → Poetry (locks during the build; with a PEP 621 `[project]` too,
 * when poetry-core builds it or it is in non-package mode), a pyproject.toml with a PEP
 * 621 `[project]` table → `pip install -e .`, or only its `dependencies` when it has no
 * `[build-system]` and no scripts (uv's rule: such a project is an app, not a package, and
 * setuptools' guess at one fails on a flat layout with several top-level packages), and so
 * too when its build backend is hatchling and finds no package to ship (hatch-selection.ts); a
 * `setup.py` or `setup.cfg` → `pip install -e .`; none of these → no dependencies. PDM's
 * `pdm.lock` is not read: its project installs from pyproject.toml with a warning that says how
 * to pin the locked versions. A lockfile is the most exact statement of what to install, so it
 * wins over a requirements.txt that is often exported from it.
 */

/** The package managers this buildpack runs. */
export type ManagerName = "uv" | "poetry" | "pipenv" | "pip";

/** What installs the dependencies, and why. */
export interface ManagerChoice {
  name: ManagerName;
  /** The file whose digest decides reuse (a lockfile, requirements.txt or pyproject.toml). */
  lockfile: string;
  /** pip only: install requirements files (`-r`), the project (`.`), or only its dependencies. */
  pipTarget?: "requirements" | "project" | "dependencies";
  /** pip with `pipTarget: "requirements"`: the files, app-relative (requirements.txt, or BP_PIP_REQUIREMENT's). */
  requirementFiles?: string[];
  /** pip with `pipTarget: "dependencies"`: pyproject.toml's `[project] dependencies`. */
  requirements?: string[];
  /** The log line: which file chose it. */
  source: string;
  /** Other dependency files present that lose to {@link lockfile}. */
  ignored: string[];
  /** A warning for the log (a manager that must lock during the build). */
  warning?: string;
}

/** The parts of pyproject.toml this decision reads. */
export interface PyprojectShape {
  project?: unknown;
  tool?: { poetry?: unknown };
  "build-system"?: unknown;
}

/** Where a setuptools project declares its dependencies (`install_requires`). */
export const SETUP_FILES = ["setup.py", "setup.cfg"];

/** The files that can decide, in precedence order. */
export const DEPENDENCY_FILES = [
  "uv.lock",
  "poetry.lock",
  "Pipfile.lock",
  "requirements.txt",
  "Pipfile",
  "pyproject.toml",
  ...SETUP_FILES,
  // Not run: PDM's lock is only named, so its project is told how its dependencies are installed.
  "pdm.lock",
];

/** The files that pin what to install, in precedence order. */
const LOCKFILES = ["uv.lock", "poetry.lock", "Pipfile.lock", "requirements.txt"];

/** The lockfiles this buildpack does not read, with what to commit instead. */
const UNREAD_LOCKS: Readonly<Record<string, string>> = {
  "pdm.lock": "pdm export -o requirements.txt",
};

/**
 * Chooses the package manager; undefined when the app declares no dependencies.
 *
 * @example
 * choosePackageManager(new Set(["uv.lock", "pyproject.toml"]), { project: {} })?.name // "uv"
 */
export function choosePackageManager(
  files: ReadonlySet<string>,
  pyproject: PyprojectShape | undefined,
  /** BP_PIP_REQUIREMENT's files (Paketo's setting): pip installs them, whatever else the app has. */
  pipRequirement: readonly string[] = [],
  /** The module hatchling looks for and does not find (hatch-selection.ts): the project is no package. */
  notAPackage?: string,
): ManagerChoice | undefined {
  if (pipRequirement.length > 0) {
    return {
      name: "pip",
      lockfile: pipRequirement[0]!,
      pipTarget: "requirements",
      requirementFiles: [...pipRequirement],
      source: `BP_PIP_REQUIREMENT=${pipRequirement.join(" ")}`,
      ignored: LOCKFILES.filter((f) => files.has(f) && !pipRequirement.includes(f)),
    };
  }
  const choice = chooseFromFiles(files, pyproject, notAPackage);
  const unread = Object.keys(UNREAD_LOCKS).filter((f) => files.has(f));
  if (!choice || unread.length === 0) return choice;
  // A lockfile that wins tells us what to install; PDM's is then only one more file it beats.
  if (choice.lockfile !== "pyproject.toml") return { ...choice, ignored: [...choice.ignored, ...unread] };
  const lock = unread[0]!;
  return {
    ...choice,
    warning: `${lock} is not read: pip resolves pyproject.toml's dependencies anew, so versions may differ from the lock; run "${UNREAD_LOCKS[lock]}" and commit requirements.txt for the locked versions`,
  };
}

function chooseFromFiles(
  files: ReadonlySet<string>,
  pyproject: PyprojectShape | undefined,
  notAPackage: string | undefined,
): ManagerChoice | undefined {
  const lockfiles = LOCKFILES.filter((f) => files.has(f));
  const first = lockfiles[0];
  const ignored = lockfiles.slice(1);
  if (first === "uv.lock") return { name: "uv", lockfile: first, source: "uv.lock", ignored };
  if (first === "poetry.lock") return { name: "poetry", lockfile: first, source: "poetry.lock", ignored };
  if (first === "Pipfile.lock") return { name: "pipenv", lockfile: first, source: "Pipfile.lock", ignored };
  if (first === "requirements.txt") {
    return {
      name: "pip",
      lockfile: first,
      pipTarget: "requirements",
      requirementFiles: [first],
      source: "requirements.txt",
      ignored,
    };
  }
  if (files.has("Pipfile")) {
    return {
      name: "pipenv",
      lockfile: "Pipfile",
      source: "Pipfile (no Pipfile.lock)",
      ignored,
      warning: "Pipfile has no Pipfile.lock: Pipenv locks during the build; commit Pipfile.lock for repeatable builds",
    };
  }
  if (!files.has("pyproject.toml") || !pyproject) return setuptoolsProject(files, ignored);
  if (pyproject.tool?.poetry !== undefined && (pyproject.project === undefined || poetryBuilt(pyproject))) {
    return {
      name: "poetry",
      lockfile: "pyproject.toml",
      source: "pyproject.toml [tool.poetry] (no poetry.lock)",
      ignored,
      warning:
        'pyproject.toml uses Poetry but has no poetry.lock: Poetry locks during the build, so versions can change between builds; run "poetry lock" and commit poetry.lock',
    };
  }
  if (pyproject.project !== undefined) {
    const project = (typeof pyproject.project === "object" ? pyproject.project : {}) as {
      dependencies?: unknown;
      scripts?: unknown;
    };
    const appOnly = pyproject["build-system"] === undefined && project.scripts === undefined;
    if (appOnly || notAPackage) {
      const requirements = Array.isArray(project.dependencies)
        ? project.dependencies.filter((d): d is string => typeof d === "string")
        : [];
      if (requirements.length === 0) return undefined;
      return {
        name: "pip",
        lockfile: "pyproject.toml",
        pipTarget: "dependencies",
        requirements,
        source: appOnly
          ? "pyproject.toml [project] dependencies; no [build-system], so the project itself is not installed, as uv does"
          : `pyproject.toml [project] dependencies; its build backend, hatchling, finds no ${notAPackage} package or module to ship, so the project itself is not installed`,
        ignored,
      };
    }
    return {
      name: "pip",
      lockfile: "pyproject.toml",
      pipTarget: "project",
      source: "pyproject.toml [project]",
      ignored,
    };
  }
  return setuptoolsProject(files, ignored);
}

/**
 * Whether a PEP 621 project is Poetry 2's: built by poetry-core, or in Poetry's non-package
 * mode, which no other tool reads (`pip install -e .` fails there: "Building a package is not
 * possible in non-package mode").
 */
function poetryBuilt(pyproject: PyprojectShape): boolean {
  const poetry = pyproject.tool?.poetry as { "package-mode"?: unknown } | undefined;
  if (poetry?.["package-mode"] === false) return true;
  const backend = (pyproject["build-system"] as { "build-backend"?: unknown } | undefined)?.["build-backend"];
  return typeof backend === "string" && backend.startsWith("poetry.core");
}

/**
 * A setuptools project that declares its dependencies in setup.py or setup.cfg
 * (`install_requires`) and has no requirements.txt: `pip install -e .`, as Heroku's classic
 * buildpack did. Without it such an app built green with nothing installed and failed at start.
 */
function setuptoolsProject(files: ReadonlySet<string>, ignored: string[]): ManagerChoice | undefined {
  const setup = SETUP_FILES.filter((f) => files.has(f));
  if (setup.length === 0) return undefined;
  return { name: "pip", lockfile: setup[0]!, pipTarget: "project", source: setup.join(" and "), ignored };
}

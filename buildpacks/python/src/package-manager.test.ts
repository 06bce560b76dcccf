import { describe, expect, test } from "vitest";
import { choosePackageManager, type PyprojectShape } from "./package-manager.js";

describe("which package manager", () => {
  test.each<[string, string[], PyprojectShape | undefined, string | undefined, string | undefined, string[]]>([
    ["uv.lock → uv", ["uv.lock", "pyproject.toml"], { project: {} }, "uv", "uv.lock", []],
    ["poetry.lock → poetry", ["poetry.lock", "pyproject.toml"], { tool: { poetry: {} } }, "poetry", "poetry.lock", []],
    ["Pipfile.lock → pipenv", ["Pipfile", "Pipfile.lock"], undefined, "pipenv", "Pipfile.lock", []],
    ["requirements.txt → pip", ["requirements.txt"], undefined, "pip", "requirements.txt", []],
    [
      "PEP 621 with no lock → pip install .",
      ["pyproject.toml"],
      { project: { dependencies: ["flask"] } },
      "pip",
      "pyproject.toml",
      [],
    ],
    ["Pipfile alone → pipenv", ["Pipfile"], undefined, "pipenv", "Pipfile", []],
    ["[tool.poetry] alone → poetry", ["pyproject.toml"], { tool: { poetry: {} } }, "poetry", "pyproject.toml", []],
    [
      "Poetry 2 ([project] built by poetry-core), no lock → poetry",
      ["pyproject.toml"],
      { project: {}, tool: { poetry: {} }, "build-system": { "build-backend": "poetry.core.masonry.api" } },
      "poetry",
      "pyproject.toml",
      [],
    ],
    [
      "Poetry 2 in non-package mode, no lock → poetry",
      ["pyproject.toml"],
      { project: { dependencies: ["fastapi"] }, tool: { poetry: { "package-mode": false } } },
      "poetry",
      "pyproject.toml",
      [],
    ],
    [
      "[project] with only Poetry settings, built by setuptools → pip install .",
      ["pyproject.toml"],
      { project: {}, tool: { poetry: {} }, "build-system": { "build-backend": "setuptools.build_meta" } },
      "pip",
      "pyproject.toml",
      [],
    ],
    ["pyproject with neither → none", ["pyproject.toml"], { tool: {} }, undefined, undefined, []],
    ["setup.py alone → pip install -e .", ["setup.py"], undefined, "pip", "setup.py", []],
    ["setup.cfg alone → pip install -e .", ["setup.cfg"], undefined, "pip", "setup.cfg", []],
    [
      "setup.py with a pyproject of only [build-system] and tool settings → pip install -e .",
      ["pyproject.toml", "setup.py", "setup.cfg"],
      { "build-system": {}, tool: {} },
      "pip",
      "setup.py",
      [],
    ],
    ["requirements.txt wins over setup.py", ["requirements.txt", "setup.py"], undefined, "pip", "requirements.txt", []],
    ["no files → none", ["main.py"], undefined, undefined, undefined, []],
    [
      "uv.lock wins over an exported requirements.txt",
      ["uv.lock", "requirements.txt"],
      { project: {} },
      "uv",
      "uv.lock",
      ["requirements.txt"],
    ],
    ["uv.lock wins over poetry.lock", ["poetry.lock", "uv.lock"], { project: {} }, "uv", "uv.lock", ["poetry.lock"]],
    [
      "poetry.lock wins over Pipfile.lock",
      ["Pipfile.lock", "poetry.lock"],
      {},
      "poetry",
      "poetry.lock",
      ["Pipfile.lock"],
    ],
    [
      "requirements.txt wins over a bare pyproject",
      ["requirements.txt", "pyproject.toml"],
      { project: {} },
      "pip",
      "requirements.txt",
      [],
    ],
  ])("%s", (_name, files, pyproject, name, lockfile, ignored) => {
    const c = choosePackageManager(new Set(files), pyproject);
    expect(c?.name).toBe(name);
    expect(c?.lockfile).toBe(lockfile);
    if (c) expect(c.ignored).toEqual(ignored);
  });

  test("pip installs the project or the requirements", () => {
    const built = { project: {}, "build-system": { "build-backend": "hatchling.build" } };
    expect(choosePackageManager(new Set(["pyproject.toml"]), built)?.pipTarget).toBe("project");
    // No [build-system]: an app, not a package (uv's rule), so only its dependencies.
    const app = { project: { dependencies: ["fastapi==0.115.12", "uvicorn[standard]>=0.34"] } };
    expect(choosePackageManager(new Set(["pyproject.toml"]), app)).toMatchObject({
      pipTarget: "dependencies",
      requirements: ["fastapi==0.115.12", "uvicorn[standard]>=0.34"],
    });
    // ... unless it has scripts, which only installing the project makes.
    const cli = { project: { dependencies: ["six"], scripts: { serve: "app:main" } } };
    expect(choosePackageManager(new Set(["pyproject.toml"]), cli)?.pipTarget).toBe("project");
    expect(choosePackageManager(new Set(["pyproject.toml"]), { project: { dependencies: [] } })).toBeUndefined();
    expect(choosePackageManager(new Set(["requirements.txt"]), undefined)?.pipTarget).toBe("requirements");
  });

  // litestar-org/litestar-hello-world: [build-system] hatchling and [project.scripts], but only a
  // flat app.py, so `pip install -e .` failed in hatchling before any dependency installed.
  test("a hatchling project with nothing to ship installs only its dependencies, and says why", () => {
    const pyproject = {
      project: { name: "litestar-hello-world", dependencies: ["litestar[standard]>=2.4.1"], scripts: { app: "x:y" } },
      "build-system": { "build-backend": "hatchling.build" },
    };
    const files = new Set(["pyproject.toml", "pdm.lock"]);
    expect(choosePackageManager(files, pyproject, [], "litestar_hello_world")).toMatchObject({
      pipTarget: "dependencies",
      requirements: ["litestar[standard]>=2.4.1"],
      source: expect.stringMatching(
        /hatchling, finds no litestar_hello_world package or module to ship, so the project itself is not installed$/,
      ),
      warning: expect.stringMatching(/^pdm\.lock is not read/),
    });
    expect(choosePackageManager(files, pyproject)?.pipTarget).toBe("project");
  });

  test("a manager that must lock at build time says so", () => {
    expect(choosePackageManager(new Set(["Pipfile"]), undefined)?.warning).toMatch(/commit Pipfile.lock/);
    expect(choosePackageManager(new Set(["Pipfile.lock", "Pipfile"]), undefined)?.warning).toBeUndefined();
    expect(choosePackageManager(new Set(["pyproject.toml"]), { tool: { poetry: {} } })?.warning).toMatch(
      /no poetry\.lock: .*; run "poetry lock" and commit poetry\.lock$/,
    );
  });

  test("BP_PIP_REQUIREMENT's files win over every other dependency file, which are named as not used", () => {
    const c = choosePackageManager(new Set(["uv.lock", "requirements.txt", "pyproject.toml"]), { project: {} }, [
      "requirements/prod.txt",
      "requirements/extra.txt",
    ]);
    expect(c).toEqual({
      name: "pip",
      lockfile: "requirements/prod.txt",
      pipTarget: "requirements",
      requirementFiles: ["requirements/prod.txt", "requirements/extra.txt"],
      source: "BP_PIP_REQUIREMENT=requirements/prod.txt requirements/extra.txt",
      ignored: ["uv.lock", "requirements.txt"],
    });
  });

  test("pdm.lock is not read: a PDM project installs from pyproject.toml and is told how to pin the lock", () => {
    const pdm = { project: { dependencies: ["flask"] }, "build-system": { "build-backend": "pdm.backend" } };
    const c = choosePackageManager(new Set(["pyproject.toml", "pdm.lock"]), pdm);
    expect(c).toMatchObject({ name: "pip", lockfile: "pyproject.toml", pipTarget: "project" });
    expect(c?.warning).toBe(
      'pdm.lock is not read: pip resolves pyproject.toml\'s dependencies anew, so versions may differ from the lock; run "pdm export -o requirements.txt" and commit requirements.txt for the locked versions',
    );
    // An exported requirements.txt wins, and pdm.lock is only named as not used.
    const exported = choosePackageManager(new Set(["pyproject.toml", "pdm.lock", "requirements.txt"]), pdm);
    expect(exported).toMatchObject({ name: "pip", lockfile: "requirements.txt", ignored: ["pdm.lock"] });
    expect(exported?.warning).toBeUndefined();
    expect(choosePackageManager(new Set(["pdm.lock"]), undefined)).toBeUndefined();
  });
});

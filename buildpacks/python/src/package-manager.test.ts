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
    ["pyproject with neither → none", ["pyproject.toml"], { tool: {} }, undefined, undefined, []],
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

  test("a manager that must lock at build time says so", () => {
    expect(choosePackageManager(new Set(["Pipfile"]), undefined)?.warning).toMatch(/commit Pipfile.lock/);
    expect(choosePackageManager(new Set(["Pipfile.lock", "Pipfile"]), undefined)?.warning).toBeUndefined();
  });
});

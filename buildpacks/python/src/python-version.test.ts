import { describe, expect, test } from "vitest";
import { satisfies } from "./pep440.js";
import {
  chooseVersion,
  poetryToSpecifier,
  pythonVersionRequest,
  requiresPythonConflict,
  type VersionSources,
} from "./python-version.js";

const INVENTORY = ["3.10.21", "3.11.16", "3.12.14", "3.12.7", "3.13.15", "3.14.7"];
const base: VersionSources = { defaultVersion: "3.13.x" };

describe("PEP 440 specifiers", () => {
  test.each([
    ["3.12.7", ">=3.10,<3.13", true],
    ["3.13.0", ">=3.10,<3.13", false],
    ["3.11.4", "~=3.11", true],
    ["3.14.7", "~=3.11", true],
    ["3.12.1", "~=3.11.2", false],
    ["3.11.9", "~=3.11.2", true],
    ["3.12.14", "==3.12.*", true],
    ["3.13.1", "==3.12.*", false],
    ["3.12.0", "==3.12", true],
    ["3.12.1", "==3.12", false],
    ["3.12.1", "!=3.12.1", false],
    ["3.12.2", "!=3.12.*, >=3.10", false],
    ["3.12.1", "<=3.12", false],
    ["3.13.2", ">3.13", true],
    ["3.12.7", "===3.12.7", true],
    ["3.12.7", ">=3.10 <3.13", false], // no comma: not PEP 440
    ["3.12.7", "~=3", false], // ~= needs two parts
  ])("%s satisfies %s: %s", (version, spec, expected) => {
    expect(satisfies(version, spec)).toBe(expected);
  });
});

describe("which version the app asks for", () => {
  test.each<[string, Partial<VersionSources>, string, string]>([
    [
      "BP_CPYTHON_VERSION wins over all files",
      { env: "3.11", pythonVersionFile: "3.12" },
      "BP_CPYTHON_VERSION",
      "3.11.16",
    ],
    ["BP_CPYTHON_VERSION takes a specifier", { env: ">=3.11,<3.13" }, "BP_CPYTHON_VERSION", "3.12.14"],
    [
      ".python-version over runtime.txt",
      { pythonVersionFile: "# pinned\n3.12.7\n", runtimeTxt: "python-3.11.1" },
      ".python-version",
      "3.12.7",
    ],
    [".python-version uv form", { pythonVersionFile: "cpython-3.14" }, ".python-version", "3.14.7"],
    [".python-version uv request form", { pythonVersionFile: "cpython@3.12" }, ".python-version", "3.12.14"],
    // GCP's buildpack sample (uv python pin ">=3.10" writes the same).
    [".python-version specifier", { pythonVersionFile: ">= 3.10\n" }, ".python-version", "3.14.7"],
    [".python-version bounded specifier", { pythonVersionFile: ">=3.10,<3.13" }, ".python-version", "3.12.14"],
    ["runtime.txt python-X.Y.Z", { runtimeTxt: "python-3.12.7\n" }, "runtime.txt", "3.12.7"],
    ["runtime.txt python-X.Y", { runtimeTxt: "python-3.11" }, "runtime.txt", "3.11.16"],
    [
      "requires-python",
      { requiresPython: ">=3.10,<3.13", pipfilePython: "3.11" },
      "pyproject.toml requires-python",
      "3.12.14",
    ],
    ["requires-python ~=", { requiresPython: "~=3.11" }, "pyproject.toml requires-python", "3.14.7"],
    ["poetry caret", { poetryPython: "^3.11" }, "pyproject.toml [tool.poetry.dependencies].python", "3.14.7"],
    ["poetry tilde", { poetryPython: "~3.11" }, "pyproject.toml [tool.poetry.dependencies].python", "3.11.16"],
    ["Pipfile", { pipfilePython: "3.10" }, "Pipfile python_version", "3.10.21"],
    // What `pipenv install` writes: the developer's own patch as python_full_version.
    [
      "Pipfile python_version over python_full_version",
      { pipfilePython: "3.11", pipfileFullPython: "3.11.7" },
      "Pipfile python_version",
      "3.11.16",
    ],
    ["Pipfile python_full_version alone", { pipfileFullPython: "3.12.14" }, "Pipfile python_full_version", "3.12.14"],
    ["default", {}, "default", "3.13.15"],
  ])("%s", (_name, sources, source, version) => {
    const r = pythonVersionRequest({ ...base, ...sources });
    expect(r.source).toBe(source);
    expect(chooseVersion(r, INVENTORY, "linux/amd64")).toBe(version);
  });

  test("a .python-version holding no version fails, though runtime.txt has one; BP_CPYTHON_VERSION still wins", () => {
    for (const text of ["", "\n\n", "# pinned by pyenv\n   \n"]) {
      expect(() => pythonVersionRequest({ ...base, pythonVersionFile: text, runtimeTxt: "python-3.10" })).toThrow(
        ".python-version: the file holds no version (only comments or blank lines)",
      );
    }
    const r = pythonVersionRequest({ ...base, pythonVersionFile: "# none\n", env: "3.12" });
    expect(r.source).toBe("BP_CPYTHON_VERSION");
  });

  test("a version nothing in the inventory meets lists the newest of each line", () => {
    const r = pythonVersionRequest({ ...base, requiresPython: ">=3.15" });
    expect(() => chooseVersion(r, INVENTORY, "linux/amd64")).toThrow(
      'pyproject.toml requires-python: ">=3.15" matches no CPython version in the inventory for linux/amd64 (newest: 3.14.7, 3.13.15, 3.12.14, 3.11.16, 3.10.21)',
    );
  });

  test("the hint names the file the request came from", () => {
    const r = pythonVersionRequest({ ...base, pipfilePython: "3.6" });
    const err = (() => {
      try {
        chooseVersion(r, INVENTORY, "linux/amd64");
      } catch (e) {
        return e as { hint?: string };
      }
    })();
    expect(err?.hint).toBe(
      'Ask for one of "3.14", "3.13", "3.12", "3.11", "3.10" in Pipfile\'s python_version, or set BP_CPYTHON_VERSION.',
    );
  });

  test("with one line in the inventory the hint names it alone", () => {
    const r = pythonVersionRequest({ ...base, env: "3.13" });
    let hint: string | undefined;
    try {
      chooseVersion(r, ["3.11.2"], "linux/amd64");
    } catch (e) {
      hint = (e as { hint?: string }).hint;
    }
    expect(hint).toBe('Ask for "3.11" in .python-version, or set BP_CPYTHON_VERSION.');
  });

  // Each hint asks in the file's own way, and what it asks for then builds.
  test.each([
    [{ runtimeTxt: "python-3.13.1" }, 'Ask for "python-3.11" in runtime.txt, or set BP_CPYTHON_VERSION.', "runtimeTxt"],
    [
      { requiresPython: ">=3.12" },
      'Let requires-python in pyproject.toml allow "3.11", as ">=3.11" does, or build with a builder that carries a CPython it allows.',
      "requiresPython",
    ],
    [
      { poetryPython: "^3.12" },
      'Let python in [tool.poetry.dependencies] allow "3.11", as "^3.11" does (Poetry refuses a CPython it rules out, whatever BP_CPYTHON_VERSION says).',
      "poetryPython",
    ],
  ] as const)("the hint for %o asks in that file's own way", (sources, expected, key) => {
    let hint: string | undefined;
    try {
      chooseVersion(pythonVersionRequest({ ...base, ...sources }), ["3.11.2"], "linux/amd64");
    } catch (e) {
      hint = (e as { hint?: string }).hint;
    }
    expect(hint).toBe(expected);
    const asked = /as "([^"]+)" does|Ask for "([^"]+)"/.exec(hint ?? "");
    const value = asked?.[1] ?? asked?.[2] ?? "";
    expect(chooseVersion(pythonVersionRequest({ ...base, [key]: value }), ["3.11.2"], "linux/amd64")).toBe("3.11.2");
  });

  test.each([
    [{ pythonVersionFile: "latest" }, '.python-version: "latest" is not a Python version'],
    [{ runtimeTxt: "python3" }, 'runtime.txt: "python3" is not a Python version'],
    [{ requiresPython: ">=3.10 <3.13" }, 'pyproject.toml requires-python: ">=3.10 <3.13" is not a Python version'],
  ])("%o is one clear error", (sources, message) => {
    expect(() => pythonVersionRequest({ ...base, ...sources })).toThrow(message);
  });

  test("poetry ranges become PEP 440", () => {
    expect(poetryToSpecifier("^3.11")).toBe(">=3.11,<4");
    expect(poetryToSpecifier("~3.11")).toBe(">=3.11,<3.12");
    expect(poetryToSpecifier(">=3.10,<3.13")).toBe(">=3.10,<3.13");
  });
});

test("a hint offers no version the project's requires-python rules out", () => {
  const hintOf = (requiresPython: string) => {
    try {
      chooseVersion(
        pythonVersionRequest({ ...base, pythonVersionFile: "3.12" }),
        ["3.11.2", "3.10.9"],
        "linux/amd64",
        requiresPython,
      );
    } catch (e) {
      return (e as { hint?: string }).hint;
    }
    return undefined;
  };
  expect(hintOf(">=3.12")).toBe(
    'pyproject.toml requires-python ">=3.12" rules out every CPython this builder has: build with a builder that carries one it allows.',
  );
  expect(hintOf(">=3.11")).toBe('Ask for "3.11" in .python-version, or set BP_CPYTHON_VERSION.');
});

describe("a chosen CPython that requires-python rules out", () => {
  test.each<[string, string, string, string | undefined, boolean]>([
    ["BP_CPYTHON_VERSION below requires-python", "BP_CPYTHON_VERSION", "3.11.2", ">=3.12", true],
    [".python-version above an upper bound", ".python-version", "3.13.1", ">=3.10,<3.13", true],
    ["allowed", "runtime.txt", "3.12.7", ">=3.12", false],
    ["the request was requires-python itself", "pyproject.toml requires-python", "3.11.2", ">=3.12", false],
    ["no requires-python", "BP_CPYTHON_VERSION", "3.11.2", undefined, false],
    ["an unreadable requires-python is not second-guessed", "BP_CPYTHON_VERSION", "3.11.2", "python3 please", false],
  ])("%s", (_name, source, version, rp, warns) => {
    const w = requiresPythonConflict(version, { source, raw: version, specifier: `==${version}` }, rp);
    if (!warns) return expect(w).toBeUndefined();
    expect(w).toBe(
      `${source} "${version}" chose CPython ${version}, which pyproject.toml requires-python "${rp}" rules out: uv, Poetry and pip refuse to install the project on it`,
    );
  });
});

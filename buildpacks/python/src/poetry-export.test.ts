import { readFileSync } from "node:fs";
import { join } from "node:path";
import { parse } from "smol-toml";
import { describe, expect, test } from "vitest";
import { evaluateMarker, linuxCpython } from "./markers.js";
import {
  exportPoetryLock,
  type PoetryLock,
  type PoetryPyproject,
  poetryContentHashes,
  poetryRoot,
} from "./poetry-export.js";

const env = linuxCpython("3.13.5", "amd64");
const testdata = join(import.meta.dirname, "..", "testdata", "poetry-django");
const read = <T>(f: string) => parse(readFileSync(join(testdata, f), "utf8")) as T;

describe("PEP 508 markers for Linux CPython", () => {
  test.each<[string, boolean]>([
    ['python_version < "3.11"', false],
    ['python_version >= "3.9"', true],
    ['"3.14" > python_version', true],
    ['python_full_version == "3.13.*"', true],
    ['sys_platform == "win32"', false],
    ['platform_system != "Windows" and platform_machine == "x86_64"', true],
    ['(sys_platform == "darwin" or os_name == "posix") and implementation_name == "cpython"', true],
    ['platform_python_implementation == "PyPy"', false],
    ['"linux" in sys_platform', true],
    ["extra == 'standard'", true],
    ['extra == "socks"', false],
  ])("%s → %s", (marker, expected) => {
    expect(evaluateMarker(marker, env, ["standard"])).toBe(expected);
  });

  test("an unknown variable throws", () => {
    expect(() => evaluateMarker('platform_flavour == "x"', env)).toThrow(/platform_flavour/);
  });
});

describe("poetry.lock exported with hashes", () => {
  test("Poetry 2.5.1's content-hash is reproduced, so a lock in sync needs no Poetry to say so", () => {
    const pyproject = read<PoetryPyproject>("pyproject.toml");
    const lock = read<PoetryLock>("poetry.lock");
    expect(poetryContentHashes(pyproject)).toContain(lock.metadata?.["content-hash"]);
    const edited = { ...pyproject, tool: { poetry: { ...pyproject.tool?.poetry, dependencies: { python: "^3.11" } } } };
    expect(poetryContentHashes(edited)).not.toContain(lock.metadata?.["content-hash"]);
  });

  test("the Django lock: the main group, its legacy index, every file's hash; tzdata (win32 only) left out", () => {
    const out = exportPoetryLock(read("poetry.lock"), read("pyproject.toml"), env);
    if ("unsupported" in out) throw new Error(out.unsupported);
    const names = [...out.text.matchAll(/^(\S+)==(\S+)/gm)].map((m) => `${m[1]}==${m[2]}`);
    expect(names).toEqual([
      "asgiref==3.13.0",
      "django==5.2.1",
      "gunicorn==23.0.0",
      "packaging==26.3",
      "sqlparse==0.6.1",
    ]);
    expect(out.count).toBe(5);
    expect(out.text).toContain(
      "django==5.2.1 \\\n    --hash=sha256:a9b680e84f9a0e71da83e399f1e922e1ab37b2173ced046b541c72e1589a5961 \\\n    --hash=sha256:57fe1f1b59462caed092c80b3dd324fd92161b620d59a9ba9181c34746c97284\n",
    );
    expect(out.indexes).toEqual([{ name: "pypi-simple", url: "https://pypi.org/simple" }]);
  });

  const pkg = (name: string, version: string, more: Record<string, unknown> = {}) => ({
    name,
    version,
    files: [{ file: `${name}-${version}-py3-none-any.whl`, hash: `sha256:${name}${version}` }],
    ...more,
  });
  const lock: PoetryLock = {
    package: [
      pkg("uvicorn", "0.34.0", {
        dependencies: {
          click: ">=7.0",
          h11: ">=0.8",
          uvloop: { version: ">=0.14", optional: true, markers: 'sys_platform != "win32"' },
          colorama: { version: ">=0.4", optional: true, markers: 'sys_platform == "win32" and extra == "standard"' },
        },
        extras: { standard: ["uvloop (>=0.14)", "colorama (>=0.4)"] },
      }),
      pkg("click", "8.1.8", { dependencies: { colorama: { version: "*", markers: 'platform_system == "Windows"' } } }),
      pkg("colorama", "0.4.6"),
      pkg("h11", "0.14.0"),
      pkg("uvloop", "0.21.0"),
      pkg("exceptiongroup", "1.2.2"),
      pkg("pytest", "8.3.4", { dependencies: { exceptiongroup: { version: ">=1", python: "<3.11" } } }),
      pkg("numpy", "2.0.2", { markers: 'python_version < "3.10"' }),
      pkg("numpy", "2.2.1", { markers: 'python_version >= "3.10"' }),
      pkg("rich", "13.9.4"),
    ],
  };
  const names = (out: ReturnType<typeof exportPoetryLock>) =>
    "unsupported" in out ? out.unsupported : [...out.text.matchAll(/^(\S+)==(\S+)/gm)].map((m) => `${m[1]}==${m[2]}`);

  test("dev groups and optional dependencies are left out, extras asked for pulled in, the version for this Python chosen", () => {
    const pyproject: PoetryPyproject = {
      tool: {
        poetry: {
          dependencies: {
            python: "^3.11",
            uvicorn: { version: "^0.34", extras: ["standard"] },
            numpy: [
              { version: "2.0.2", python: "<3.10" },
              { version: "2.2.1", python: ">=3.10" },
            ],
            rich: { version: "*", optional: true },
            exceptiongroup: { version: "*", python: "<3.11" },
          },
          group: { dev: { dependencies: { pytest: "^8" } } },
        },
      },
    };
    expect(names(exportPoetryLock(lock, pyproject, env))).toEqual([
      "click==8.1.8",
      "h11==0.14.0",
      "numpy==2.2.1",
      "uvicorn==0.34.0",
      "uvloop==0.21.0",
    ]);
  });

  test("PEP 621 [project] dependencies (Poetry 2) are the roots", () => {
    const pyproject: PoetryPyproject = {
      project: { name: "x", dependencies: ["uvicorn>=0.30", 'rich ; python_version < "3.9"'] },
    };
    expect(names(exportPoetryLock(lock, pyproject, env))).toEqual(["click==8.1.8", "h11==0.14.0", "uvicorn==0.34.0"]);
  });

  test("a git dependency is left to Poetry; a dependency the lock lacks fails with the fix", () => {
    const git = { package: [{ name: "mylib", version: "1.0", source: { type: "git", url: "https://x/y.git" } }] };
    const pyproject = { tool: { poetry: { dependencies: { mylib: { git: "https://x/y.git" } } } } } as PoetryPyproject;
    expect(exportPoetryLock(git, pyproject, env)).toEqual({
      unsupported: "mylib is a git dependency (no hashes to require)",
    });
    const missing = { tool: { poetry: { dependencies: { flask: "^3" } } } } as PoetryPyproject;
    expect(() => exportPoetryLock(lock, missing, env)).toThrow(
      /poetry.lock: flask, which pyproject.toml requires, is not in the lock/,
    );
  });

  test("the project itself is installed when it is a package", () => {
    const has = (files: string[]) => (p: string) => files.includes(p);
    const named = { tool: { poetry: { name: "my-app" } } } as PoetryPyproject;
    expect(poetryRoot(named, false, has(["my_app/__init__.py"]))).toEqual({ install: true });
    expect(poetryRoot(named, false, has(["src/my_app/__init__.py"]))).toEqual({ install: true });
    expect(poetryRoot(named, false, has(["main.py"]))).toEqual({ install: false, reason: "not a package" });
    expect(poetryRoot(named, true, has([]))).toEqual({ install: true });
    const app = { tool: { poetry: { name: "my-app", "package-mode": false } } } as PoetryPyproject;
    expect(poetryRoot(app, true, has(["my_app/__init__.py"]))).toEqual({ install: false, reason: "package-mode" });
  });

  test("declared packages that are not there leave the project uninstalled, as Poetry 1 did", () => {
    const has = (files: string[]) => (p: string) => files.includes(p);
    const declared = (packages: unknown[]) =>
      ({ tool: { poetry: { name: "fastapi-demo", packages } } }) as PoetryPyproject;
    // webmasterdevlin/fastapi-demo: packages names fastapi_demo, the code is in app/.
    expect(poetryRoot(declared([{ include: "fastapi_demo" }]), false, has(["app/main.py"]))).toEqual({
      install: false,
      reason: "missing",
      missing: ["fastapi_demo"],
    });
    expect(poetryRoot(declared([{ include: "demo", from: "src" }]), true, has(["src/demo"]))).toEqual({
      install: true,
    });
    // One of two is enough for Poetry to build something; a glob is Poetry's to expand.
    expect(poetryRoot(declared([{ include: "a" }, { include: "b" }]), false, has(["b"]))).toEqual({ install: true });
    expect(poetryRoot(declared([{ include: "pkg_*" }]), false, has([]))).toEqual({ install: true });
  });
});

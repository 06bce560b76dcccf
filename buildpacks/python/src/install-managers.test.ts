import { spawnSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { runBuild } from "@cnbkit/framework/testing";
import { beforeAll, describe, expect, test } from "vitest";
import bp from "./index.js";
import { TEST_ENV, testBuildpackToml } from "./testing/inventory.js";
import { POETRY_BOTTLE, POETRY_BOTTLE_NO_PACKAGE } from "./testing/poetry-bottle.js";

// Poetry and Pipenv, each installed from its verified PyPI wheel into a tool layer, installing
// real packages into the venv layer on the host's python3.11 (as a file:// CPython).
let toml: string;
beforeAll(async () => {
  ({ toml } = await testBuildpackToml());
}, 300_000);

const opts = (app: string | Record<string, string>, platformEnv: Record<string, string> = {}) => ({
  app,
  buildpackToml: toml,
  env: TEST_ENV,
  platformEnv,
});
const testdata = (name: string) => new URL(`../testdata/${name}`, import.meta.url).pathname;
const names = (sbom: unknown) =>
  (sbom as { components: { name: string }[] }).components.map((c) => c.name.toLowerCase());

describe("Poetry + Django", () => {
  test("the lock exported with hashes from its legacy index, collectstatic into STATIC_ROOT, gunicorn on the WSGI app", async () => {
    const r = await runBuild(bp, opts(testdata("poetry-django")));
    const out = r.stdout.join("\n");
    expect(out).toContain("Dependencies (poetry, from poetry.lock)");
    // tzdata (sys_platform == "win32") is left out: 5 of the lock's 6 packages.
    expect(out).toMatch(
      /Exported poetry\.lock's main dependencies for CPython 3\.11\.\d+ on linux\/amd64: 5 distributions/,
    );
    expect(out).toContain('Index: https://pypi.org/simple (poetry.lock source "pypi-simple")');
    expect(out).toContain("Running uv pip install --require-hashes --no-deps --compile-bytecode -r <the export>");
    expect(out).not.toContain("Running uv pip install --no-deps --compile-bytecode -e .");
    expect(names(r.sbom("venv", "cdx"))).toEqual(expect.arrayContaining(["django", "gunicorn", "sqlparse"]));
    // collectstatic needs the venv at build time, so it is a build + cache layer here.
    expect(r.layer("venv").toml?.types).toEqual({ build: true, launch: true, cache: true });
    expect(readFileSync(join(r.app, "staticfiles", "site.css"), "utf8")).toContain("green");
    expect(r.processes[0]?.command).toEqual([
      "sh",
      "-c",
      'exec gunicorn --bind "${HOST:-0.0.0.0}:$PORT" mysite.wsgi:application',
    ]);
  }, 300_000);

  test("BP_DISABLE_COLLECTSTATIC skips it and keeps the venv launch-only", async () => {
    const r = await runBuild(bp, opts(testdata("poetry-django"), { BP_DISABLE_COLLECTSTATIC: "true" }));
    expect(r.stdout.join("\n")).toContain("Skipping collectstatic (BP_DISABLE_COLLECTSTATIC)");
    expect(existsSync(join(r.app, "staticfiles"))).toBe(false);
    expect(r.layer("venv").toml?.types).toEqual({ build: false, launch: true, cache: false });
  }, 300_000);
});

describe("Poetry from PyPI behind a simple-index-only proxy (POETRY_BOTTLE)", () => {
  test("main group by hash, the project itself editable, its start script's Bottle app served by gunicorn", async () => {
    const r = await runBuild(bp, opts({ ...POETRY_BOTTLE }));
    const out = r.stdout.join("\n");
    expect(out).not.toContain("Unable to find installation candidates");
    expect(out).not.toContain("Installing poetry");
    expect(out).toMatch(/Exported poetry\.lock's main dependencies .*: 3 distributions/);
    expect(out).toContain("Running uv pip install --no-deps --compile-bytecode -e . (the project is a package");
    // The dev group (iniconfig) is not installed; the project is.
    expect(names(r.sbom("venv", "cdx")).sort()).toEqual(["bottle", "gunicorn", "hello", "packaging"]);
    expect(out).toContain(
      'web: from Bottle app hello.server:app, the console script "start"; gunicorn is a dependency',
    );
    expect(r.processes).toEqual([
      {
        type: "web",
        command: ["sh", "-c", 'exec gunicorn --bind "${HOST:-0.0.0.0}:$PORT" hello.server:app'],
        default: true,
      },
      { type: "migrate", command: ["migrate"], default: false },
    ]);
    expect(existsSync(join(r.layer("venv").path, "bin", "migrate"))).toBe(true);
  }, 300_000);

  test("a dependency added to pyproject.toml after locking is not in the lock: one line and the fix", async () => {
    const app = { ...POETRY_BOTTLE };
    app["pyproject.toml"] = app["pyproject.toml"]!.replace('gunicorn = "23.0.0"', 'gunicorn = "23.0.0"\nsix = "*"');
    const err = await runBuild(bp, opts(app)).catch((e: Error & { hint?: string }) => e);
    expect(err).toBeInstanceOf(Error);
    expect((err as Error).message).toMatch(/^poetry\.lock: six, which pyproject\.toml requires, is not in the lock$/);
    expect((err as { hint?: string }).hint).toBe(
      'The lock is out of date with pyproject.toml: run "poetry lock" and commit poetry.lock.',
    );
  }, 300_000);
  test("a constraint edited after locking: the content-hash differs and Poetry's check --lock refuses it", async () => {
    const app = { ...POETRY_BOTTLE };
    app["pyproject.toml"] = app["pyproject.toml"]!.replace('bottle = "0.13.2"', 'bottle = "^0.13"');
    const err = await runBuild(bp, opts(app)).catch((e: Error & { hint?: string }) => e);
    expect((err as Error).message).toMatch(
      /^poetry\.lock is out of sync with pyproject\.toml \(".*\/poetry check --lock" failed, exit 1\)$/,
    );
    expect((err as { hint?: string }).hint).toBe('Run "poetry lock" and commit poetry.lock.');
  }, 300_000);
});

describe("Poetry's requires-poetry picks the Poetry that runs (POETRY_BOTTLE)", () => {
  test("no inventory Poetry is <=2.0.0: the newest the index has is installed, and it (not 2.5.1) runs check --lock", async () => {
    // A constraint edited after locking makes the build ask Poetry (poetry check --lock); Poetry
    // 2.5.1 would refuse to run at all ("This project requires Poetry <=2.0.0").
    const app = { ...POETRY_BOTTLE };
    app["pyproject.toml"] = app["pyproject.toml"]!.replace(
      'authors = ["cnbkit <cnbkit@example.com>"]\n',
      'authors = ["cnbkit <cnbkit@example.com>"]\nrequires-poetry = "<=2.0.0"\n',
    ).replace('bottle = "0.13.2"', 'bottle = "^0.13"');
    const r = await runBuild(bp, opts(app)).then(
      () => undefined,
      (e: Error & { hint?: string }) => e,
    );
    expect(r?.message).toMatch(
      /^poetry\.lock is out of sync with pyproject\.toml \(".*\/poetry check --lock" failed, exit 1\)$/,
    );
    expect(r?.message).not.toMatch(/requires Poetry/);
  }, 600_000);
});

describe("Poetry with package-mode = false (POETRY_BOTTLE_NO_PACKAGE)", () => {
  test("the scripts Poetry does not install run their entry points: serve is web, migrate a process that runs", async () => {
    const r = await runBuild(bp, opts({ ...POETRY_BOTTLE_NO_PACKAGE }));
    const out = r.stdout.join("\n");
    expect(out).not.toContain("Running uv pip install --no-deps --compile-bytecode -e .");
    expect(names(r.sbom("venv", "cdx")).sort()).toEqual(["bottle", "gunicorn", "packaging"]);
    const why = "run by python -c: Poetry installs no scripts with package-mode = false";
    expect(out).toContain(`web: from the project's console script "serve" (hello.cli:run, ${why})`);
    expect(out).toContain(`migrate: the console script "migrate" (hello.db:migrate, ${why})`);
    const run = (target: string, fn: string) => [
      "python",
      "-c",
      `import sys; from ${target} import ${fn}; sys.exit(${fn}())`,
    ];
    expect(r.processes).toEqual([
      { type: "web", command: run("hello.cli", "run"), default: true },
      { type: "migrate", command: run("hello.db", "migrate"), default: false },
    ]);
    // As the launcher runs it: the venv's python, from the app dir.
    const env = r.launchEnv("migrate");
    const [cmd, ...args] = r.processes[1]!.command;
    const ran = spawnSync(cmd!, args, {
      cwd: r.app,
      env: { ...env, PATH: `${env.PATH}:/usr/bin:/bin` },
      encoding: "utf8",
    });
    expect(ran.stderr).toBe("");
    expect(ran.stdout).toBe("nothing to migrate\n");
  }, 300_000);
});

describe("Pipenv", () => {
  // The fixture's lock was made by a Pipenv before 2026.4 from a Pipfile that writes "Flask":
  // `pipenv verify` of the default Pipenv (2026.10.3) refuses it, as it refused outside apps.
  test("pipenv sync into the venv; a lock hashed by an older Pipenv passes; python_version picks the line", async () => {
    const r = await runBuild(bp, opts(testdata("pipenv-flask")));
    const out = r.stdout.join("\n");
    expect(out).toContain("Pipfile.lock matches Pipfile as hashed by Pipenv before 2026.4 (package names as written)");
    expect(out).toContain('Pipfile python_version: "3.11"');
    expect(out).toContain("Running pipenv sync");
    expect(out).toMatch(/Done in \S+: \d+ distributions in the venv/);
    expect(names(r.sbom("venv", "cdx"))).toEqual(expect.arrayContaining(["flask", "gunicorn", "pip"]));
    expect(r.processes[0]?.command).toEqual(["sh", "-c", 'exec gunicorn --bind "${HOST:-0.0.0.0}:$PORT" app:app']);
  }, 300_000);

  // What `pipenv install` writes on a developer's machine: python_full_version of their own
  // patch (3.11.1 here), which the inventory does not have (seen with python-docs-samples).
  test("a Pipfile.lock made on another 3.11 patch installs on the inventory's 3.11", async () => {
    const r = await runBuild(bp, opts(testdata("pipenv-full-version")));
    const out = r.stdout.join("\n");
    expect(out).toContain('Pipfile python_version: "3.11"');
    expect(names(r.sbom("venv", "cdx"))).toEqual(expect.arrayContaining(["flask", "gunicorn"]));
  }, 300_000);

  test("a Pipfile edited after locking is one clear line", async () => {
    const dir = testdata("pipenv-flask");
    const app = Object.fromEntries(
      ["Pipfile", "Pipfile.lock", "app.py"].map((f) => [f, readFileSync(join(dir, f), "utf8")]),
    );
    app.Pipfile = app.Pipfile!.replace('gunicorn = "==23.0.0"', 'gunicorn = "==23.0.0"\nrequests = "*"');
    await expect(runBuild(bp, opts(app))).rejects.toThrow(/^Pipfile\.lock is out of date with Pipfile/);
  }, 300_000);
});

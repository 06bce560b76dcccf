import { spawnSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { parseToml } from "@cnbkit/framework/cnb-files";
import { runBuild } from "@cnbkit/framework/testing";
import { describe, expect, test } from "vitest";
import bp from "./index.js";
import { pipfileHashes } from "./pipfile-hash.js";
import { pythonHarness } from "./testing/harness.js";
import { POETRY_BOTTLE, POETRY_BOTTLE_NO_PACKAGE } from "./testing/poetry-bottle.js";

// Poetry and Pipenv, each installed from its verified PyPI wheel into a tool layer, installing
// real packages into the venv layer on the host's python3.11 (as a file:// CPython).
const { opts } = pythonHarness();
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

  // 3.11: setuptools 81.0.0 is put in first, then pipenv sync installs the lock's 84.2.1 over it.
  test("a Pipfile.lock with gunicorn 20 and setuptools 84 (no pkg_resources): 81.0.0 back in its place, with one line", async () => {
    const pipfile = [
      "[[source]]",
      'url = "https://pypi.org/simple"',
      "verify_ssl = true",
      'name = "pypi"',
      "",
      "[packages]",
      'gunicorn = "==20.1.0"',
      "",
      "[requires]",
      'python_version = "3.11"',
      "",
    ].join("\n");
    // gunicorn's Requires-Dist setuptools>=3.0 locked at the newest, as `pipenv lock` did after
    // setuptools 82; the hashes are PyPI's for each file.
    const lock = {
      _meta: {
        hash: { sha256: pipfileHashes(parseToml(pipfile, "Pipfile")).current },
        "pipfile-spec": 6,
        requires: { python_version: "3.11" },
        sources: [{ name: "pypi", url: "https://pypi.org/simple", verify_ssl: true }],
      },
      default: {
        gunicorn: {
          hashes: [
            "sha256:9dcc4547dbb1cb284accfb15ab5667a0e5d1881cc443e0677b4882a4067a807e",
            "sha256:e0a968b5ba15f8a328fdfd7ab1fcb5af4470c28aaf7e55df02a99bc13138e6e8",
          ],
          index: "pypi",
          version: "==20.1.0",
        },
        setuptools: {
          hashes: [
            "sha256:3ff8b3b5492a0aa66960f4419365a86b84e013070d4313e4d4a6894f5d64d6bc",
            "sha256:ca140b45d5325a9478f880e351484f62fef15f336462e449ca0c03c873d589c2",
          ],
          version: "==84.2.1",
        },
      },
      develop: {},
    };
    const app = {
      Pipfile: pipfile,
      "Pipfile.lock": JSON.stringify(lock, null, 4),
      "app.py": "def app(environ, start_response):\n    start_response('200 OK', [])\n    return [b'hi']\n",
    };
    const r = await runBuild(bp, opts(app));
    expect(r.stdout.join("\n")).toContain(
      "gunicorn 20.1.0 requires setuptools>=3.0 for pkg_resources, which setuptools 82 removed: installed setuptools 81.0.0 in place of 84.2.1",
    );
    const venv = r.layer("venv").path;
    const site = join(venv, "lib", "python3.11", "site-packages");
    expect(existsSync(join(site, "setuptools-84.2.1.dist-info"))).toBe(false);
    expect(existsSync(join(site, "pkg_resources", "__init__.py"))).toBe(true);
    const purls = (r.sbom("venv", "cdx") as { components: { purl: string }[] }).components.map((c) => c.purl);
    expect(purls).toContain("pkg:pypi/setuptools@81.0.0");
    // gunicorn's own start path: its util imports pkg_resources.
    const imported = spawnSync(join(venv, "bin", "python"), ["-W", "ignore", "-c", "import gunicorn.util"], {
      encoding: "utf8",
    });
    expect(imported.status, imported.stderr).toBe(0);
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

import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { runBuild } from "@cnbkit/framework/testing";
import { beforeAll, describe, expect, test } from "vitest";
import bp from "./index.js";
import { TEST_ENV, testBuildpackToml } from "./testing/inventory.js";

// Poetry and Pipenv, each installed from its verified PyPI wheel into a tool layer, installing
// real packages into the venv layer on the host's python3.11 (as a file:// CPython).
let toml: string;
beforeAll(async () => {
  ({ toml } = await testBuildpackToml());
}, 120_000);

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
  test("poetry sync --only main, collectstatic into STATIC_ROOT, gunicorn on the WSGI app", async () => {
    const r = await runBuild(bp, opts(testdata("poetry-django")));
    const out = r.stdout.join("\n");
    expect(out).toContain("Dependencies (poetry, from poetry.lock)");
    expect(out).toContain("Running poetry sync --only main --no-root");
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

import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { runBuild } from "@cnbkit/framework/testing";
import { beforeAll, describe, expect, test } from "vitest";
import bp from "../index.js";
import { TEST_ENV, testBuildpackToml } from "../testing/inventory.js";

// Real Poetry from its verified wheel on the host's python3.11, locking through this machine's
// index proxy, which serves PyPI's simple index but not the per-version JSON API Poetry's PyPI
// source reads (`Package bottle (0.13.2) not found` before the source was added).
let toml: string;
beforeAll(async () => {
  ({ toml } = await testBuildpackToml());
}, 300_000);

/** A Poetry 2 app (PEP 621 [project], non-package mode) with no poetry.lock. */
const unlocked: Record<string, string> = {
  "pyproject.toml": `[project]
name = "hello"
version = "0.1.0"
requires-python = ">=3.11"
dependencies = ["bottle==0.13.2", "gunicorn==23.0.0"]

[tool.poetry]
package-mode = false
`,
  "hello.py": "import bottle\n\napp = bottle.Bottle()\n",
  Procfile: "web: gunicorn hello:app\n",
};
const names = (sbom: unknown) =>
  (sbom as { components: { name: string }[] }).components.map((c) => c.name.toLowerCase()).sort();

describe("a Poetry project with no poetry.lock", () => {
  test("Poetry locks through the simple index, the lock installs by hash, and the app's files are left as they came", async () => {
    const r = await runBuild(bp, { app: unlocked, buildpackToml: toml, env: TEST_ENV });
    const out = r.stdout.join("\n");
    expect(out).toContain("Dependencies (poetry, from pyproject.toml [tool.poetry] (no poetry.lock))");
    expect(out).toContain(
      'pyproject.toml uses Poetry but has no poetry.lock: Poetry locks during the build, so versions can change between builds; run "poetry lock" and commit poetry.lock',
    );
    expect(out).toContain(
      "Locking with Poetry through https://pypi.org/simple/ (PyPI's simple index) as a simple-API source",
    );
    expect(out).toMatch(/Exported poetry\.lock's main dependencies .*: 3 distributions, each with its files' hashes/);
    expect(out).toContain('Index: https://pypi.org/simple (poetry.lock source "cnbkit-index")');
    expect(names(r.sbom("venv", "cdx"))).toEqual(["bottle", "gunicorn", "packaging"]);
    expect(readFileSync(join(r.app, "pyproject.toml"), "utf8")).toBe(unlocked["pyproject.toml"]);
    expect(existsSync(join(r.app, "poetry.lock"))).toBe(false);
  }, 600_000);
});

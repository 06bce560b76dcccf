import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect, onTestFinished, test } from "vitest";
import { linuxCpython } from "./markers.js";
import {
  decideSetuptools,
  importsPkgResources,
  installedSetuptools,
  type SetuptoolsRequirer,
  type SetuptoolsState,
  setuptoolsLine,
  setuptoolsRequirers,
  setuptoolsSpecifier,
} from "./pkg-resources.js";

const py313 = linuxCpython("3.13.15", "amd64");

test.each([
  // gunicorn 20.1.0's METADATA, as on PyPI.
  [["setuptools (>=3.0)", "eventlet (>=0.24.1) ; extra == 'eventlet'"], ">=3.0"],
  [["setuptools>=40.0; python_version >= '3.8'"], ">=40.0"],
  [["setuptools; python_version < '3.8'"], undefined],
  [["setuptools[ssl] >= 1.0, < 82"], ">=1.0,<82"],
  [["Setup_Tools"], undefined], // not setuptools: normalized "setup-tools"
  [["SetupTools"], ""],
  [["setuptools-scm>=8"], undefined],
  [["setuptools ; extra == 'build'"], undefined],
] as const)("Requires-Dist %j: setuptools specifier %j", (requires, expected) => {
  expect(setuptoolsSpecifier(requires, py313)).toBe(expected);
});

test.each([
  ["import pkg_resources\n", true],
  ["    from pkg_resources import parse_version\n", true],
  ["from pkg_resources.extern import packaging\n", true],
  ["import os, sys\n# pkg_resources is gone\n", false],
  ["import pkg_resources_compat\n", false],
  ["from importlib.metadata import entry_points  # not pkg_resources\n", false],
])("%j imports pkg_resources: %s", (source, expected) => {
  expect(importsPkgResources(source)).toBe(expected);
});

test.each([
  ["django==5.2.19\nsetuptools>=82  # newest\n", "setuptools>=82"],
  ["Django\nSetupTools==84.2.1 --hash=sha256:ab\n", "SetupTools==84.2.1 --hash=sha256:ab"],
  ["# setuptools<82\ndjango\n", undefined],
  ["setuptools-scm==8.0\n", undefined],
])("requirements %j pin %j", (text, expected) => {
  expect(setuptoolsLine(text)).toBe(expected);
});

const gunicorn: SetuptoolsRequirer = {
  name: "gunicorn",
  version: "20.1.0",
  specifier: ">=3.0",
  importsPkgResources: true,
};
const state = (over: Partial<SetuptoolsState>): SetuptoolsState => ({
  manager: "pip",
  lockfile: "requirements.txt",
  installed: "84.2.1",
  requirers: [gunicorn],
  replacement: "81.0.0",
  ...over,
});

test("pip chose the newest setuptools for gunicorn 20: 81.0.0 goes in its place, with one line naming gunicorn", () => {
  expect(decideSetuptools(state({}))).toEqual({
    kind: "replace",
    line: "gunicorn 20.1.0 requires setuptools>=3.0 for pkg_resources, which setuptools 82 removed: installed setuptools 81.0.0 in place of 84.2.1",
  });
  expect(decideSetuptools(state({ manager: "pipenv", lockfile: "Pipfile.lock" })).kind).toBe("replace");
});

test("a package that requires setuptools without importing pkg_resources leaves it alone", () => {
  expect(decideSetuptools(state({ requirers: [{ ...gunicorn, importsPkgResources: false }] }))).toEqual({
    kind: "keep",
  });
});

test.each([
  [
    state({ manager: "uv", lockfile: "uv.lock" }),
    "uv.lock: gunicorn 20.1.0 imports pkg_resources, which setuptools 82 removed, and the lock installs setuptools 84.2.1",
    /^Pin setuptools<82 \(uv add "setuptools<82"\) and commit uv\.lock, or upgrade gunicorn/,
  ],
  [
    state({ manager: "poetry", lockfile: "poetry.lock" }),
    "poetry.lock: gunicorn 20.1.0 imports pkg_resources, which setuptools 82 removed, and the lock installs setuptools 84.2.1",
    /^Pin setuptools<82 \(poetry add "setuptools<82"\) and commit poetry\.lock/,
  ],
  [
    state({ pin: { file: "requirements/base.txt", requirement: "setuptools>=82" } }),
    'requirements/base.txt: gunicorn 20.1.0 imports pkg_resources, which setuptools 82 removed, and "setuptools>=82" installed setuptools 84.2.1',
    /^Pin setuptools<82 in requirements\/base\.txt, or upgrade gunicorn/,
  ],
  [
    state({ requirers: [gunicorn, { name: "newpkg", version: "1.0", specifier: ">=82", importsPkgResources: false }] }),
    "requirements.txt: gunicorn 20.1.0 imports pkg_resources, which setuptools 82 removed, and newpkg 1.0 requires setuptools>=82",
    /^Upgrade gunicorn to a release that does not import pkg_resources\.$/,
  ],
])("the user's choice is not overridden: the build stops with the fix (%#)", (s, message, hint) => {
  const d = decideSetuptools(s);
  if (d.kind !== "fail") throw new Error(`expected a failure, got ${d.kind}`);
  expect(d.error.message).toBe(message);
  expect(d.error.hint).toMatch(hint);
});

test("site-packages is read: who requires setuptools, from RECORD's .py files who imports pkg_resources", async () => {
  const site = await mkdtemp(join(tmpdir(), "cnbkit-pkgr-"));
  onTestFinished(() => rm(site, { recursive: true, force: true }));
  const dist = async (name: string, version: string, requires: string[], files: Record<string, string>) => {
    const info = join(site, `${name}-${version}.dist-info`);
    await mkdir(info, { recursive: true });
    const meta = [`Name: ${name}`, `Version: ${version}`, ...requires.map((r) => `Requires-Dist: ${r}`), ""];
    await writeFile(join(info, "METADATA"), meta.join("\n"));
    const record = [...Object.keys(files), `${name}-${version}.dist-info/METADATA`, `../../../bin/${name}`];
    await writeFile(join(info, "RECORD"), record.map((f) => `${f},,\n`).join(""));
    for (const [f, text] of Object.entries(files)) {
      await mkdir(join(site, f, ".."), { recursive: true });
      await writeFile(join(site, f), text);
    }
  };
  await dist("gunicorn", "20.1.0", ["setuptools (>=3.0)"], {
    "gunicorn/__init__.py": "",
    "gunicorn/util.py": "import os\nimport pkg_resources\n",
  });
  await dist("Django", "5.2.19", ["asgiref>=3.8.1"], { "django/__init__.py": "import pkg_resources\n" });
  await dist("zope.interface", "7.2", ["setuptools"], { "zope/interface/__init__.py": "import sys\n" });
  await dist("setuptools", "84.2.1", [], { "setuptools/__init__.py": "" });
  expect(await installedSetuptools(site)).toEqual({ distInfo: "setuptools-84.2.1.dist-info", version: "84.2.1" });
  expect(await setuptoolsRequirers(site, py313)).toEqual([
    { name: "gunicorn", version: "20.1.0", specifier: ">=3.0", importsPkgResources: true },
    { name: "zope.interface", version: "7.2", specifier: "", importsPkgResources: false },
  ]);
});

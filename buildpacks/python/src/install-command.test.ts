import { expect, test } from "vitest";
import { type CommandInputs, installCommand, shownCommand } from "./install-command.js";
import { choosePackageManager } from "./package-manager.js";

const inputs = (files: string[], toolVersion: string, extra: Partial<CommandInputs> = {}): CommandInputs => ({
  manager: choosePackageManager(new Set(files), { tool: { poetry: {} } })!,
  toolVersion,
  toolBin: "/t/bin",
  venv: "/v",
  hasScripts: false,
  ...extra,
});

test.each<[string, CommandInputs, string, boolean]>([
  ["uv", inputs(["uv.lock"], "0.13.9"), "/t/bin/uv sync --locked --no-dev --compile-bytecode", false],
  ["poetry 2", inputs(["poetry.lock"], "2.5.1"), "/t/bin/poetry sync --only main --no-root", true],
  ["poetry 1", inputs(["poetry.lock"], "1.8.5"), "/t/bin/poetry install --sync --only main --no-root", true],
  [
    "poetry with scripts installs the root",
    inputs(["poetry.lock"], "2.5.1", { hasScripts: true }),
    "/t/bin/poetry sync --only main",
    true,
  ],
  ["poetry without a lock", inputs(["pyproject.toml"], "2.5.1"), "/t/bin/poetry install --only main --no-root", true],
  ["pipenv", inputs(["Pipfile.lock"], "2026.10.3"), "/t/bin/pipenv sync", true],
  ["pipenv without a lock", inputs(["Pipfile"], "2026.10.3"), "/t/bin/pipenv install", true],
  [
    "pip requirements",
    inputs(["requirements.txt"], "26.3"),
    "/t/bin/python -m pip --python /v/bin/python install --compile -r requirements.txt",
    false,
  ],
  [
    "pip with BP_PIP_REQUIREMENT's files",
    {
      ...inputs(["requirements.txt"], "26.3"),
      manager: choosePackageManager(new Set(), undefined, ["requirements/prod.txt", "constraints/extra.txt"])!,
    },
    "/t/bin/python -m pip --python /v/bin/python install --compile -r requirements/prod.txt -r constraints/extra.txt",
    false,
  ],
])("%s", (_name, i, command, compile) => {
  const r = installCommand(i);
  expect(r.command.join(" ")).toBe(command);
  expect(r.compile).toBe(compile);
});

test("pipenv checks the lock with verify before sync", () => {
  expect(installCommand(inputs(["Pipfile.lock"], "2026.10.3")).check).toEqual(["/t/bin/pipenv", "verify"]);
});

test("pip installs a PEP 621 project, editable (a source edit must not leave a stale copy)", () => {
  const manager = choosePackageManager(new Set(["pyproject.toml"]), { project: {}, "build-system": {} })!;
  expect(installCommand({ ...inputs([], "26.3"), manager }).command.slice(-2)).toEqual(["-e", "."]);
});

test("pip installs only the dependencies of a project with no [build-system]", () => {
  const manager = choosePackageManager(new Set(["pyproject.toml"]), { project: { dependencies: ["flask==3.1.3"] } })!;
  expect(installCommand({ ...inputs([], "26.3"), manager }).command.slice(-2)).toEqual(["--compile", "flask==3.1.3"]);
});

/** How install-dependencies runs pip: the pip layer's python, installing into the venv. */
const PIP_INTO_VENV = ["/l/pip/bin/python", "-m", "pip", "--python", "/l/venv/bin/python", "install"];

test.each([
  [["/l/uv/bin/uv", "sync", "--locked"], "uv sync --locked"],
  [[...PIP_INTO_VENV, "--compile", "-r", "requirements.txt"], "pip install --compile -r requirements.txt"],
  // vercel/examples python/flask: a [project] with no build-system, its dependencies named.
  [[...PIP_INTO_VENV, "flask>=3.1,<4.0", "gunicorn~=23.0.0"], "pip install 'flask>=3.1,<4.0' 'gunicorn~=23.0.0'"],
  [["/l/pipenv/bin/pipenv", "install", "it's"], "pipenv install 'it'\\''s'"],
])("the log shows %j as %s", (command, shown) => {
  expect(shownCommand(command)).toBe(shown);
});

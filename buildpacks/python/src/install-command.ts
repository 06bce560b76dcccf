/**
 * The install command of each package manager, into the venv at `venv` (pure).
 *
 * - uv: `uv sync --locked --no-dev --compile-bytecode` (UV_PROJECT_ENVIRONMENT = the venv,
 *   UV_PYTHON = our CPython).
 * - Poetry: `poetry sync --only main` (2.x; `install --sync` for 1.x), `--no-root` unless the
 *   project declares scripts; `poetry install --only main` when there is no poetry.lock.
 * - Pipenv: `pipenv sync`, once the lock is known to match Pipfile (by either Pipenv's hash,
 *   see pipfile-hash.ts; `pipenv verify` decides when neither matches); plain `install` with
 *   no lock. Both run in the venv (VIRTUAL_ENV). Not `install --deploy`: it
 *   also aborts unless the interpreter is exactly Pipfile's `python_full_version`, which
 *   `pipenv install` sets to the developer's own patch, rarely the inventory's.
 * - pip: `pip install -r requirements.txt` (or `-r` each of BP_PIP_REQUIREMENT's files) or
 *   `pip install -e .`, by the pip layer's pip with
 *   `--python` pointing at the venv (so the venv needs no pip of its own). Editable, as uv
 *   and Poetry install the project itself: the venv is reused while pyproject.toml is
 *   unchanged, so a copy of the app's code in it would go stale on a source-only edit.
 */
import type { ManagerChoice } from "./package-manager.js";

/** What the command needs to know. */
export interface CommandInputs {
  manager: ManagerChoice;
  /** The tool's version, e.g. "2.5.1". */
  toolVersion: string;
  /** The tool's bin dir (for pip, the pip layer's: it installs with `--python` into the venv). */
  toolBin: string;
  venv: string;
  /** The project declares console scripts (Poetry then installs the root package). */
  hasScripts: boolean;
}

/** What to run: an optional check first, the install, and whether it still needs `compileall`. */
export interface InstallCommand {
  /** Run before the install when the build cannot tell the lock is in sync; its failure stops the build (Pipenv's lock check). */
  check?: string[];
  command: string[];
  /** The output still needs `compileall` (uv and pip compile themselves). */
  compile: boolean;
}

/** The install command of `i.manager`. */
export function installCommand(i: CommandInputs): InstallCommand {
  const tool = (name: string) => `${i.toolBin}/${name}`;
  switch (i.manager.name) {
    case "uv":
      return { command: [tool("uv"), "sync", "--locked", "--no-dev", "--compile-bytecode"], compile: false };
    case "poetry": {
      const major = Number.parseInt(i.toolVersion, 10);
      const root = i.hasScripts ? [] : ["--no-root"];
      if (i.manager.lockfile !== "poetry.lock")
        return { command: [tool("poetry"), "install", "--only", "main", ...root], compile: true };
      const sync = major >= 2 ? ["sync"] : ["install", "--sync"];
      return { command: [tool("poetry"), ...sync, "--only", "main", ...root], compile: true };
    }
    case "pipenv":
      if (i.manager.lockfile !== "Pipfile.lock") return { command: [tool("pipenv"), "install"], compile: true };
      return { check: [tool("pipenv"), "verify"], command: [tool("pipenv"), "sync"], compile: true };
    case "pip": {
      const pip = [`${i.toolBin}/python`, "-m", "pip", "--python", `${i.venv}/bin/python`, "install", "--compile"];
      const target =
        i.manager.pipTarget === "project"
          ? ["-e", "."]
          : i.manager.pipTarget === "dependencies"
            ? (i.manager.requirements ?? [])
            : (i.manager.requirementFiles ?? [i.manager.lockfile]).flatMap((f) => ["-r", f]);
      return { command: [...pip, ...target], compile: false };
    }
  }
}

/**
 * How the build log shows an install command: tools by name, pip as `pip install …` (the
 * `python -m pip --python <venv>` around it is how it reaches the venv, not what the user
 * would type), and words the shell would read otherwise quoted (`'flask>=3.1,<4.0'`).
 *
 * @example
 * shownCommand(["/l/pip/bin/python", "-m", "pip", "--python", "/l/venv/bin/python", "install", "flask>=3.1"]) // "pip install 'flask>=3.1'"
 */
export function shownCommand(command: readonly string[]): string {
  let words = command.map((w) => w.replace(/^\/.*\/bin\//, ""));
  if (words[1] === "-m" && words[2] === "pip") {
    words = words.slice(2);
    if (words[1] === "--python") words.splice(1, 2);
  }
  return words.map((w) => (/^[\w@%+=:,./-]+$/.test(w) ? w : `'${w.replaceAll("'", "'\\''")}'`)).join(" ");
}

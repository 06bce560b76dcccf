/**
 * A console script the install did not put on PATH, run from its entry point (pure). Poetry
 * installs no scripts when `[tool.poetry] package-mode = false` (the project itself is not
 * installed, and scripts are the project's), and neither does uv for a project with no
 * `[build-system]`. The app's `serve = "app.main:run"` then existed only in pyproject.toml,
 * and the build ended with "No start command". What the script would run is
 * `sys.exit(run())` after `from app.main import run`, as the wrapper pip and Poetry write
 * does, so the process runs exactly that with the venv's python, from the app dir (which
 * `python -c` puts first on the import path, as the installed project would be).
 */

/** The `module:attr` of an entry point (`pkg.cli:main`, `pkg.cli:App.run`, extras `[x]` left out). */
const ENTRY_POINT =
  /^\s*([A-Za-z_][\w]*(?:\.[A-Za-z_]\w*)*)\s*:\s*([A-Za-z_]\w*(?:\.[A-Za-z_]\w*)*)\s*(?:\[[^\]]*\])?\s*$/;

/**
 * The command that runs entry point `target` as its console script would, or undefined when
 * it is not `module:attr`. `dir` is where the module is imported from when not the app dir
 * ("src" for a src layout).
 *
 * @example
 * entryPointCommand("app.main:run") // ["python", "-c", "import sys; from app.main import run; sys.exit(run())"]
 */
export function entryPointCommand(target: string, dir?: string): string[] | undefined {
  const m = ENTRY_POINT.exec(target);
  if (!m) return undefined;
  const [first, ...rest] = m[2]!.split(".");
  const call = [first!, ...rest].join(".");
  const code = `import sys; from ${m[1]} import ${first}; sys.exit(${call}())`;
  if (!dir) return ["python", "-c", code];
  // The code holds no quote, `$` or backslash (the pattern admits none), so double quotes keep it whole.
  return ["sh", "-c", `PYTHONPATH="${dir}\${PYTHONPATH:+:$PYTHONPATH}" exec python -c "${code}"`];
}

/** The module of an entry point (`app.main` of `app.main:run`), if it is one. */
export function entryPointModule(target: string): string | undefined {
  return ENTRY_POINT.exec(target)?.[1];
}

/**
 * Build settings that would break the install. The tools run with the build's whole
 * environment, so a private index (PIP_INDEX_URL, UV_INDEX_URL, POETRY_HTTP_BASIC_*) works as
 * users set it; a few variables, though, send installs outside the venv layer, make a tool
 * pick another interpreter, or break Python itself. The list is the variables pip, uv, Poetry,
 * Pipenv and CPython document with those effects (Heroku's Python buildpack refuses the same
 * kind of list).
 */
import { CnbError, type Settings } from "@cnbkit/framework";

/** Variables that break the install, with what each does. */
const BREAKING: Readonly<Record<string, string>> = {
  PIP_TARGET: "pip installs into another directory",
  PIP_PREFIX: "pip installs into another directory",
  PIP_ROOT: "pip installs into another directory",
  PIP_USER: "pip installs into the user's site-packages",
  PIP_PYTHON: "pip installs for another interpreter",
  PYTHONHOME: "CPython looks for its standard library elsewhere",
  PYTHONUSERBASE: "installs and imports use another user base",
  PYTHONPLATLIBDIR: "CPython looks for its libraries elsewhere",
  PYTHONINSPECT: "every Python tool waits at an interactive prompt",
  UV_PROJECT: "uv syncs another project",
  UV_NO_CACHE: "uv's cache layer stays empty, so each change downloads everything",
  UV_PYTHON_PREFERENCE: "uv may choose another interpreter",
  UV_MANAGED_PYTHON: "uv may choose another interpreter",
  UV_NO_MANAGED_PYTHON: "uv may choose another interpreter",
  POETRY_HOME: "Poetry runs from another installation",
  POETRY_DATA_DIR: "Poetry keeps its data outside the build's layers",
  POETRY_VIRTUALENVS_IN_PROJECT: "Poetry installs into the app's .venv",
  POETRY_VIRTUALENVS_USE_POETRY_PYTHON: "Poetry may choose another interpreter",
  PIPENV_VENV_IN_PROJECT: "Pipenv installs into the app's .venv",
  PIPENV_IGNORE_VIRTUALENVS: "Pipenv makes a virtualenv of its own",
  PIPENV_CUSTOM_VENV_NAME: "Pipenv makes a virtualenv of its own",
};

/** Variables this buildpack sets for its tools itself: a value from the build is not used. */
const OVERRIDDEN = [
  "PIP_CACHE_DIR",
  "UV_CACHE_DIR",
  "POETRY_CACHE_DIR",
  "PIPENV_CACHE_DIR",
  "UV_LINK_MODE",
  "UV_PYTHON_DOWNLOADS",
  "UV_PROJECT_ENVIRONMENT",
  "UV_PYTHON",
  "POETRY_VIRTUALENVS_CREATE",
  "VIRTUAL_ENV",
];

/**
 * Throws one line naming every breaking variable the build sets (a value of "" counts as
 * unset); returns the overridden ones that are set, for a warning.
 *
 * @example
 * checkSettings({ PIP_TARGET: "/tmp/x" }) // throws "build env: PIP_TARGET is set: pip installs into another directory"
 * checkSettings({ UV_CACHE_DIR: "/tmp/uv" }) // ["UV_CACHE_DIR"]
 */
export function checkSettings(settings: Settings): string[] {
  const isSet = (name: string) => (settings[name] ?? "") !== "";
  const breaking = Object.keys(BREAKING).filter(isSet);
  if (breaking.length > 0) {
    const what = breaking.map((name) => `${name} (${BREAKING[name]})`).join(", ");
    throw new CnbError(
      `build env: ${breaking.length === 1 ? "this variable breaks" : "these variables break"} the install: ${what}`,
      {
        hint: `Unset ${breaking.join(", ")} (cnbkit build --env, the platform's env, or an earlier buildpack's build env); the buildpack installs into its own venv layer with its own CPython.`,
      },
    );
  }
  return OVERRIDDEN.filter(isSet);
}

/**
 * The app module a start command serves, and whether it exists (pure). A Procfile line,
 * BP_PYTHON_ENTRYPOINT or an inferred command that names `gunicorn <module>:<var>`,
 * `uvicorn <module>:<var>`, `waitress-serve <module>:<var>`, hypercorn's, granian's or daphne's
 * (also as `python -m <server>`) or
 * `python <file>.py` is checked at build against the app's files and the venv's top-level
 * modules, so a typo fails the build instead of the first request. Commands this cannot read
 * (a script, a shell construct) pass unchecked: an import error at start is the app's.
 */

/** What the command serves, relative to the app dir. */
export interface StartTarget {
  /** "module" for `<module>:<var>`, "file" for `python <file>`. */
  kind: "module" | "file";
  /** The dotted module or the file's path. */
  name: string;
  /** The directory the server imports from (cd, --chdir, --app-dir), relative to the app; "" for the app dir. */
  dir: string;
}

const SERVERS = new Set(["gunicorn", "uvicorn", "waitress-serve", "hypercorn", "granian", "daphne"]);
const SERVER_MODULES = new Set(["gunicorn", "uvicorn", "waitress", "hypercorn", "granian", "daphne"]);
/** Options that take a value (an address, a port, a count), which is not the app. */
const ADDRESS_OPTIONS = new Set([
  "-b",
  "--bind",
  "--host",
  "--listen",
  "--uds",
  "--fd",
  "--port",
  "-p",
  "--workers",
  "-w",
  "--interface",
]);
const DIR_OPTIONS = new Set(["--chdir", "--app-dir", "--pythonpath"]);
const TARGET = /^([A-Za-z_][\w.]*):[A-Za-z_][\w.]*(?:\(.*\))?$/;

/** Splits a shell command into words (quotes removed), good enough for the simple commands checked here. */
function words(command: string): string[] {
  return (command.match(/"[^"]*"|'[^']*'|\S+/g) ?? []).map((w) => w.replace(/^(["'])(.*)\1$/, "$2"));
}

/**
 * The command's words after an optional leading `cd <dir> &&`, variable assignments and
 * `exec`, and the dir modules are imported from: the `cd`, or the first entry of an assigned
 * PYTHONPATH (`PYTHONPATH="src${PYTHONPATH:+:$PYTHONPATH}" exec python -m waitress …`).
 */
function commandWords(command: string): { dir: string; rest: string[] } {
  const cd = /^\s*cd\s+(\S+)\s*&&\s*(.*)$/.exec(command);
  let dir = cd ? cd[1]! : "";
  const rest = words(cd ? cd[2]! : command).filter((w) => w !== "exec");
  while (/^[A-Za-z_]\w*=/.test(rest[0] ?? "")) {
    const m = /^PYTHONPATH=["']?([^:$"']+)/.exec(rest.shift()!);
    if (m) dir = joinDir(dir, m[1]!);
  }
  return { dir, rest };
}

/** A command word that runs Python: `python`, `python3`, `python3.11`, or a path to one. */
const PYTHON = /^(?:.*\/)?python3?(?:\.\d+)?$/;

/**
 * The Python server a start command runs, and whether as a module (`python -m waitress`) or
 * as the script a package installs (`gunicorn`, found on PATH). A path to the script is not
 * read: it may live anywhere.
 *
 * @example
 * startServer("gunicorn --bind :$PORT app:app") // { name: "gunicorn", asModule: false }
 */
export function startServer(command: string): { name: string; asModule: boolean } | undefined {
  const { rest } = commandWords(command);
  const first = rest[0] ?? "";
  if (PYTHON.test(first) && rest[1] === "-m" && SERVER_MODULES.has(rest[2] ?? ""))
    return { name: rest[2]!, asModule: true };
  return SERVERS.has(first) ? { name: first, asModule: false } : undefined;
}

/**
 * The module or file a start command serves, or undefined when it is not one this reads.
 *
 * @example
 * startTarget('cd src && exec gunicorn --bind "$HOST:$PORT" app.main:app') // { kind: "module", name: "app.main", dir: "src" }
 */
export function startTarget(command: string): StartTarget | undefined {
  let { dir, rest } = commandWords(command);
  let i = 0;
  const first = rest[0] ?? "";
  const isPython = PYTHON.test(first);
  if (isPython && rest[1] === "-m" && SERVER_MODULES.has(rest[2] ?? "")) i = 3;
  else if (isPython && /^[\w./-]+\.py$/.test(rest[1] ?? "")) return { kind: "file", name: rest[1]!, dir };
  else if (SERVERS.has(first.split("/").pop() ?? "")) i = 1;
  else return undefined;
  let found: string | undefined;
  for (; i < rest.length; i++) {
    const w = rest[i]!;
    if (ADDRESS_OPTIONS.has(w)) i++;
    else if (DIR_OPTIONS.has(w)) dir = joinDir(dir, rest[++i] ?? "");
    else if (/^--(?:chdir|app-dir)=/.test(w)) dir = joinDir(dir, w.slice(w.indexOf("=") + 1));
    else if (TARGET.test(w)) found = TARGET.exec(w)![1];
  }
  return found === undefined ? undefined : { kind: "module", name: found, dir };
}

function joinDir(base: string, dir: string): string {
  if (dir.startsWith("/")) return dir;
  return [base, dir].filter((p) => p && p !== ".").join("/");
}

/** The paths (relative to the app dir) where a module's file or package may be. */
export function modulePaths(target: StartTarget): string[] {
  if (target.kind === "file") return [joinDir(target.dir, target.name)];
  const base = joinDir(target.dir, target.name.replace(/\./g, "/"));
  return [`${base}.py`, base];
}

/**
 * Whether a start command installs packages as it starts (`pip install -r requirements.txt
 * && gunicorn app:app`, a pattern of hosts that build nothing): in an image the venv was made
 * at build without pip, so the install fails or reaches the network at every start.
 */
export function installsAtStart(command: string): boolean {
  return command
    .split(/&&|\|\||;/)
    .some((part) =>
      /^\s*(?:exec\s+)?(?:(?:\S*\/)?pip3?(?:\.\d+)?|(?:\S*\/)?python3?(?:\.\d+)?\s+-m\s+pip)\s+install\b/.test(part),
    );
}

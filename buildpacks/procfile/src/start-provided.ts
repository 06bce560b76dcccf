/**
 * Whether anything in the build provides the program a Procfile command starts. cnbkit/procfile
 * runs last in its group, so by then every buildpack that could install the program (a
 * runtime, a venv, a compiled binary) has written its layers: a program found on none of the
 * build's PATH, those layers or the app is one the image cannot start. Without this check a
 * Rails app got an image from the Procfile alone whose `bundle exec puma` exited 127 at start.
 */
import { access, readdir, readFile, stat } from "node:fs/promises";
import { constants } from "node:fs";
import { dirname, isAbsolute, join } from "node:path";

/** Words that run the next word as the program (`exec puma`, `env X=1 node`). */
const WRAPPERS = new Set(["exec", "env", "nohup", "time", "command"]);

/**
 * Shell builtins and keywords: the program is not the first word, so nothing can be told
 * from it (`cd web && node server.js`, `if ...`).
 */
const SHELL_WORDS = new Set([
  "cd",
  ".",
  "source",
  "export",
  "set",
  "unset",
  "trap",
  "eval",
  "ulimit",
  "umask",
  "if",
  "for",
  "while",
  "until",
  "case",
  "[",
  "[[",
  "test",
  "true",
  ":",
  "echo",
  "printf",
  "read",
  "wait",
  "!",
  "{",
  "(",
]);

/**
 * The program a Procfile command starts, or undefined when the first word does not name it
 * (a shell builtin, a variable, a subshell).
 *
 * @example
 * programOf("bundle exec puma -C config/puma.rb") // "bundle"
 * programOf("PORT=4000 exec node server.js") // "node"
 * programOf("cd web && npm start") // undefined
 */
export function programOf(command: string): string | undefined {
  const words = command.trim().split(/\s+/);
  let i = 0;
  while (i < words.length) {
    const w = words[i]!;
    if (/^[A-Za-z_][A-Za-z0-9_]*=/.test(w) || (i > 0 && words[i - 1] === "env" && w.startsWith("-"))) {
      i++;
    } else if (WRAPPERS.has(w)) {
      i++;
    } else break;
  }
  const word = words[i]?.replace(/^(['"])(.*)\1$/, "$2");
  if (word === undefined || word === "" || SHELL_WORDS.has(word) || /[$`(){}<>|&;*?]/.test(word)) return undefined;
  return word;
}

/** Where the build looks for a program: the build's PATH, every buildpack's layers and the app. */
export interface ProgramPlaces {
  /** The build's PATH (the group's earlier buildpacks' build layers are on it). */
  path: string;
  /** The directory holding every buildpack's layers dir (`/layers`), for launch-only layers. */
  layersRoot: string;
  /** The app directory, where a relative path resolves and an app's own bin/ lives. */
  app: string;
}

/**
 * Whether `program` exists in the build: "found" as a path (absolute, or relative to the app),
 * or as a name on the PATH, in `bin/` or `node_modules/.bin/` of any buildpack's layer, or in
 * the app's `node_modules/.bin/`, with the interpreter its `#!` line names. "unsure" when it is not found but a layer is
 * reused from the previous image (its `<layer>.toml` is there, its files are not: a warm
 * build of a Go app keeps the compiled binary that way), since the program may be in it.
 */
export async function programProvided(program: string, places: ProgramPlaces): Promise<"found" | "missing" | "unsure"> {
  const layers = await layerDirs(places.layersRoot);
  const at = await locate(program, places, layers.present);
  // A script runs only if its interpreter does: a Rails app's bin/rails is `#!/usr/bin/env ruby`.
  const interpreter = at === undefined ? undefined : await shebangProgram(at);
  const found =
    at !== undefined &&
    (interpreter === undefined || (await locate(interpreter, places, layers.present)) !== undefined);
  if (found) return "found";
  return layers.elsewhere ? "unsure" : "missing";
}

/**
 * Where `program` is: a path as given (relative to the app), or a name on the PATH or in a
 * layer's `bin/` or `node_modules/.bin/` (or the app's `node_modules/.bin/`). Not the app's
 * own `bin/`: it is not on the image's PATH, and a Rails app's `bin/bundle` is only a stub.
 */
async function locate(program: string, places: ProgramPlaces, layers: readonly string[]): Promise<string | undefined> {
  if (program.includes("/")) {
    const path = isAbsolute(program) ? program : join(places.app, program);
    return (await exists(path)) ? path : undefined;
  }
  const dirs = [
    ...places.path.split(":").filter(Boolean),
    join(places.app, "node_modules", ".bin"),
    ...layers.flatMap((l) => [join(l, "bin"), join(l, "node_modules", ".bin")]),
  ];
  for (const dir of dirs) {
    if (await executable(join(dir, program))) return join(dir, program);
  }
  return undefined;
}

/** The program a script's `#!` line runs (`#!/usr/bin/env ruby` gives ruby), if it has one. */
async function shebangProgram(path: string): Promise<string | undefined> {
  const head = await readFile(path)
    .then((b) => b.subarray(0, 256).toString("latin1"))
    .catch(() => "");
  const m = /^#!\s*(\S+)(?:\s+(?:-\S+\s+)*(\S+))?/.exec(head);
  if (!m) return undefined;
  return /(^|\/)env$/.test(m[1]!) ? m[2] : m[1];
}

/**
 * Every layer written so far (`<root>/<buildpack>/<layer>`), and whether any is reused from
 * the previous image: a `<layer>.toml` with no files beside it.
 */
async function layerDirs(root: string): Promise<{ present: string[]; elsewhere: boolean }> {
  const present: string[] = [];
  let elsewhere = false;
  for (const bp of await subdirs(root)) {
    const entries = await readdir(join(root, bp), { withFileTypes: true }).catch(() => []);
    const dirs = new Set(entries.filter((e) => e.isDirectory()).map((e) => e.name));
    for (const d of dirs) present.push(join(root, bp, d));
    for (const e of entries) {
      const layer = /^(.+)\.toml$/.exec(e.name)?.[1];
      if (!e.isFile() || !layer || ["launch", "build", "store"].includes(layer)) continue;
      // No files, or an empty directory a buildpack made for a layer it kept from the image.
      if (!dirs.has(layer) || (await readdir(join(root, bp, layer)).catch(() => [])).length === 0) elsewhere = true;
    }
  }
  return { present, elsewhere };
}

async function subdirs(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true }).catch(() => []);
  return entries.filter((e) => e.isDirectory()).map((e) => e.name);
}

async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  );
}

async function executable(path: string): Promise<boolean> {
  if (
    !(await stat(path).then(
      (s) => s.isFile(),
      () => false,
    ))
  )
    return false;
  return access(path, constants.X_OK).then(
    () => true,
    () => false,
  );
}

/** The language whose programs these are, for the line that says what this builder lacks. */
const FOREIGN: readonly [string, RegExp][] = [
  ["Ruby", /^(ruby|bundle|bundler|rails|rake|rackup|puma|unicorn|thin|sidekiq|foreman)$/],
  ["PHP", /^(php|php-fpm|heroku-php-apache2|heroku-php-nginx|artisan|frankenphp|composer)$/],
  [".NET", /^(dotnet)$/],
  ["Elixir", /^(mix|elixir|iex|erl)$/],
];

/** What cnbkit's reference buildpacks serve, for the line that says a program is missing. */
export const SERVED = "Node.js, Python, Java, Go and static sites";

/**
 * The hint for a program nothing provides: its language when it is a known one this builder
 * does not serve, and what to do.
 *
 * @example
 * missingProgramHint("bundle") // "bundle is a Ruby command; cnbkit's buildpacks serve Node.js, ..."
 */
export function missingProgramHint(program: string): string {
  const language = FOREIGN.find(([, re]) => re.test(program))?.[0];
  const what = language ? `${program} is ${/^[AEIOU]/.test(language) ? "an" : "a"} ${language} command; ` : "";
  return `${what}cnbkit's buildpacks serve ${SERVED}${language ? `, not ${language}` : ""}: build with a builder that provides ${program}, or change the Procfile's command (BP_PROCFILE_CHECK=false makes this a warning, for a run image that has it)`;
}

/** The layers root for a buildpack's layers dir (`/layers/cnbkit_procfile` -> `/layers`). */
export function layersRootOf(layersDir: string): string {
  return dirname(layersDir);
}

/**
 * The `web` process when there is no Procfile, from what the app is (rules in order):
 *
 * 1. BP_PYTHON_ENTRYPOINT: that command.
 * 2. Django: manage.py names a settings module with ASGI_APPLICATION (→ uvicorn) or
 *    WSGI_APPLICATION (→ gunicorn).
 * 3. FastAPI / Starlette: `<var> = FastAPI(` in a known file → uvicorn, or gunicorn with
 *    uvicorn workers when gunicorn is a dependency, or the app's own hypercorn, granian or
 *    daphne when it has no uvicorn.
 *    An app object in another top-level module (`hello_world.py`) is served when no file
 *    above makes one: the only such module, or the one the app's Makefile, Dockerfile, README
 *    or console scripts name (`gunicorn hello_world:app`); several and none named is an error
 *    listing them. That naming also picks among the files above.
 * 4. Flask: `<var> = Flask(` (or a plain `def app(environ, start_response)`; an
 *    `async def app(scope, receive, send)` counts as ASGI, rule 3) → gunicorn when it is a dependency, else waitress (pure Python,
 *    production-grade, no C build), which the build then adds in a layer of its own and runs
 *    as `python -m waitress` (the venv's python, so the app's packages are importable).
 * 5. A console script of the project (`[project.scripts]` / `[tool.poetry.scripts]`) that the
 *    install put on PATH: the one named like the project, the only one, or the one named
 *    start, serve, web or server (in that order). One the install did not put there (Poetry's
 *    package-mode = false) runs its entry point with `python -c` (script-command.ts). After the
 *    framework rules: three outside apps' `start` scripts ran uvicorn on a fixed port. But a
 *    script whose target is a WSGI or ASGI app object (`start = "pkg.server:app"`) comes
 *    first: that object is served (rules 3-4), as Paketo's poetry-run and GCP serve it.
 *    Every console script that is not `web` becomes a process named after it.
 * 6. Streamlit: a start file (or `streamlit_app.py`, Streamlit's own default name) that imports
 *    streamlit, when it is installed → `streamlit run <file>` on $PORT, headless. Run as
 *    `python <file>` it printed a warning and exited.
 * 7. A lone main.py, app.py or server.py → `python <file>`.
 *
 * Servers bind ${HOST:-0.0.0.0}:$PORT through `sh -c`, as the launcher passes commands on without
 * expanding variables (the runtime layer defaults PORT to 8080 at launch); gunicorn and
 * uvicorn take their worker count from WEB_CONCURRENCY themselves.
 */
import { entryPointCommand, entryPointModule } from "./script-command.js";
import { appObject, flaskFactory } from "./app-objects.js";
import { djangoApp } from "./django-settings.js";

/** What the decision reads: settings, the project's scripts, installed packages and file contents. */
export interface StartInputs {
  /** BP_PYTHON_ENTRYPOINT. */
  entrypoint?: string | undefined;
  /** The project's name (PEP 621 or Poetry). */
  projectName?: string | undefined;
  /** Console scripts the project declares that exist in the venv's bin. */
  scripts: readonly string[];
  /** Installed distribution names, normalized (PEP 503: lower case, `-`). */
  packages: ReadonlySet<string>;
  /**
   * Contents of the files in {@link SCAN_FILES} (then src/<pkg>/main.py and app.py, and the
   * `__init__.py` of top-level and src/ packages) that exist, by app-relative path, in that order.
   */
  files: ReadonlyMap<string, string>;
  /** The app's top-level `.py` files, for the hint when nothing is found. */
  topLevelPy?: readonly string[];
  /**
   * Contents of the app's other top-level modules (`hello_world.py`), by file name: an app object
   * there is served when no file of {@link files} makes one.
   */
  modules?: ReadonlyMap<string, string>;
  /**
   * Texts that say how the app is started (its Makefile, Dockerfile, README, the console scripts'
   * targets): when several modules make an app object, the one these name is served.
   */
  hints?: readonly StartHint[];
  /** What each console script runs (`pkg.server:app`), by script name; its module's file is in {@link files}. */
  scriptTargets?: ReadonlyMap<string, string>;
  /**
   * Console scripts the project declares that the install did not put on PATH, and why (for
   * the log): each whose module is in the app runs from its entry point (script-command.ts).
   */
  uninstalled?: { scripts: readonly string[]; why: string };
}

/** A text that may say how the app starts, and where it is from (`Makefile`, `README.md`, `[project.scripts]`). */
export interface StartHint {
  source: string;
  text: string;
}

/** A process other than `web`: a console script, named after it. */
export interface NamedProcess {
  type: string;
  command: string[];
  /** Why it runs this way, when not as the installed script. */
  reason?: string;
}

/** A chosen start command. */
export interface StartCommand {
  command: string[];
  /** Why, for the log: "Flask app in app.py, gunicorn is a dependency". */
  reason: string;
  /** A server to add to the venv because the app does not depend on one. */
  needs?: "waitress" | "uvicorn" | "gunicorn";
  /** The project's other console scripts, each a process named after it. */
  others?: NamedProcess[];
}

/** No command, with the message that says how to set one. */
export interface NoStartCommand {
  none: string;
}

/** Files scanned for an app object, in order. src/<pkg>/{main,app}.py are added by the caller. */
export const SCAN_FILES = [
  "main.py",
  "app.py",
  "server.py",
  "wsgi.py",
  "asgi.py",
  "application.py",
  "api.py",
  "app/main.py",
  "app/app.py",
  "app/__init__.py",
  "src/main.py",
  "src/app.py",
  // Vercel's Python layout (vercel/examples python/flask3): the app in api/index.py.
  "api/index.py",
  "api/app.py",
  "api/main.py",
  "streamlit_app.py",
];

/** Top-level Python files that are tooling, not an app's entry point. */
export const NOT_START_FILES: ReadonlySet<string> = new Set([
  "setup.py",
  "manage.py",
  "conftest.py",
  "noxfile.py",
  "fabfile.py",
  "tasks.py",
]);

/** Files whose lone presence means `python <file>`. */
export const LONE_FILES = ["main.py", "app.py", "server.py"];

/** PEP 503 name normalization. */
export function normalizeName(name: string): string {
  return name.toLowerCase().replace(/[-_.]+/g, "-");
}

/**
 * A command run through `sh -c` with `exec`, so $PORT is expanded and signals reach the
 * server; `dir` (e.g. "src") is where the app's modules are imported from.
 */
function sh(script: string, dir?: string): string[] {
  // The app's code in a subdirectory (src/) is put on the import path, and the process stays
  // in the app dir: a `cd src` broke apps that open files relative to it (pyproject.toml,
  // templates). gunicorn and uvicorn take it as an option; waitress reads PYTHONPATH.
  if (!dir) return ["sh", "-c", `exec ${script}`];
  const onPath = script
    .replace(/^gunicorn /, `gunicorn --pythonpath ${dir} `)
    .replace(/^(uvicorn|python -m uvicorn) (\S+) /, `$1 $2 --app-dir ${dir} `);
  if (onPath !== script) return ["sh", "-c", `exec ${onPath}`];
  return ["sh", "-c", `PYTHONPATH="${dir}\${PYTHONPATH:+:$PYTHONPATH}" exec ${script}`];
}

// HOST narrows the address (e.g. 127.0.0.1 when the container shares the host's network).
const BIND = '"${HOST:-0.0.0.0}:$PORT"';
/** --host and --port, as uvicorn and granian take them. */
const HOST_PORT_FLAGS = '--host "${HOST:-0.0.0.0}" --port "$PORT"';
/** WEB_CONCURRENCY (the exec.d sets it), for servers that do not read it themselves. */
const WORKERS = '"${WEB_CONCURRENCY:-1}"';

/**
 * ASGI servers other than uvicorn, in the order they are looked for when the app depends on
 * one and not on uvicorn. Daphne (Django Channels) runs one process.
 */
const ASGI_SERVERS: readonly { name: string; command(target: string): string }[] = [
  { name: "hypercorn", command: (t) => `hypercorn --bind ${BIND} --workers ${WORKERS} ${t}` },
  { name: "granian", command: (t) => `granian --interface asgi ${HOST_PORT_FLAGS} --workers ${WORKERS} ${t}` },
  { name: "daphne", command: (t) => `daphne --bind "\${HOST:-0.0.0.0}" --port "$PORT" ${t}` },
];

/** Chooses the start command. */
export function inferStartCommand(given: StartInputs): StartCommand | NoStartCommand {
  const direct = entryPointScripts(given);
  const input = direct.size > 0 ? { ...given, scripts: [...given.scripts, ...direct.keys()].sort() } : given;
  const run = (s: string) => direct.get(s) ?? { command: [s] };
  const entry = input.entrypoint?.trim();
  const web = entry ? { command: sh(entry), reason: "BP_PYTHON_ENTRYPOINT" } : inferWeb(input, run);
  if ("none" in web) return web;
  // Every console script the web process does not run is a process of its own, named after it.
  const others = input.scripts
    .filter((s) => s !== web.script && /^[A-Za-z0-9_.-]+$/.test(s) && s !== "web")
    .map((s) => ({ type: s, ...run(s) }));
  const { script: _, ...chosen } = web;
  return others.length > 0 ? { ...chosen, others } : chosen;
}

/**
 * The uninstalled console scripts whose module is in the app, each with the command that runs
 * its entry point and why it runs that way.
 */
function entryPointScripts(input: StartInputs): Map<string, { command: string[]; reason: string }> {
  const out = new Map<string, { command: string[]; reason: string }>();
  for (const script of input.uninstalled?.scripts ?? []) {
    const target = input.scriptTargets?.get(script);
    const module = target && entryPointModule(target);
    const file = module && scriptModuleFiles(module).find((f) => input.files.has(f));
    const command = file ? entryPointCommand(target, file.startsWith("src/") ? "src" : undefined) : undefined;
    if (!command) continue;
    out.set(script, { command, reason: `${target}, run by python -c: ${input.uninstalled?.why}` });
  }
  return out;
}

/** A module's `if __name__ == "__main__":` block, either quote. */
const RUNS_AS_SCRIPT = /^if\s+__name__\s*==\s*["']__main__["']\s*:/m;

/** The `web` command inferred from the app (rules 2-7), and the console script it runs, if any. */
function inferWeb(
  input: StartInputs,
  run: (script: string) => { command: string[]; reason?: string },
): (StartCommand & { script?: string }) | NoStartCommand {
  const served = scriptApp(input);
  if (served) return served;
  const script = projectScript(input);
  const apps = frameworkApp(input);
  // Several modules' app objects and nothing naming one: a console script still starts the app.
  if (apps && "none" in apps && !script) return apps;
  const framework = apps && !("none" in apps) ? apps : undefined;
  if (framework && script) {
    // Seen in three outside apps: a "start" script that runs uvicorn on a fixed port with reload.
    const passed = `; the console script "${script}" is process "${script}", not web`;
    return { ...framework, reason: `${framework.reason}${passed}` };
  }
  if (framework) return framework;
  if (script) {
    const { command, reason } = run(script);
    return { command, reason: `the project's console script "${script}"${reason ? ` (${reason})` : ""}`, script };
  }
  const streamlit = streamlitScript(input);
  if (streamlit) {
    const flags = '--server.port "$PORT" --server.address "${HOST:-0.0.0.0}" --server.headless true';
    return {
      command: sh(`streamlit run ${streamlit} ${flags}`),
      reason: `Streamlit app in ${streamlit}; streamlit is a dependency`,
    };
  }
  const lone = LONE_FILES.filter((f) => input.files.has(f));
  if (lone.length === 1) return { command: ["python", lone[0]!], reason: `the only start file, ${lone[0]}` };
  // A package run as `python -m <pkg>` (its __main__.py): the only one, and no start file.
  const mains = [...input.files.keys()].filter((f) => /^[A-Za-z_]\w*\/__main__\.py$/.test(f));
  if (lone.length === 0 && mains.length === 1 && !input.files.has("manage.py")) {
    const pkg = mains[0]!.split("/")[0]!;
    return { command: ["python", "-m", pkg], reason: `the only runnable package, ${mains[0]}` };
  }
  const found = lone.length > 1 ? ` (found ${lone.join(", ")}: which one?)` : "";
  if (input.files.has("manage.py") && lone.length === 0) {
    return {
      none:
        "No start command: manage.py names no settings module with WSGI_APPLICATION or ASGI_APPLICATION that the build could find; " +
        'add a Procfile ("web: gunicorn <project>.wsgi") or set BP_PYTHON_ENTRYPOINT',
    };
  }
  // One script with another name (a Tornado helloworld.py) is likely what runs the app.
  const scripts = (input.topLevelPy ?? []).filter((f) => !NOT_START_FILES.has(f));
  if (lone.length === 0 && scripts.length === 1) {
    return {
      none: `No start command: add a Procfile ("web: python ${scripts[0]}") or set BP_PYTHON_ENTRYPOINT="python ${scripts[0]}" if ${scripts[0]} serves the app on $PORT`,
    };
  }
  // A package's own script (aiohttp-demos' chat: aiohttpdemo_chat/main.py ends in
  // `if __name__ == '__main__': main()`, which calls web.run_app) is likely what runs the app.
  const pkgScripts = [...input.files.entries()]
    .filter(([f, text]) => /^[A-Za-z_]\w*\/(?:main|app)\.py$/.test(f) && RUNS_AS_SCRIPT.test(text))
    .map(([f]) => f.slice(0, -3).replace("/", "."));
  if (lone.length === 0 && scripts.length === 0 && pkgScripts.length === 1) {
    const run = `python -m ${pkgScripts[0]}`;
    return {
      none: `No start command: add a Procfile ("web: ${run}") or set BP_PYTHON_ENTRYPOINT="${run}" if ${pkgScripts[0]} serves the app on $PORT`,
    };
  }
  // No example module here: "gunicorn app:app" sent a user to an app.py that did not exist, with
  // a server the app did not depend on.
  return {
    none: `No start command${found}: no app object (app = Flask(…), FastAPI(…), …) in ${SCAN_FILES.slice(0, 4).join(", ")} or the other files looked at; add a Procfile ("web: gunicorn <module>:<app>", with gunicorn among the dependencies), set BP_PYTHON_ENTRYPOINT, or add a main.py`,
  };
}

/**
 * A console script whose target is a WSGI or ASGI app (`start = "pkg.server:app"`, where
 * pkg/server.py makes `app = Flask(…)`), served by a server as Paketo's poetry-run and GCP
 * serve it: run as a script, the app object is called with no arguments and the process dies.
 * The project's named script is looked at first, then the others in order.
 */
function scriptApp(input: StartInputs): (StartCommand & { script: string }) | undefined {
  const first = projectScript(input);
  const order = first ? [first, ...input.scripts.filter((s) => s !== first)] : input.scripts;
  for (const script of order) {
    const target = input.scriptTargets?.get(script);
    const m = target ? /^\s*([A-Za-z_][\w.]*)\s*:\s*([A-Za-z_]\w*)\s*$/.exec(target) : null;
    if (!m) continue;
    const file = scriptModuleFiles(m[1]!).find((f) => input.files.has(f));
    if (!file) continue;
    const text = input.files.get(file)!;
    const app = appObject(text);
    if (!app || app.name !== m[2]) continue;
    const { dir, module } = moduleOf(file, text);
    const why = `${app.framework} app ${module}:${app.name}, the console script "${script}"`;
    return { ...serve(input.packages, app.kind, `${module}:${app.name}`, dir, why), script };
  }
  return undefined;
}

/** The files a console script's module may be in, at the top or under src/. */
export function scriptModuleFiles(module: string): string[] {
  const base = module.replace(/\./g, "/");
  return [`${base}.py`, `${base}/__init__.py`, `src/${base}.py`, `src/${base}/__init__.py`];
}

/**
 * A Django project, an ASGI or WSGI app object, or a Flask app factory, served on $PORT by a
 * server (rules 2-4). These win over a console script: a project's script often starts a dev
 * server on a fixed port, and one named `manage` only prints Django's help.
 */
function frameworkApp(input: StartInputs): StartCommand | NoStartCommand | undefined {
  const django = djangoApp(input.files);
  if (django) return serve(input.packages, django.asgi ? "asgi" : "wsgi", django.target, undefined, django.reason);
  const apps = appObjects(input.files);
  const others = appObjects(input.modules ?? new Map());
  const all = [...apps, ...others];
  const named = all.length > 1 ? namedApps(all, input.hints ?? []) : [];
  // What the app's own Makefile, Dockerfile or README runs wins; else the known files in order,
  // else the one other module that makes an app (hello_world.py, as its Makefile runs it).
  const pick = named.length === 1 ? named[0] : (apps[0] ?? (others.length === 1 ? others[0] : undefined));
  if (pick) {
    const why = `${pick.app.framework} app in ${pick.file}${named.length === 1 ? ` (${pick.target}, as the app's ${pick.namedBy} names it)` : ""}`;
    return serve(input.packages, pick.app.kind, pick.target, pick.dir, why);
  }
  if (others.length > 1) {
    const list = others.map((o) => o.target).join(", ");
    return {
      none: `No start command: app objects in several modules (${list}) and no Makefile, Dockerfile, README or console script names one; add a Procfile ("web: gunicorn ${others[0]!.target}", with the one to serve) or set BP_PYTHON_ENTRYPOINT`,
    };
  }
  for (const [file, text] of input.files) {
    const factory = flaskFactory(text);
    if (!factory) continue;
    const { dir, module } = moduleOf(file, text);
    const why = `Flask app factory ${factory}() in ${file}`;
    return serve(input.packages, "wsgi", `${module}:${factory}`, dir, why, { factory: true });
  }
  return undefined;
}

/** An app object a module makes, and the `module:name` a server is given. */
interface FoundApp {
  file: string;
  app: NonNullable<ReturnType<typeof appObject>>;
  target: string;
  dir: string | undefined;
  /** What names it, once {@link namedApps} found it named. */
  namedBy?: string;
}

/** The app objects `files` make, in order. */
function appObjects(files: ReadonlyMap<string, string>): FoundApp[] {
  const out: FoundApp[] = [];
  for (const [file, text] of files) {
    const app = appObject(text);
    if (!app) continue;
    const { dir, module } = moduleOf(file, text);
    out.push({ file, app, target: `${module}:${app.name}`, dir });
  }
  return out;
}

/**
 * The apps `hints` name, each with the hint's source: `hello_world:app` (gunicorn, uvicorn),
 * `hello_world.py` (`python hello_world.py`), `--app hello_world` or `FLASK_APP=hello_world`,
 * or a console script's target in that module (`hello_world:main`).
 */
function namedApps(apps: readonly FoundApp[], hints: readonly StartHint[]): FoundApp[] {
  const out: FoundApp[] = [];
  for (const found of apps) {
    const module = found.target.slice(0, found.target.lastIndexOf(":")).replace(/\./g, "\\.");
    const file = found.file.replace(/\./g, "\\.");
    const named = new RegExp(
      `(?<![\\w./-])(?:${module}:[A-Za-z_]|${file}\\b)|(?:--app[= ]|FLASK_APP=)["']?${module}\\b(?![.\\w])`,
    );
    const hint = hints.find((h) => named.test(h.text));
    if (hint) out.push({ ...found, namedBy: hint.source });
  }
  return out;
}

/** A top-level script that imports streamlit, when streamlit is installed: `streamlit_app.py` first. */
function streamlitScript(input: StartInputs): string | undefined {
  if (!input.packages.has("streamlit")) return undefined;
  const scripts = ["streamlit_app.py", ...LONE_FILES].filter((f) => input.files.has(f));
  return scripts.find((f) => /^\s*(?:import streamlit\b|from streamlit\b)/m.test(input.files.get(f)!));
}

/** Script names that say they start the app, in the order they are preferred. */
const START_SCRIPTS = ["start", "serve", "web", "server"];

/** The project's console script named like the project, its only one, or one named {@link START_SCRIPTS}. */
function projectScript(input: StartInputs): string | undefined {
  if (input.scripts.length === 0) return undefined;
  const named = input.projectName && input.scripts.find((s) => normalizeName(s) === normalizeName(input.projectName!));
  if (named) return named;
  if (input.scripts.length === 1) return input.scripts[0];
  return START_SCRIPTS.find((s) => input.scripts.includes(s));
}

/**
 * The server command for a WSGI or ASGI target such as `app:app`; with `factory`, a WSGI
 * target names a function that returns the app (gunicorn calls `'pkg:create_app()'`,
 * waitress takes `--call pkg:create_app`).
 */
function serve(
  packages: ReadonlySet<string>,
  kind: "wsgi" | "asgi",
  target: string,
  dir: string | undefined,
  why: string,
  opts: { factory?: boolean } = {},
): StartCommand {
  const has = (p: string) => packages.has(p);
  if (kind === "asgi") {
    const worker = has("uvicorn-worker") ? "uvicorn_worker.UvicornWorker" : "uvicorn.workers.UvicornWorker";
    if (has("gunicorn") && (has("uvicorn") || has("uvicorn-worker"))) {
      return {
        command: sh(`gunicorn -k ${worker} --bind ${BIND} ${target}`, dir),
        reason: `${why}; gunicorn with uvicorn workers (both are dependencies)`,
      };
    }
    const cmd = sh(`uvicorn ${target} ${HOST_PORT_FLAGS}`, dir);
    if (has("uvicorn")) return { command: cmd, reason: `${why}; uvicorn is a dependency` };
    // Another ASGI server the app chose (railway's FastAPI template: hypercorn) is used as it
    // is: adding uvicorn beside it shipped a second server, and the log said there was none.
    const other = ASGI_SERVERS.find((s) => has(s.name));
    if (other) return { command: sh(other.command(target), dir), reason: `${why}; ${other.name} is a dependency` };
    return {
      command: sh(`python -m uvicorn ${target} ${HOST_PORT_FLAGS}`, dir),
      reason: `${why}; no ASGI server among the dependencies, adding uvicorn`,
      needs: "uvicorn",
    };
  }
  if (has("gunicorn")) {
    const app = opts.factory ? `'${target}()'` : target;
    return { command: sh(`gunicorn --bind ${BIND} ${app}`, dir), reason: `${why}; gunicorn is a dependency` };
  }
  const app = opts.factory ? `--call ${target}` : target;
  const listen = sh(`waitress-serve --listen=${BIND} ${app}`, dir);
  if (has("waitress")) return { command: listen, reason: `${why}; waitress is a dependency` };
  return {
    command: sh(`python -m waitress --listen=${BIND} ${app}`, dir),
    reason: `${why}; no WSGI server among the dependencies, adding waitress (pure Python, production-grade; add gunicorn to use it instead)`,
    needs: "waitress",
  };
}

/** `app/main.py` → module `app.main`; `src/pkg/main.py` → `pkg.main` from dir `src`. */
function moduleOf(file: string, text: string): { dir?: string; module: string } {
  const parts = file.replace(/\.py$/, "").split("/");
  if (parts.at(-1) === "__init__") parts.pop();
  // Code that imports `src.x` runs from the app dir with src as a package (an outside FastAPI
  // app's `from src.image_converter import …`): `--app-dir src` made that import fail at start.
  const srcIsPackage = /^\s*(?:from|import)\s+src\./m.test(text);
  if (parts[0] === "src" && parts.length > 1 && !srcIsPackage) return { dir: "src", module: parts.slice(1).join(".") };
  return { module: parts.join(".") };
}

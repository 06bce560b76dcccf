/**
 * Which web app object a Python file makes, read from its text: `<var> = FastAPI(` and the
 * other frameworks' constructors (with the interface each speaks, WSGI or ASGI), a Dash app's
 * Flask server, a framework-less WSGI or ASGI callable, and a Flask application factory.
 * The start command (start-command.ts) serves what these find.
 */

/**
 * The Flask application factory a file defines (`def create_app(test_config=None):` that
 * builds a `Flask(` app, as the Flask tutorial does), if it can be called with no arguments.
 *
 * @example
 * flaskFactory("def create_app(test_config=None):\n    app = Flask(__name__)\n") // "create_app"
 */
export function flaskFactory(text: string): string | undefined {
  if (!/\bFlask\s*\(/.test(text)) return undefined;
  const m = /^def\s+(create_app|make_app)\s*\(([^)]*)\)/m.exec(text);
  if (!m) return undefined;
  const params = m[2]!
    .split(",")
    .map((p) => p.trim())
    .filter((p) => p !== "");
  return params.every((p) => p.includes("=") || p.startsWith("*")) ? m[1] : undefined;
}

/** The web frameworks whose app object a start command can serve, and the interface it speaks. */
const FRAMEWORKS: Readonly<Record<string, { name: string; kind: "wsgi" | "asgi" }>> = {
  FastAPI: { name: "FastAPI", kind: "asgi" },
  Starlette: { name: "Starlette", kind: "asgi" },
  Litestar: { name: "Litestar", kind: "asgi" },
  Quart: { name: "Quart", kind: "asgi" },
  Flask: { name: "Flask", kind: "wsgi" },
  Bottle: { name: "Bottle", kind: "wsgi" },
  Dash: { name: "Dash", kind: "wsgi" },
  "falcon.App": { name: "Falcon", kind: "wsgi" },
  "falcon.API": { name: "Falcon", kind: "wsgi" },
  "falcon.asgi.App": { name: "Falcon", kind: "asgi" },
};

/** `<var> = <framework>(` at the top level; the class may be qualified (`flask.Flask(`, `falcon.asgi.App(`). */
const APP_OBJECT =
  /^([A-Za-z_]\w*)\s*(?::\s*[\w.]+\s*)?=\s*(falcon\.asgi\.App|falcon\.App|falcon\.API|(?:\w+\.)*(?:FastAPI|Starlette|Litestar|Quart|Flask|Bottle|Dash))\s*\(/m;

/**
 * The module-level app object a file creates, if any. A Dash app is served through the Flask
 * server it wraps, which the file must name at the top level (`server = app.server`, as
 * Dash's deployment guide has it): `object` is then that name.
 */
export function appObject(text: string): { name: string; framework: string; kind: "wsgi" | "asgi" } | undefined {
  const m = APP_OBJECT.exec(text);
  if (!m) return callableApp(text);
  const qualified = m[2]!;
  const framework = FRAMEWORKS[qualified] ?? FRAMEWORKS[qualified.split(".").pop()!];
  if (!framework) return undefined;
  if (framework.name !== "Dash") return { name: m[1]!, framework: framework.name, kind: framework.kind };
  const server = new RegExp(`^([A-Za-z_]\\w*)\\s*=\\s*${m[1]}\\.server\\b`, "m").exec(text);
  return server ? { name: server[1]!, framework: "Dash", kind: "wsgi" } : undefined;
}

/**
 * A WSGI or ASGI app written with no framework: a top-level `def app(environ, start_response):`
 * or `async def app(scope, receive, send):`. Run as `python main.py`, such a module defines
 * the function and exits at once.
 *
 * @example
 * callableApp("def application(environ, start_response):\n") // { name: "application", framework: "WSGI", kind: "wsgi" }
 */
export function callableApp(text: string): { name: string; framework: string; kind: "wsgi" | "asgi" } | undefined {
  const wsgi = /^def\s+([A-Za-z_]\w*)\s*\(\s*environ\s*,\s*start_response\s*\)/m.exec(text);
  if (wsgi) return { name: wsgi[1]!, framework: "WSGI", kind: "wsgi" };
  const asgi = /^async\s+def\s+([A-Za-z_]\w*)\s*\(\s*scope\s*,\s*receive\s*,\s*send\s*\)/m.exec(text);
  if (asgi) return { name: asgi[1]!, framework: "ASGI", kind: "asgi" };
  return undefined;
}

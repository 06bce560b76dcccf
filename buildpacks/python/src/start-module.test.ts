import { describe, expect, test } from "vitest";
import { installsAtStart, modulePaths, startServer, startTarget } from "./start-module.js";

describe("startTarget: the module or file a start command serves", () => {
  test.each([
    ['gunicorn --bind "${HOST:-0.0.0.0}:$PORT" app:app', { kind: "module", name: "app", dir: "" }],
    [
      "gunicorn -b localhost:8000 --workers 2 mysite.wsgi:application",
      { kind: "module", name: "mysite.wsgi", dir: "" },
    ],
    ["exec gunicorn --chdir src pkg.main:create_app()", { kind: "module", name: "pkg.main", dir: "src" }],
    [
      'cd src && exec uvicorn app.main:app --host "$HOST" --port "$PORT"',
      { kind: "module", name: "app.main", dir: "src" },
    ],
    ["uvicorn --app-dir=backend api:app --host 0.0.0.0", { kind: "module", name: "api", dir: "backend" }],
    ['python -m waitress --listen="${HOST:-0.0.0.0}:$PORT" server:app', { kind: "module", name: "server", dir: "" }],
    ["waitress-serve --listen=0.0.0.0:8080 wsgi:application", { kind: "module", name: "wsgi", dir: "" }],
    ["python3 server.py", { kind: "file", name: "server.py", dir: "" }],
    ['hypercorn --bind "$HOST:$PORT" --workers 2 main:app', { kind: "module", name: "main", dir: "" }],
    ['granian --interface asgi --port "$PORT" --workers 2 api.main:app', { kind: "module", name: "api.main", dir: "" }],
    ['daphne -b 0.0.0.0 -p "$PORT" mysite.asgi:application', { kind: "module", name: "mysite.asgi", dir: "" }],
  ])("%s", (command, expected) => {
    expect(startTarget(command)).toEqual(expected);
  });

  test.each(["npm start", "hello-cli", "python -m http.server", "gunicorn --bind 0.0.0.0:8080", "./run.sh app:app"])(
    "%s serves nothing this reads",
    (command) => {
      expect(startTarget(command)).toBeUndefined();
    },
  );
});

test("modulePaths: a module is a .py file or a package dir, under the server's dir", () => {
  expect(modulePaths({ kind: "module", name: "mysite.wsgi", dir: "" })).toEqual(["mysite/wsgi.py", "mysite/wsgi"]);
  expect(modulePaths({ kind: "module", name: "app", dir: "src" })).toEqual(["src/app.py", "src/app"]);
  expect(modulePaths({ kind: "file", name: "server.py", dir: "" })).toEqual(["server.py"]);
});

test.each([
  ["gunicorn --bind :$PORT app:app", { name: "gunicorn", asModule: false }],
  ['cd src && exec uvicorn main:app --port "$PORT"', { name: "uvicorn", asModule: false }],
  ["python -m waitress --listen=*:$PORT app:app", { name: "waitress", asModule: true }],
  ["waitress-serve --port=$PORT app:app", { name: "waitress-serve", asModule: false }],
  ["hypercorn main:app", { name: "hypercorn", asModule: false }],
  ["python -m granian --interface asgi main:app", { name: "granian", asModule: true }],
  ["/opt/bin/gunicorn app:app", undefined],
  ["python server.py", undefined],
  ["bin/start", undefined],
])("the server %j runs", (command, expected) => {
  expect(startServer(command)).toEqual(expected);
});

test.each([
  ['exec uvicorn svc.main:app --app-dir src --host "$HOST"', { kind: "module", name: "svc.main", dir: "src" }],
  ['exec gunicorn --pythonpath src --bind "$HOST:$PORT" app:app', { kind: "module", name: "app", dir: "src" }],
  [
    'PYTHONPATH="src${PYTHONPATH:+:$PYTHONPATH}" exec python -m waitress --listen="$HOST:$PORT" app:app',
    { kind: "module", name: "app", dir: "src" },
  ],
])("the start commands the build writes for src/ layouts are read back: %j", (command, expected) => {
  expect(startTarget(command)).toEqual(expected);
});

describe("installsAtStart: a start command that runs pip install", () => {
  test.each([
    ["pip install -r requirements.txt && gunicorn app:app", true],
    ["cd src && python3 -m pip install . ; python main.py", true],
    ["exec /usr/bin/pip3.11 install flask", true],
    ["gunicorn app:app", false],
    ["python -m pipeline.run", false],
    ["pipenv run gunicorn app:app", false],
    ["echo pip install later && gunicorn app:app", false],
  ])("%s: %s", (command, expected) => {
    expect(installsAtStart(command)).toBe(expected);
  });
});

import { describe, expect, test } from "vitest";
import { appObject, flaskFactory } from "./app-objects.js";
import { djangoHasStaticRoot, djangoSettingsCandidates, starImports } from "./django-settings.js";
import { inferStartCommand, type StartInputs } from "./start-command.js";

const manage = 'import os\nos.environ.setdefault("DJANGO_SETTINGS_MODULE", "mysite.settings")\n';
const input = (files: Record<string, string>, extra: Partial<StartInputs> = {}): StartInputs => ({
  scripts: [],
  packages: new Set(extra.packages ?? []),
  files: new Map(Object.entries(files)),
  ...extra,
});
const pkgs = (...names: string[]) => new Set(names);

describe("start command", () => {
  test.each<[string, StartInputs, string[] | string, string?]>([
    [
      "BP_PYTHON_ENTRYPOINT wins",
      input({ "main.py": "app = FastAPI()" }, { entrypoint: "hypercorn main:app" }),
      ["sh", "-c", "exec hypercorn main:app"],
    ],
    [
      "the project's script named like the project",
      input({}, { projectName: "My_Svc", scripts: ["other", "my-svc"] }),
      ["my-svc"],
    ],
    ["the only script", input({ "main.py": "" }, { projectName: "x", scripts: ["serve"] }), ["serve"]],
    [
      "Django WSGI with gunicorn",
      input(
        { "manage.py": manage, "mysite/settings.py": 'WSGI_APPLICATION = "mysite.wsgi.application"\n' },
        { packages: pkgs("django", "gunicorn") },
      ),
      ["sh", "-c", 'exec gunicorn --bind "${HOST:-0.0.0.0}:$PORT" mysite.wsgi:application'],
    ],
    [
      "Django whose manage.py picks its settings by environment (the .settings one is read)",
      input(
        {
          "manage.py": [
            "import os",
            "settings_module = 'proj.production' if 'WEBSITE_HOSTNAME' in os.environ else 'proj.settings'",
            "os.environ.setdefault('DJANGO_SETTINGS_MODULE', settings_module)",
            "from django.core.management import execute_from_command_line",
          ].join("\n"),
          "proj/production.py": "from .settings import *\n",
          "proj/settings.py": "WSGI_APPLICATION = 'proj.wsgi.application'\n",
        },
        { packages: pkgs("django", "gunicorn") },
      ),
      ["sh", "-c", 'exec gunicorn --bind "${HOST:-0.0.0.0}:$PORT" proj.wsgi:application'],
    ],
    [
      "a Flask app factory in a package (the Flask tutorial's flaskr), gunicorn calls it",
      input(
        {
          "flaskr/__init__.py":
            "from flask import Flask\n\ndef create_app(test_config=None):\n    app = Flask(__name__)\n    return app\n",
        },
        { packages: pkgs("flask", "gunicorn") },
      ),
      ["sh", "-c", `exec gunicorn --bind "\${HOST:-0.0.0.0}:$PORT" 'flaskr:create_app()'`],
    ],
    [
      "a Flask app factory without a server: waitress --call",
      input(
        { "app.py": "import flask\n\ndef create_app():\n    return flask.Flask(__name__)\n" },
        { packages: pkgs("flask") },
      ),
      ["sh", "-c", 'exec python -m waitress --listen="${HOST:-0.0.0.0}:$PORT" --call app:create_app'],
      "waitress",
    ],
    [
      "Django with a settings package whose module star-imports its base (wagtail's bakerydemo)",
      input(
        {
          "manage.py": 'os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bakery.settings.dev")\n',
          "bakery/settings/dev.py": "from .base import *  # noqa\nDEBUG = True\n",
          "bakery/settings/base.py": 'WSGI_APPLICATION = "bakery.wsgi.application"\nSTATIC_ROOT = "static"\n',
        },
        { packages: pkgs("django", "gunicorn") },
      ),
      ["sh", "-c", 'exec gunicorn --bind "${HOST:-0.0.0.0}:$PORT" bakery.wsgi:application'],
    ],
    [
      "Django ASGI with uvicorn (settings package)",
      input(
        {
          "manage.py": manage,
          "mysite/settings/__init__.py":
            "ASGI_APPLICATION = 'mysite.asgi.application'\nWSGI_APPLICATION = 'mysite.wsgi.application'",
        },
        { packages: pkgs("django", "uvicorn") },
      ),
      ["sh", "-c", 'exec uvicorn mysite.asgi:application --host "${HOST:-0.0.0.0}" --port "$PORT"'],
    ],
    [
      "Django WSGI without a server adds waitress",
      input(
        { "manage.py": manage, "mysite/settings.py": 'WSGI_APPLICATION = "mysite.wsgi.application"' },
        { packages: pkgs("django") },
      ),
      ["sh", "-c", 'exec python -m waitress --listen="${HOST:-0.0.0.0}:$PORT" mysite.wsgi:application'],
      "waitress",
    ],
    [
      "FastAPI with uvicorn",
      input(
        { "main.py": "from fastapi import FastAPI\napp = FastAPI(title='x')\n" },
        { packages: pkgs("fastapi", "uvicorn") },
      ),
      ["sh", "-c", 'exec uvicorn main:app --host "${HOST:-0.0.0.0}" --port "$PORT"'],
    ],
    [
      "FastAPI with gunicorn and uvicorn: uvicorn workers",
      input(
        { "app/main.py": "api: FastAPI = fastapi.FastAPI()\n" },
        { packages: pkgs("fastapi", "uvicorn", "gunicorn") },
      ),
      ["sh", "-c", 'exec gunicorn -k uvicorn.workers.UvicornWorker --bind "${HOST:-0.0.0.0}:$PORT" app.main:api'],
    ],
    [
      "FastAPI with no server adds uvicorn",
      input({ "main.py": "app = FastAPI()" }, { packages: pkgs("fastapi") }),
      ["sh", "-c", 'exec python -m uvicorn main:app --host "${HOST:-0.0.0.0}" --port "$PORT"'],
      "uvicorn",
    ],
    // railwayapp-templates/fastapi depends on hypercorn: no uvicorn is added beside it.
    [
      "FastAPI with hypercorn and no uvicorn runs hypercorn",
      input({ "main.py": "app = FastAPI()" }, { packages: pkgs("fastapi", "hypercorn") }),
      ["sh", "-c", 'exec hypercorn --bind "${HOST:-0.0.0.0}:$PORT" --workers "${WEB_CONCURRENCY:-1}" main:app'],
    ],
    [
      "Starlette with granian runs granian's ASGI interface",
      input({ "app.py": "app = Starlette()" }, { packages: pkgs("starlette", "granian") }),
      [
        "sh",
        "-c",
        'exec granian --interface asgi --host "${HOST:-0.0.0.0}" --port "$PORT" --workers "${WEB_CONCURRENCY:-1}" app:app',
      ],
    ],
    [
      "Django ASGI with daphne (Channels)",
      input(
        { "manage.py": manage, "mysite/settings.py": 'ASGI_APPLICATION = "mysite.asgi.application"\n' },
        { packages: pkgs("django", "daphne", "channels") },
      ),
      ["sh", "-c", 'exec daphne --bind "${HOST:-0.0.0.0}" --port "$PORT" mysite.asgi:application'],
    ],
    [
      "uvicorn wins over hypercorn when the app has both",
      input({ "main.py": "app = FastAPI()" }, { packages: pkgs("fastapi", "hypercorn", "uvicorn") }),
      ["sh", "-c", 'exec uvicorn main:app --host "${HOST:-0.0.0.0}" --port "$PORT"'],
    ],
    // src/ layouts import from src but stay in the app dir, which the app may read files from.
    [
      "Starlette in src/<pkg>/main.py imports from src (uvicorn --app-dir)",
      input({ "src/svc/main.py": "app = Starlette(routes=[])" }, { packages: pkgs("starlette", "uvicorn") }),
      ["sh", "-c", 'exec uvicorn svc.main:app --app-dir src --host "${HOST:-0.0.0.0}" --port "$PORT"'],
    ],
    [
      "FastAPI in src/app.py that imports src.x runs src.app from the app dir, src a package",
      input(
        {
          "src/app.py":
            "from fastapi import FastAPI\nfrom src.image_converter import ImageConverter\n\napp = FastAPI()\n",
        },
        { packages: pkgs("fastapi", "uvicorn") },
      ),
      ["sh", "-c", 'exec uvicorn src.app:app --host "${HOST:-0.0.0.0}" --port "$PORT"'],
    ],
    [
      "Flask in src/app.py with gunicorn (--pythonpath)",
      input({ "src/app.py": "app = Flask(__name__)" }, { packages: pkgs("flask", "gunicorn") }),
      ["sh", "-c", 'exec gunicorn --pythonpath src --bind "${HOST:-0.0.0.0}:$PORT" app:app'],
    ],
    [
      "Flask in src/app.py with waitress added (PYTHONPATH)",
      input({ "src/app.py": "app = Flask(__name__)" }, { packages: pkgs("flask") }),
      [
        "sh",
        "-c",
        'PYTHONPATH="src${PYTHONPATH:+:$PYTHONPATH}" exec python -m waitress --listen="${HOST:-0.0.0.0}:$PORT" app:app',
      ],
      "waitress",
    ],
    [
      "Flask with gunicorn",
      input({ "app.py": "from flask import Flask\napp = Flask(__name__)\n" }, { packages: pkgs("flask", "gunicorn") }),
      ["sh", "-c", 'exec gunicorn --bind "${HOST:-0.0.0.0}:$PORT" app:app'],
    ],
    [
      "Flask with waitress as a dependency",
      input({ "wsgi.py": "application = flask.Flask(__name__)" }, { packages: pkgs("flask", "waitress") }),
      ["sh", "-c", 'exec waitress-serve --listen="${HOST:-0.0.0.0}:$PORT" wsgi:application'],
    ],
    [
      "Flask with no server adds waitress",
      input({ "server.py": "app = Flask(__name__)" }, { packages: pkgs("flask") }),
      ["sh", "-c", 'exec python -m waitress --listen="${HOST:-0.0.0.0}:$PORT" server:app'],
      "waitress",
    ],
    [
      "a Streamlit app.py, streamlit installed",
      input(
        { "app.py": "import pandas as pd\nimport streamlit as st\n\nst.title('hi')\n" },
        { packages: pkgs("streamlit") },
      ),
      [
        "sh",
        "-c",
        'exec streamlit run app.py --server.port "$PORT" --server.address "${HOST:-0.0.0.0}" --server.headless true',
      ],
    ],
    [
      "streamlit_app.py (Streamlit's default name) before a main.py helper",
      input(
        { "main.py": "def helper(): ...\n", "streamlit_app.py": "from streamlit import title\ntitle('hi')\n" },
        { packages: pkgs("streamlit") },
      ),
      [
        "sh",
        "-c",
        'exec streamlit run streamlit_app.py --server.port "$PORT" --server.address "${HOST:-0.0.0.0}" --server.headless true',
      ],
    ],
    [
      "a script importing streamlit that is not installed stays python <file>",
      input({ "app.py": "import streamlit as st\n" }),
      ["python", "app.py"],
    ],
    ["a lone main.py", input({ "main.py": "print('hi')" }), ["python", "main.py"]],
    ["a lone server.py", input({ "server.py": "import http.server" }), ["python", "server.py"]],
  ])("%s", (_name, inputs, command, needs) => {
    const r = inferStartCommand(inputs);
    expect("command" in r ? r.command : r.none).toEqual(command);
    if ("command" in r) expect(r.needs).toBe(needs);
  });

  test.each([
    [
      {},
      /^No start command: no app object \(app = Flask\(…\), FastAPI\(…\), …\) in main.py, app.py, server.py, wsgi.py or the other files looked at; add a Procfile/,
    ],
    [{ "main.py": "", "app.py": "" }, /^No start command \(found main.py, app.py: which one\?\)/],
    [
      { "manage.py": "print(1)" },
      /^No start command: manage\.py names no settings module .* \("web: gunicorn <project>\.wsgi"\)/,
    ],
  ])("no command for %o says how to set one", (files, message) => {
    const r = inferStartCommand(input(files));
    expect("none" in r ? r.none : r.command.join(" ")).toMatch(message);
  });

  test.each([
    [
      "from litestar import Litestar\napp = Litestar(route_handlers=[hello])",
      { name: "app", framework: "Litestar", kind: "asgi" },
    ],
    ["app = quart.Quart(__name__)", { name: "app", framework: "Quart", kind: "asgi" }],
    ["application = bottle.Bottle()", { name: "application", framework: "Bottle", kind: "wsgi" }],
    ["app = falcon.App()", { name: "app", framework: "Falcon", kind: "wsgi" }],
    ["app = falcon.asgi.App()", { name: "app", framework: "Falcon", kind: "asgi" }],
    // Dash is served through its Flask server, which the file names.
    ["app = Dash(__name__)\nserver = app.server\n", { name: "server", framework: "Dash", kind: "wsgi" }],
    ["app = dash.Dash(__name__)\n", undefined],
    ["app = App()", undefined],
  ])("the app object of %j", (text, expected) => {
    expect(appObject(text)).toEqual(expected);
  });

  test("a commented-out or indented app object is not the app", () => {
    expect(appObject("# app = Flask(__name__)\n")).toBeUndefined();
    expect(appObject("def f():\n    app = Flask(__name__)\n")).toBeUndefined();
    expect(appObject("application = Flask(__name__)")).toEqual({
      name: "application",
      framework: "Flask",
      kind: "wsgi",
    });
  });

  test("with no start file, one other top-level script is named in the hint (a Tornado helloworld.py)", () => {
    const r = inferStartCommand(input({}, { topLevelPy: ["helloworld.py", "setup.py"] }));
    expect(r).toEqual({
      none: 'No start command: add a Procfile ("web: python helloworld.py") or set BP_PYTHON_ENTRYPOINT="python helloworld.py" if helloworld.py serves the app on $PORT',
    });
    // Two candidates: the general hint.
    expect(inferStartCommand(input({}, { topLevelPy: ["a.py", "b.py"] }))).toMatchObject({
      none: expect.stringContaining(
        'add a Procfile ("web: gunicorn <module>:<app>", with gunicorn among the dependencies)',
      ),
    });
  });

  // aio-libs/aiohttp-demos demos/chat: setup.py, and aiohttpdemo_chat/main.py run as a script.
  test("with no start file, one package module run as a script is named in the hint", () => {
    const main =
      "from aiohttp import web\n\ndef main():\n    web.run_app(init_app())\n\n\nif __name__ == '__main__':\n    main()\n";
    const r = inferStartCommand(input({ "aiohttpdemo_chat/main.py": main }, { topLevelPy: ["setup.py"] }));
    expect(r).toEqual({
      none: 'No start command: add a Procfile ("web: python -m aiohttpdemo_chat.main") or set BP_PYTHON_ENTRYPOINT="python -m aiohttpdemo_chat.main" if aiohttpdemo_chat.main serves the app on $PORT',
    });
    // A module that is not run as a script: the general hint.
    expect(inferStartCommand(input({ "pkg/main.py": "def main():\n    pass\n" }))).toMatchObject({
      none: expect.stringContaining('add a Procfile ("web: gunicorn <module>:<app>"'),
    });
  });

  test("Vercel's layout: a Flask app in api/index.py is served from the app dir", () => {
    const r = inferStartCommand(
      input(
        { "api/index.py": "from flask import Flask\napp = Flask(__name__)\n" },
        { packages: pkgs("flask", "gunicorn") },
      ),
    );
    expect(r).toMatchObject({
      command: ["sh", "-c", 'exec gunicorn --bind "${HOST:-0.0.0.0}:$PORT" api.index:app'],
      reason: "Flask app in api/index.py; gunicorn is a dependency",
    });
  });

  test("a framework app wins over a console script, which becomes a process named after it", () => {
    // saadfrhan/fastapi-poetry-helloworld's shape: start() runs uvicorn on port 8000 with reload.
    const r = inferStartCommand(
      input(
        {
          "pkg/main.py":
            "from fastapi import FastAPI\napp = FastAPI()\n\ndef start():\n    uvicorn.run('pkg.main:app', port=8000)\n",
        },
        { projectName: "pkg", scripts: ["start"], packages: pkgs("fastapi", "uvicorn") },
      ),
    );
    expect(r).toEqual({
      command: ["sh", "-c", 'exec uvicorn pkg.main:app --host "${HOST:-0.0.0.0}" --port "$PORT"'],
      reason:
        'FastAPI app in pkg/main.py; uvicorn is a dependency; the console script "start" is process "start", not web',
      others: [{ type: "start", command: ["start"] }],
    });
    // With no app found, the script runs as before.
    expect(inferStartCommand(input({ "main.py": "" }, { projectName: "x", scripts: ["serve"] }))).toMatchObject({
      command: ["serve"],
    });
  });

  test.each<[string, Record<string, string>, string[], string, string | undefined]>([
    [
      "a Bottle object in the package, gunicorn a dependency",
      { "hello/server.py": "import bottle\napp = bottle.Bottle()\n" },
      ["bottle", "gunicorn"],
      'exec gunicorn --bind "${HOST:-0.0.0.0}:$PORT" hello.server:app',
      undefined,
    ],
    [
      "a FastAPI object under src/, no server: uvicorn added",
      { "src/hello/server.py": "from fastapi import FastAPI\napp = FastAPI()\n" },
      ["fastapi"],
      'exec python -m uvicorn hello.server:app --app-dir src --host "${HOST:-0.0.0.0}" --port "$PORT"',
      "uvicorn",
    ],
  ])("a console script whose target is an app object is served: %s", (_name, files, packages, command, needs) => {
    const r = inferStartCommand(
      input(files, {
        projectName: "hello",
        scripts: ["migrate", "start"],
        scriptTargets: new Map([
          ["start", "hello.server:app"],
          ["migrate", "hello.db:migrate"],
        ]),
        packages: pkgs(...packages),
      }),
    );
    expect(r).toMatchObject({ command: ["sh", "-c", command], others: [{ type: "migrate", command: ["migrate"] }] });
    expect("reason" in r && r.reason).toMatch(/app hello\.server:app, the console script "start"/);
    expect("needs" in r ? r.needs : undefined).toBe(needs);
  });

  describe("scripts the install did not put on PATH (Poetry package-mode = false)", () => {
    const why = "Poetry installs no scripts with package-mode = false";
    const run = (target: string) => [
      "python",
      "-c",
      `import sys; from ${target.replace(":", " import ")}; sys.exit(${target.split(":")[1]}())`,
    ];

    test("the only script runs its entry point with python -c, as web, the reason naming it and why", () => {
      const r = inferStartCommand(
        input(
          { "app/main.py": "def run():\n    serve()\n" },
          {
            projectName: "svc",
            scriptTargets: new Map([["serve", "app.main:run"]]),
            uninstalled: { scripts: ["serve"], why },
          },
        ),
      );
      expect(r).toEqual({
        command: run("app.main:run"),
        reason: `the project's console script "serve" (app.main:run, run by python -c: ${why})`,
      });
    });

    test("of several, the one named start is web; the others are processes running their entry points", () => {
      const r = inferStartCommand(
        input(
          { "svc/cli.py": "def main():\n    pass\n", "svc/db.py": "def migrate():\n    pass\n" },
          {
            projectName: "svc",
            scriptTargets: new Map([
              ["start", "svc.cli:main"],
              ["migrate", "svc.db:migrate"],
            ]),
            uninstalled: { scripts: ["migrate", "start"], why },
          },
        ),
      );
      expect(r).toMatchObject({
        command: run("svc.cli:main"),
        others: [
          { type: "migrate", command: run("svc.db:migrate"), reason: `svc.db:migrate, run by python -c: ${why}` },
        ],
      });
    });

    test("a target that is an app object is served, as an installed script's is", () => {
      const r = inferStartCommand(
        input(
          { "pkg/server.py": "from flask import Flask\napp = Flask(__name__)\n" },
          {
            packages: pkgs("flask", "gunicorn"),
            scriptTargets: new Map([["start", "pkg.server:app"]]),
            uninstalled: { scripts: ["start"], why },
          },
        ),
      );
      expect(r).toMatchObject({
        command: ["sh", "-c", 'exec gunicorn --bind "${HOST:-0.0.0.0}:$PORT" pkg.server:app'],
      });
    });

    test("a script whose module is not in the app is left out: no start command from it", () => {
      const r = inferStartCommand(
        input(
          {},
          { scriptTargets: new Map([["serve", "elsewhere.main:run"]]), uninstalled: { scripts: ["serve"], why } },
        ),
      );
      expect(r).toHaveProperty("none");
    });
  });

  test("of several installed scripts none named like the project, start is web", () => {
    const r = inferStartCommand(input({}, { projectName: "x", scripts: ["migrate", "serve", "start"] }));
    expect(r).toMatchObject({ command: ["start"], others: [{ type: "migrate" }, { type: "serve" }] });
  });

  test("a script whose target is a function, the only entry point, is web; its module is not an app", () => {
    const r = inferStartCommand(
      input(
        { "hello/cli.py": "def main():\n    serve()\n" },
        { projectName: "hello", scripts: ["hello"], scriptTargets: new Map([["hello", "hello.cli:main"]]) },
      ),
    );
    expect(r).toEqual({ command: ["hello"], reason: 'the project\'s console script "hello"' });
  });

  test.each<[string, string, string, string | undefined]>([
    [
      "a plain WSGI function: waitress added",
      "def application(environ, start_response):\n    start_response('200 OK', [])\n    return [b'hi']\n",
      'exec python -m waitress --listen="${HOST:-0.0.0.0}:$PORT" main:application',
      "waitress",
    ],
    [
      "a plain ASGI function: uvicorn added",
      "async def app(scope, receive, send):\n    pass\n",
      'exec python -m uvicorn main:app --host "${HOST:-0.0.0.0}" --port "$PORT"',
      "uvicorn",
    ],
  ])("a module exposing an app with no framework is served, not run: %s", (_name, main, command, needs) => {
    const r = inferStartCommand(input({ "main.py": main }));
    expect(r).toMatchObject({ command: ["sh", "-c", command], needs });
  });

  test("the Django reason names the settings file that sets WSGI_APPLICATION, not the one manage.py names", () => {
    const start = inferStartCommand(
      input(
        {
          "manage.py": 'os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.production")\n',
          "config/settings/production.py": "from .base import *  # noqa\nDEBUG = False\n",
          "config/settings/base.py": 'WSGI_APPLICATION = "config.wsgi.application"\n',
        },
        { packages: pkgs("django", "gunicorn") },
      ),
    );
    expect(start).toMatchObject({
      reason: expect.stringContaining("Django project (config/settings/base.py WSGI_APPLICATION)"),
    });
  });

  test("a lone package with __main__.py runs as python -m <pkg>; two, or a main.py, do not", () => {
    expect(inferStartCommand(input({ "marvin/__init__.py": "", "marvin/__main__.py": "serve()\n" }))).toEqual({
      command: ["python", "-m", "marvin"],
      reason: "the only runnable package, marvin/__main__.py",
    });
    expect(inferStartCommand(input({ "a/__main__.py": "", "b/__main__.py": "" }))).toHaveProperty("none");
    expect(inferStartCommand(input({ "main.py": "", "a/__main__.py": "" }))).toMatchObject({
      command: ["python", "main.py"],
    });
  });

  test.each([
    ['STATIC_ROOT = BASE_DIR / "staticfiles"', true],
    ["STATIC_ROOT = None", false],
    ["# STATIC_ROOT = 'x'", false],
    ["STATIC_URL = '/static/'", false],
    ["if not DEBUG:\n    STATIC_ROOT = os.path.join(BASE_DIR, 'staticfiles')", true],
    ["if DEBUG:\n    STATIC_ROOT = None", false],
  ])("STATIC_ROOT in %s: %s", (settings, expected) => {
    expect(djangoHasStaticRoot(settings)).toBe(expected);
  });
});

test.each([
  ['os.environ.setdefault("DJANGO_SETTINGS_MODULE", "mysite.settings")', ["mysite.settings"]],
  [
    "m = 'p.prod' if X else 'p.settings'\nos.environ.setdefault('DJANGO_SETTINGS_MODULE', m)\nimport 'django.core'",
    ["p.settings", "p.prod"],
  ],
  ["print('no django here', 'a.settings')", []],
])("django settings candidates of %j", (manage, expected) => {
  expect(djangoSettingsCandidates(manage)).toEqual(expected);
});

test.each([
  ["from flask import Flask\ndef create_app(config=None, *args):\n    return Flask(__name__)", "create_app"],
  ["from flask import Flask\ndef make_app():\n    return Flask(__name__)", "make_app"],
  ["from flask import Flask\ndef create_app(config):\n    return Flask(__name__)", undefined],
  ["def create_app():\n    return Starlette()", undefined],
])("flask factory of %j", (text, expected) => {
  expect(flaskFactory(text)).toBe(expected);
});

test.each([
  ["proj.settings.dev", "proj/settings/dev.py", "from .base import *", ["proj.settings.base"]],
  [
    "proj.settings",
    "proj/settings/__init__.py",
    "from .base import *\nfrom .local import *",
    ["proj.settings.base", "proj.settings.local"],
  ],
  ["proj.settings.prod", "proj/settings/prod.py", "from ..common import *", ["proj.common"]],
  [
    "proj.settings",
    "proj/settings.py",
    "from proj.defaults import *\nfrom django.conf.global_settings import *",
    ["proj.defaults"],
  ],
  ["proj.settings", "proj/settings.py", "from .base import DEBUG", []],
])("star imports of %s (%s)", (module, file, text, expected) => {
  expect(starImports(module, file, text)).toEqual(expected);
});

describe("an app object in another top-level module", () => {
  const flask = "from flask import Flask\napp = Flask(__name__)\n";
  const gunicorn = (target: string) => ["sh", "-c", `exec gunicorn --bind "\${HOST:-0.0.0.0}:$PORT" ${target}`];
  const modules = (files: Record<string, string>) => new Map(Object.entries(files));
  const hint = (source: string, text: string) => [{ source, text }];
  test.each<[string, Partial<Omit<StartInputs, "files">> & { files?: Record<string, string> }, string[] | string]>([
    ["the only one", { modules: modules({ "hello_world.py": flask }) }, gunicorn("hello_world:app")],
    [
      "several: the one the Makefile runs",
      {
        modules: modules({ "a.py": flask, "hello_world.py": flask }),
        hints: hint("Makefile", "run:\n\tgunicorn hello_world:app -w 2\n"),
      },
      gunicorn("hello_world:app"),
    ],
    [
      "several: the one a Dockerfile CMD runs with python",
      { modules: modules({ "a.py": flask, "b.py": flask }), hints: hint("Dockerfile", 'CMD ["python", "b.py"]\n') },
      gunicorn("b:app"),
    ],
    [
      "several: the one a README's FLASK_APP names",
      { modules: modules({ "a.py": flask, "b.py": flask }), hints: hint("README.md", "FLASK_APP=b flask run\n") },
      gunicorn("b:app"),
    ],
    [
      "several: the module of a console script's target",
      { modules: modules({ "a.py": flask, "b.py": flask }), hints: hint("console scripts", "a:main") },
      gunicorn("a:app"),
    ],
    [
      "a name that only starts like the module does not count (ab.py is not a.py)",
      { modules: modules({ "a.py": flask, "b.py": flask }), hints: hint("README.md", "python ab.py, gunicorn xa:app") },
      "app objects in several modules (a:app, b:app)",
    ],
    [
      "a known file's app still comes first when nothing names another",
      { files: { "app.py": flask }, modules: modules({ "hello_world.py": flask }) },
      gunicorn("app:app"),
    ],
    [
      "what the Makefile runs wins over a known file's app",
      {
        files: { "app.py": flask },
        modules: modules({ "hello_world.py": flask }),
        hints: hint("Makefile", "gunicorn hello_world:app"),
      },
      gunicorn("hello_world:app"),
    ],
    [
      "several and none named, but a console script: the script",
      { modules: modules({ "a.py": flask, "b.py": flask }), scripts: ["serve"] },
      ["serve"],
    ],
  ])("%s", (_name, { files = {}, ...extra }, expected) => {
    const r = inferStartCommand(input(files, { packages: pkgs("flask", "gunicorn"), ...extra }));
    if (typeof expected === "string") expect(r).toEqual({ none: expect.stringContaining(expected) });
    else expect(r).toMatchObject({ command: expected });
  });
});

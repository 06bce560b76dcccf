import type { DetectContext, DetectResult } from "@cnbkit/framework";
import { removeTempDirs, runDetect } from "@cnbkit/framework/testing";
import { afterAll, expect, test } from "vitest";
import { inferStartCommand } from "../start-command.js";
import { type Project, readProject } from "./read-project.js";

afterAll(removeTempDirs);

/** readProject of `files`, read through a detect context as the build reads them. */
async function project(files: Record<string, string>): Promise<Project> {
  let read: Project | undefined;
  const probe = {
    async detect(ctx: DetectContext<unknown>): Promise<DetectResult> {
      read = await readProject(ctx.app);
      return ctx.fail("probe");
    },
    build: () => undefined,
  };
  await runDetect(probe, { app: files });
  return read!;
}

test("a package's own app.py is scanned: page_analyzer/app.py, re-exported by its __init__.py (Hexlet's layout)", async () => {
  const p = await project({
    "pyproject.toml": '[tool.poetry]\nname = "hexlet-code"\n',
    "page_analyzer/__init__.py": "from page_analyzer.app import app  # noqa: F401\n",
    "page_analyzer/app.py": "from flask import Flask\n\napp = Flask(__name__)\n",
    "tests/app.py": "app = Flask(__name__)\n",
  });
  expect([...p.scan.keys()]).toEqual(["page_analyzer/app.py", "page_analyzer/__init__.py"]);
  const start = inferStartCommand({ scripts: [], packages: new Set(["flask", "gunicorn"]), files: p.scan });
  expect(start).toMatchObject({
    command: ["sh", "-c", 'exec gunicorn --bind "${HOST:-0.0.0.0}:$PORT" page_analyzer.app:app'],
  });
});

test("a top-level main.py still comes before a package's", async () => {
  const p = await project({
    "main.py": "from fastapi import FastAPI\napp = FastAPI()\n",
    "svc/main.py": "from fastapi import FastAPI\napp = FastAPI()\n",
  });
  expect([...p.scan.keys()]).toEqual(["main.py", "svc/main.py"]);
});

// The outside Flask app: app = Flask(__name__) in hello_world.py, which its Makefile runs as
// `gunicorn hello_world:app`. Before, only main.py, app.py, server.py, wsgi.py, ... were read:
// "no app object in main.py, app.py, server.py, wsgi.py or the other files looked at".
test("an app object in any top-level module is served: hello_world.py, as its Makefile runs it", async () => {
  const p = await project({
    "requirements.txt": "flask\ngunicorn\n",
    Makefile: "run:\n\tgunicorn hello_world:app\n",
    "hello_world.py": "from flask import Flask\napp = Flask(__name__)\n\n@app.route('/')\ndef hi():\n    return 'hi'\n",
    "test_hello_world.py": "from flask import Flask\nclient_app = Flask(__name__)\n",
    "setup.py": "from setuptools import setup\nsetup()\n",
  });
  expect([...p.modules.keys()]).toEqual(["hello_world.py"]);
  expect(p.hints.map((h) => h.source)).toEqual(["Makefile"]);
  const start = inferStartCommand({
    scripts: [],
    packages: new Set(["flask", "gunicorn"]),
    files: p.scan,
    modules: p.modules,
    hints: p.hints,
  });
  expect(start).toMatchObject({
    command: ["sh", "-c", 'exec gunicorn --bind "${HOST:-0.0.0.0}:$PORT" hello_world:app'],
    reason: "Flask app in hello_world.py; gunicorn is a dependency",
  });
});

test("two modules with app objects: the one the README names, else an error listing both", async () => {
  const files = {
    "requirements.txt": "fastapi\nuvicorn\n",
    "api_v1.py": "from fastapi import FastAPI\napp = FastAPI()\n",
    "api_v2.py": "from fastapi import FastAPI\napp = FastAPI()\n",
  };
  const start = (p: Project) =>
    inferStartCommand({
      scripts: [],
      packages: new Set(["fastapi", "uvicorn"]),
      files: p.scan,
      modules: p.modules,
      hints: p.hints,
    });
  const named = await project({ ...files, "README.md": "# API\n\nRun `uvicorn api_v2:app --reload`.\n" });
  expect(start(named)).toMatchObject({
    command: ["sh", "-c", 'exec uvicorn api_v2:app --host "${HOST:-0.0.0.0}" --port "$PORT"'],
    reason: "FastAPI app in api_v2.py (api_v2:app, as the app's README.md names it); uvicorn is a dependency",
  });
  expect(start(await project(files))).toEqual({
    none: 'No start command: app objects in several modules (api_v1:app, api_v2:app) and no Makefile, Dockerfile, README or console script names one; add a Procfile ("web: gunicorn api_v1:app", with the one to serve) or set BP_PYTHON_ENTRYPOINT',
  });
});

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

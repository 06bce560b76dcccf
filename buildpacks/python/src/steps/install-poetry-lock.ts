/**
 * Part of the dependencies step: a poetry.lock installed without Poetry's resolver or its
 * JSON API calls ({@link exportPoetryLock} says why): the lock's main dependencies, exported
 * for this CPython and platform with every file's hash, installed by uv with
 * `--require-hashes --no-deps`, then the project itself (editable, as Poetry installs it) when
 * it is a package. Whether the lock is in sync with pyproject.toml is Poetry's content-hash,
 * computed here; when it differs, `poetry check --lock` has the last word (as Pipenv's verify
 * does for Pipfile.lock), since this reading of the TOML might serialise a value differently.
 * Returns false when the lock holds what uv cannot install by hash (a git or path
 * dependency): Poetry installs it then.
 */
import { existsSync } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type StepContext, type ToolEnv, withChanges } from "@cnbkit/framework";
import { linuxCpython } from "../markers.js";
import {
  exportPoetryLock,
  type PoetryLock,
  type PoetryPyproject,
  poetryContentHashes,
  poetryRoot,
} from "../poetry-export.js";
import { runTool } from "@cnbkit/framework/process";
import { explainPythonTool } from "../tool-errors.js";
import type { Runtime } from "./install-runtime.js";
import type { Tool } from "./install-tools.js";
import type { Project } from "./read-project.js";
import type { ToolCaches } from "./tool-environment.js";

/** What the install reads. */
export interface PoetryLockInputs {
  ctx: StepContext<"app" | "log" | "target">;
  project: Project;
  runtime: Runtime;
  /** The venv being filled. */
  venv: string;
  /** The tools' environment, with the venv's (VIRTUAL_ENV, PATH). */
  env: ToolEnv;
  caches: ToolCaches;
  /** uv, installed on first use. */
  uv(): Promise<Tool>;
  /** Poetry, installed only when the content-hash differs (its check has the last word). */
  poetry(): Promise<Tool>;
  /** A lock Poetry made in this build (lock-poetry.ts): in sync by construction, so not checked. */
  lock?: PoetryLock;
}

/** Installs poetry.lock by hash; false when it holds a dependency only Poetry can install. */
export async function installPoetryLock(i: PoetryLockInputs): Promise<boolean> {
  const { ctx, runtime } = i;
  const lock = i.lock ?? (await ctx.app.readToml<PoetryLock>("poetry.lock"));
  const pyproject = (i.project.pyproject ?? {}) as PoetryPyproject;
  const exported = exportPoetryLock(lock, pyproject, linuxCpython(runtime.version, ctx.target.arch));
  if ("unsupported" in exported) {
    ctx.log.detail(`Installing with Poetry: ${exported.unsupported}`);
    return false;
  }
  const app = ctx.app.path;
  const recorded = lock.metadata?.["content-hash"];
  if (!i.lock && recorded && !poetryContentHashes(pyproject).includes(recorded)) {
    ctx.log.detail("poetry.lock's content-hash differs from pyproject.toml's: asking Poetry (poetry check --lock)");
    const poetry = await i.poetry();
    await runTool([join(poetry.bin, "poetry"), "check", "--lock"], {
      explain: explainPythonTool,
      cwd: app,
      env: i.env,
      log: ctx.log,
      where: "poetry.lock",
      quiet: true,
    });
  }
  const uv = await i.uv();
  const env = withChanges(i.env, {
    // UV_PYTHON names our CPython for uv sync; uv pip must install into the venv instead.
    set: {
      UV_PYTHON: join(i.venv, "bin", "python"),
      ...(exported.indexes.length > 0
        ? { UV_EXTRA_INDEX_URL: exported.indexes.map((x) => indexUrl(x, i.env)).join(" ") }
        : {}),
    },
  });
  ctx.log.detail(
    `Exported poetry.lock's main dependencies for CPython ${runtime.version} on linux/${ctx.target.arch}: ${exported.count} distributions, each with its files' hashes`,
  );
  for (const index of exported.indexes) ctx.log.detail(`Index: ${index.url} (poetry.lock source "${index.name}")`);
  const dir = await mkdtemp(join(tmpdir(), "cnbkit-poetry-export-"));
  try {
    const file = join(dir, "requirements.txt");
    await writeFile(file, exported.text);
    const install = ["pip", "install", "--require-hashes", "--no-deps", "--compile-bytecode"];
    ctx.log.detail(`Running uv ${install.join(" ")} -r <the export>`);
    await i.caches.open();
    await runTool([join(uv.bin, "uv"), ...install, "-r", file], {
      explain: explainPythonTool,
      cwd: app,
      env,
      log: ctx.log,
      where: "poetry.lock",
    });
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
  const root = poetryRoot(pyproject, i.project.scripts.length > 0, (p) => existsSync(join(app, p)));
  if (!root.install && root.reason === "missing") {
    ctx.log.warn(
      `pyproject.toml [tool.poetry] packages names ${root.missing.join(", ")}, which the app does not have: the project itself is not installed, as Poetry 1 did (Poetry 2 fails). Set package-mode = false if the app is not a package, or fix packages.`,
    );
  }
  if (root.install) {
    const editable = ["pip", "install", "--no-deps", "--compile-bytecode", "-e", "."];
    ctx.log.detail(`Running uv ${editable.join(" ")} (the project is a package, as poetry install installs it)`);
    await runTool([join(uv.bin, "uv"), ...editable], {
      explain: explainPythonTool,
      cwd: app,
      env,
      log: ctx.log,
      where: "pyproject.toml",
    });
  }
  return true;
}

/**
 * A lock source's URL with the credentials Poetry would use for it
 * (`POETRY_HTTP_BASIC_<SOURCE>_USERNAME` / `_PASSWORD`); passed in the environment, never logged.
 */
function indexUrl(index: { name: string; url: string }, env: ToolEnv): string {
  const key = index.name.toUpperCase().replace(/[^A-Z0-9]+/g, "_");
  const user = env[`POETRY_HTTP_BASIC_${key}_USERNAME`];
  if (!user) return index.url;
  const url = new URL(index.url);
  url.username = user;
  url.password = env[`POETRY_HTTP_BASIC_${key}_PASSWORD`] ?? "";
  return url.toString();
}

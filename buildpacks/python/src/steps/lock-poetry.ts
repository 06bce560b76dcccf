/**
 * Part of the dependencies step: a Poetry project without a poetry.lock is locked by Poetry
 * during the build, through the build's index as a simple-API source ({@link lockSource} says
 * why), and the lock is then installed as a committed one is (install-poetry-lock.ts): what
 * Poetry resolved, by hash.
 *
 * Poetry locks in the app's own directory, where path dependencies and the project's files are
 * where pyproject.toml says, with a pyproject.toml that has the source added; the app's own
 * pyproject.toml is put back and the generated poetry.lock removed when the install is done
 * ({@link PoetryLockRun.restore}), failed or not, so the app image holds the files the app
 * came with. A lock left there would name a source the image's pyproject.toml does not have.
 */
import { readFile, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { type StepContext, type ToolEnv, withChanges } from "@cnbkit/framework";
import { stringifyToml, type TomlTable } from "@cnbkit/framework/cnb-files";
import { runTool } from "@cnbkit/framework/process";
import type { PoetryLock } from "../poetry-export.js";
import { lockSource, type SourcePyproject } from "../poetry-source.js";
import { explainPythonTool } from "../tool-errors.js";
import type { Tool } from "./install-tools.js";

/** What the lock reads. */
export interface LockPoetryInputs {
  ctx: StepContext<"app" | "log">;
  /** The tools' environment. */
  env: ToolEnv;
  poetry: Tool;
}

/** A lock made for this build. */
export interface PoetryLockRun {
  /** The generated poetry.lock. */
  lock: PoetryLock;
  /** The tools' environment with the index's credentials for Poetry. */
  env: ToolEnv;
  /** Puts the app's pyproject.toml back and removes the generated poetry.lock. */
  restore(): Promise<void>;
}

/** Runs `poetry lock` through the build's index; call {@link PoetryLockRun.restore} when the install is done. */
export async function lockPoetry(i: LockPoetryInputs): Promise<PoetryLockRun> {
  const { ctx } = i;
  const app = ctx.app.path;
  const pyprojectPath = join(app, "pyproject.toml");
  const lockPath = join(app, "poetry.lock");
  const original = await readFile(pyprojectPath);
  const source = lockSource(await ctx.app.readToml<SourcePyproject>("pyproject.toml"), i.env);
  const env = withChanges(i.env, { set: source.env });
  const restore = async () => {
    await writeFile(pyprojectPath, original);
    await rm(lockPath, { force: true });
  };
  ctx.log.detail(
    source.index
      ? `Locking with Poetry through ${source.index} (${source.from}) as a simple-API source: Poetry's PyPI source reads a JSON API that mirrors often lack`
      : `Locking with Poetry through ${source.from}`,
  );
  try {
    if (source.index) await writeFile(pyprojectPath, stringifyToml(source.pyproject as TomlTable));
    await runTool([join(i.poetry.bin, "poetry"), "lock"], {
      explain: explainPythonTool,
      cwd: app,
      env,
      log: ctx.log,
      where: "pyproject.toml",
    });
    const lock = await ctx.app.readToml<PoetryLock>("poetry.lock");
    return { lock, env, restore };
  } catch (e) {
    await restore();
    throw e;
  }
}

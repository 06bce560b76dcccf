/**
 * Step, before CPython installs: when the venv will be (re)built, start unpacking the verified
 * wheels its install needs, so that they unpack beside CPython instead of after it: the
 * package manager's own when its layer is made from its wheel (uv, pip; also pip for Poetry
 * and Pipenv, which pip installs; uv for a poetry.lock, which it installs), and setuptools for a pip or Pipenv venv on CPython < 3.12.
 * A reused venv needs none of them, and nothing starts. Their log lines appear in the step
 * that takes them, as if they had run there ({@link Wheels}).
 */
import type { Settings, StepContext } from "@cnbkit/framework";
import type { ManagerChoice } from "../package-manager.js";
import { requiresPoetry } from "../poetry-version.js";
import type { Wheels } from "../wheel.js";
import { wantsSetuptools } from "./add-setuptools.js";
import { venvKey, venvTypes } from "./install-dependencies.js";
import type { RuntimeChoice } from "./install-runtime.js";
import { prefetchToolWheel, type ToolContext, versionOf } from "./install-tools.js";
import type { Project } from "./read-project.js";

/** What the step reads. */
export interface PrefetchInputs {
  ctx: ToolContext & StepContext<"app">;
  settings: Settings;
  project: Project;
  manager: ManagerChoice;
  python: RuntimeChoice;
  /** The venv is needed at build time too (its layer's types depend on it). */
  atBuild: boolean;
  wheels: Wheels;
}

/** Starts the unpacks a venv rebuild needs; returns the ids of the wheels started. */
export async function prefetchWheels(inputs: PrefetchInputs): Promise<string[]> {
  const { ctx, settings, manager, python, wheels } = inputs;
  const requires = manager.name === "poetry" ? requiresPoetry(inputs.project.pyproject) : undefined;
  const tool = { name: manager.name, version: versionOf(ctx, manager.name, settings, requires) };
  const key = await venvKey({ ...inputs, tool });
  if ((await ctx.layers.peek("venv", { types: venvTypes(inputs.atBuild), key })).kind === "restored") return [];
  const started: string[] = [];
  const runtime = { version: python.version };
  // uv installs a poetry.lock's export; pip installs the other tools and pip apps.
  const installer = manager.name === "uv" || manager.lockfile === "poetry.lock" ? "uv" : "pip";
  for (const name of new Set([installer, manager.name])) {
    if (await prefetchToolWheel(ctx, name, { settings, runtime, wheels })) started.push(name);
  }
  if (wantsSetuptools(manager.name, python.minor)) {
    wheels.prefetch(ctx.dependencies.resolve("setuptools"));
    started.push("setuptools");
  }
  if (started.length > 0) ctx.log.debug(`Unpacking ahead, beside CPython: ${started.join(", ")}`);
  return started;
}

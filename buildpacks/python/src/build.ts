/**
 * The build, as its steps: read the project, choose the package manager and the CPython
 * version, start unpacking the wheels a venv rebuild needs (beside CPython's install), install
 * CPython, set up the tools' environment, install the dependencies (and the package manager,
 * only when they must be installed), run Django's collectstatic, and choose the start command.
 * Each step is a module in steps/ that returns what it decided; the tool environment grows
 * only by the changes they return.
 */
import { type BuildContext, type BuildResult, readSettings, withChanges } from "@cnbkit/framework";
import { indexBindingSettings } from "./index-binding.js";
import { choosePackageManager } from "./package-manager.js";
import { requiresPoetry } from "./poetry-version.js";
import { pipRequirementFiles } from "./requirements-files.js";
import { collectStatic, wantsCollectStatic } from "./steps/collect-static.js";
import { installDependencies, type Venv } from "./steps/install-dependencies.js";
import { chooseRuntime, installRuntime, type PythonMetadata } from "./steps/install-runtime.js";
import { lazyTool } from "./steps/install-tools.js";
import { prefetchWheels } from "./steps/prefetch-wheels.js";
import { readProject } from "./steps/read-project.js";
import { startProcess } from "./steps/start-process.js";
import { toolEnvironment } from "./steps/tool-environment.js";
import { checkSettings } from "./unsafe-settings.js";
import { buildWheels } from "./wheel.js";

/** Builds a Python app. */
export async function build(ctx: BuildContext<PythonMetadata>): Promise<BuildResult> {
  const fromBindings = await indexBindingSettings(ctx.platform.bindings, readSettings(ctx));
  const settings = fromBindings.settings;
  for (const line of fromBindings.lines) ctx.log.detail(line);
  const overridden = checkSettings(settings);
  if (overridden.length > 0) {
    ctx.log.warn(`Not used from the build env: ${overridden.join(", ")} (the buildpack sets its own for its layers)`);
  }
  const project = await readProject(ctx.app);
  const pipRequirement = await pipRequirementFiles(ctx.app.path, settings.BP_PIP_REQUIREMENT);
  const manager = choosePackageManager(project.files, project.pyproject, pipRequirement, project.notAPackage);
  // Python runs at build whatever happens only for collectstatic or a later buildpack.
  const atBuild = wantsCollectStatic(project, settings) || ctx.plan.resolve("cpython")?.build === true;
  const python = await chooseRuntime(ctx, settings, project, manager);
  const wheels = buildWheels(ctx);
  try {
    if (manager) await prefetchWheels({ ctx, settings, project, manager, python, atBuild, wheels });
    const runtime = await installRuntime(ctx, python, atBuild);
    const toolEnv = await toolEnvironment(ctx, settings);
    const { caches } = toolEnv;
    const env = withChanges(settings, runtime.env, toolEnv.change);
    // Tools are installed on first use: a reused venv needs none of them.
    const toolInputs = { settings, runtime, env, caches, wheels };
    const pipTool = lazyTool(ctx, "pip", toolInputs);
    const pip = pipTool.get;
    const tools = [pipTool];
    let venv: Venv | undefined;
    if (manager) {
      // Poetry's version answers the project's requires-poetry (poetry-version.ts).
      const requires = manager.name === "poetry" ? requiresPoetry(project.pyproject) : undefined;
      const tool = manager.name === "pip" ? pipTool : lazyTool(ctx, manager.name, { ...toolInputs, pip, requires });
      if (tool !== pipTool) tools.push(tool);
      // uv installs a poetry.lock's export (see install-poetry-lock.ts).
      const uvTool = manager.name === "uv" ? tool : lazyTool(ctx, "uv", { ...toolInputs, pip });
      if (manager.name === "poetry") tools.push(uvTool);
      const uv = uvTool.get;
      venv = await installDependencies({ ctx, project, manager, runtime, tool, uv, pip, env, caches, atBuild, wheels });
    } else {
      ctx.log.step("Dependencies");
      ctx.log.detail(
        project.pyproject?.project !== undefined
          ? "None declared (pyproject.toml [project] lists no dependencies)"
          : "None declared (no requirements.txt, pyproject.toml, setup.py, Pipfile or lockfile)",
      );
    }
    await collectStatic(ctx, settings, project, venv, env);
    const result = await startProcess({ ctx, settings, project, runtime, venv, env, pip, caches, wheels });
    // A tool this build did not need stays cached for the build that does.
    for (const tool of tools) await tool.keep();
    await caches.close();
    return result;
  } finally {
    // What a failed build unpacked ahead and no step took is not left in the layers dir.
    await wheels.discard();
  }
}

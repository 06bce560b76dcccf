/**
 * Step: the `web` process, from {@link inferStartCommand}. With a Procfile the
 * cnbkit/procfile buildpack later in the order sets the processes, so a missing start
 * command is no warning then, and a Procfile `web` line is the start command: nothing is
 * inferred or installed for it. A server the app lacks (waitress, uvicorn) is installed into a
 * launch layer of its own, with only what the app's venv lacks, and reaches the venv's python
 * through PYTHONPATH. The project's other console scripts are processes named after them.
 * With no start command and nothing else to give one (no Procfile, no package.json for
 * cnbkit/nodejs, no other buildpack asking for cpython), the build fails: an image with no
 * process built green and started nothing.
 */
import { createHash } from "node:crypto";
import { type StepContext, type BuildResult, CnbError, type Settings, type ToolEnv } from "@cnbkit/framework";
import { inferStartCommand, type NoStartCommand, normalizeName, type StartCommand } from "../start-command.js";
import { checkStartModules, procfileCommands, warnInstallsAtStart } from "./check-start.js";
import type { Venv } from "./install-dependencies.js";
import type { ToolCaches } from "./tool-environment.js";
import type { PythonMetadata, Runtime } from "./install-runtime.js";
import { sitePackages } from "../wheel.js";
import { installTool, type Tool } from "./install-tools.js";
import type { Wheels } from "../wheel.js";
import type { Project } from "./read-project.js";

/** What the step reads. */
export interface StartInputs {
  ctx: StepContext<"app" | "buildpack" | "dependencies" | "layers" | "log" | "plan" | "target", PythonMetadata>;
  settings: Settings;
  project: Project;
  runtime: Runtime;
  venv: Venv | undefined;
  env: ToolEnv;
  /** The pip tool, installed on demand. */
  pip(): Promise<Tool>;
  /** The tools' download caches (pip installs a server with them). */
  caches: ToolCaches;
  /** Where a self-contained server's verified wheel is unpacked from (waitress). */
  wheels: Wheels;
}

/** The build's result: the `web` process, when one can be inferred. */
export async function startProcess(inputs: StartInputs): Promise<BuildResult> {
  const { ctx } = inputs;
  const start = inferStart(inputs);
  const procfile = await ctx.app.readText("Procfile", { optional: true });
  // The Procfile wins (cnbkit/procfile sets its processes), so its commands are the ones to check.
  if (procfile !== undefined) {
    if (procfileServes(inputs, procfile)) return {};
  } else if (!("none" in start)) checkInferred(inputs, start);
  if ("none" in start) return noStartCommand(ctx, start, procfile !== undefined);
  ctx.log.step("Start command");
  if (start.needs) await installServer(inputs, start.needs);
  // The command itself is in the framework's "Process types" list that follows.
  ctx.log.detail(`web: from ${start.reason}`);
  for (const p of start.others ?? []) {
    ctx.log.detail(`${p.type}: the console script "${p.type}"${p.reason ? ` (${p.reason})` : ""}`);
  }
  const others = (start.others ?? []).map((p) => ({ type: p.type, command: p.command, default: false }));
  return { processes: [{ type: "web", command: start.command, default: true }, ...others] };
}

/** The start command the project gives (start-command.ts), from what the venv installed. */
function inferStart(inputs: StartInputs): StartCommand | NoStartCommand {
  const { project, venv } = inputs;
  const installed = project.scripts.filter((s) => venv?.bin.includes(s));
  // A venv layer from a build before its bin entries were kept lists none: its scripts are
  // not known to be missing.
  const known = venv === undefined || venv.bin.length > 0;
  const uninstalled = known ? project.scripts.filter((s) => !installed.includes(s)) : [];
  return inferStartCommand({
    entrypoint: inputs.settings.BP_PYTHON_ENTRYPOINT,
    projectName: project.name,
    scripts: installed,
    uninstalled: { scripts: uninstalled, why: whyNotInstalled(project) },
    packages: new Set((venv?.distributions ?? []).map((d) => normalizeName(d.name))),
    files: project.scan,
    topLevelPy: project.topLevelPy,
    modules: project.modules,
    hints: project.hints,
    scriptTargets: project.scriptTargets,
  });
}

/**
 * Checks the Procfile's commands (installs at start, modules the venv lacks); true when its
 * `web` line is the start command, which replaces whatever this buildpack would infer:
 * saying (and installing a server for) a command that never runs only misleads.
 * BP_PYTHON_ENTRYPOINT is still set when asked for, as the user's explicit choice.
 */
function procfileServes(inputs: StartInputs, procfile: string): boolean {
  const { ctx, venv } = inputs;
  const commands = procfileCommands(procfile);
  warnInstallsAtStart(ctx, commands);
  checkStartModules(ctx, commands, venv, { servers: true });
  const web = commands.find((c) => c.where === "Procfile web");
  if (!web || inputs.settings.BP_PYTHON_ENTRYPOINT) return false;
  ctx.log.step("Start command");
  ctx.log.detail(`web: ${web.command}`);
  ctx.log.detail("(from the Procfile, which cnbkit/procfile turns into the image's processes)");
  return true;
}

/** Checks an inferred (or BP_PYTHON_ENTRYPOINT) command as the Procfile's are checked. */
function checkInferred(inputs: StartInputs, start: StartCommand): void {
  const { ctx, venv } = inputs;
  const where =
    start.reason === "BP_PYTHON_ENTRYPOINT" ? "BP_PYTHON_ENTRYPOINT" : `web (${start.reason.split(";")[0]})`;
  const command = start.command[0] === "sh" ? start.command.at(-1)!.replace(/\bexec /, "") : start.command.join(" ");
  warnInstallsAtStart(ctx, [{ where, command }]);
  // The user's own command must find its server; an inferred one uses the venv's or adds one.
  checkStartModules(ctx, [{ where, command }], venv, { servers: start.reason === "BP_PYTHON_ENTRYPOINT" });
}

/**
 * No start command: fine with a Procfile or when another buildpack of the group may give one
 * (a warning then); otherwise the build fails, since an image with no process starts nothing.
 */
async function noStartCommand(
  ctx: StartInputs["ctx"],
  start: NoStartCommand,
  hasProcfile: boolean,
): Promise<BuildResult> {
  if (hasProcfile) return {};
  // Another buildpack of the group may still give one: cnbkit/nodejs (before this one in the
  // reference builder's Node.js group) for an app with package.json, or one that asks for
  // cpython (a plan entry besides ours).
  const others = ctx.plan.entries.filter((e) => e.name === "cpython").length > 1;
  if (others || (await ctx.app.exists("package.json"))) {
    ctx.log.warn(start.none);
    return {};
  }
  const [line, fix] = start.none.split(/; (?=add a Procfile)/);
  throw new CnbError(line!, {
    hint: fix
      ? `${fix[0]!.toUpperCase()}${fix.slice(1)}.`
      : "Add a Procfile with a web line, or set BP_PYTHON_ENTRYPOINT to the command that serves the app.",
  });
}

/**
 * Installs the server the command needs into a launch layer of its own, with only what the
 * venv lacks (`alongside`: keyed on the venv's distributions), reaching the venv through
 * PYTHONPATH.
 */
async function installServer(inputs: StartInputs, needs: NonNullable<StartCommand["needs"]>): Promise<void> {
  const { ctx, venv } = inputs;
  const version = ctx.buildpack.metadata.defaultServers[needs];
  const alongside = venv && {
    site: sitePackages(venv.path, inputs.runtime.minor),
    digest: createHash("sha256")
      .update(
        venv.distributions
          .map((d) => `${normalizeName(d.name)}==${d.version}`)
          .sort()
          .join("\n"),
      )
      .digest("hex"),
  };
  const server = await installTool(ctx, needs, { ...inputs, launch: true, version, alongside });
  const site = sitePackages(server.layer.path, inputs.runtime.minor);
  server.layer.env.launch.prepend("PYTHONPATH", site, ":");
  server.layer.sbom.add({ name: needs, version: server.version, purl: `pkg:pypi/${needs}@${server.version}` });
}

/** Why the project's console scripts are not on PATH, for the log. */
function whyNotInstalled(project: Project): string {
  const poetry = project.pyproject?.tool?.poetry as { "package-mode"?: unknown } | undefined;
  if (poetry?.["package-mode"] === false) return "Poetry installs no scripts with package-mode = false";
  return "the project itself is not installed, so neither are its scripts";
}

/**
 * Step: the start commands' app modules exist. Each `web`-style command (the Procfile's lines,
 * BP_PYTHON_ENTRYPOINT, or the inferred one) that serves `<module>:<var>` or runs
 * `python <file>` must name a file or package in the app, or a top-level module installed in
 * the venv; otherwise the build stops with one line naming the command's source and the module.
 */
import { existsSync } from "node:fs";
import { isAbsolute, join, relative } from "node:path";
import { type StepContext, CnbError } from "@cnbkit/framework";
import { installsAtStart, modulePaths, startServer, startTarget } from "../start-module.js";
import type { Venv } from "./install-dependencies.js";

/** A command and where it came from ("Procfile web", "BP_PYTHON_ENTRYPOINT"). */
export interface NamedCommand {
  where: string;
  command: string;
}

/** The Procfile's processes, as `type: command` lines. */
export function procfileCommands(text: string): NamedCommand[] {
  const out: NamedCommand[] = [];
  for (const line of text.split(/\r?\n/)) {
    const m = /^([\w-]+)\s*:\s*(.+)$/.exec(line.trim());
    if (m) out.push({ where: `Procfile ${m[1]}`, command: m[2]!.trim() });
  }
  return out;
}

/**
 * Throws when a command serves a module that is neither in the app nor in the venv, or (with
 * `servers`, for commands the user wrote) runs a server the venv does not have: gunicorn
 * missing from requirements.txt built green and failed at start with "gunicorn: command not
 * found".
 */
export function checkStartModules(
  ctx: StepContext<"app" | "log">,
  commands: readonly NamedCommand[],
  venv: Venv | undefined,
  opts: { servers?: boolean } = {},
): void {
  const modules = venv?.layer.metadata.modules;
  for (const { where, command } of commands) {
    const server = opts.servers ? startServer(command) : undefined;
    if (server && !hasServer(server, venv)) {
      throw new CnbError(`${where}: "${command}" runs ${server.name}, which is not installed in the venv`, {
        hint: `Add ${server.name === "waitress-serve" ? "waitress" : server.name} to the app's dependencies (requirements.txt, pyproject.toml or the lockfile).`,
      });
    }
    const target = startTarget(command);
    if (!target) continue;
    let dir = target.dir;
    if (isAbsolute(dir)) {
      const rel = relative(ctx.app.path, dir);
      if (rel.startsWith("..")) continue; // outside the app: not ours to check
      dir = rel;
    }
    const paths = modulePaths({ ...target, dir });
    if (paths.some((p) => existsSync(join(ctx.app.path, p)))) continue;
    const top = target.name.split(".")[0]!;
    if (target.kind === "module" && (modules === undefined || modules.includes(top))) continue;
    const what = target.kind === "file" ? `file "${target.name}"` : `module "${target.name}"`;
    throw new CnbError(
      `${where}: "${command}" serves ${what}, which is not in the app (no ${paths.join(" or ")})${target.kind === "module" ? " nor installed in the venv" : ""}`,
      {
        hint: "Fix the module path in the command (dots for packages, e.g. mysite.wsgi:application), or add the file.",
      },
    );
  }
}

/** Whether the venv has `server` (true when its lists are unknown: a layer from an older build). */
function hasServer(server: { name: string; asModule: boolean }, venv: Venv | undefined): boolean {
  if (!venv) return false;
  const modules = venv.layer.metadata.modules;
  if (server.asModule) return modules === undefined || modules.includes(server.name);
  return venv.bin.length === 0 || venv.bin.includes(server.name);
}

/**
 * Warns about each command that runs `pip install` as it starts: the venv has no pip in the
 * image (the install fails, or reaches the network at every start, into the wrong place), and
 * this build has installed the dependencies already. A warning, not a failure: the command
 * may be one that never runs.
 */
export function warnInstallsAtStart(ctx: StepContext<"app" | "log">, commands: readonly NamedCommand[]): void {
  for (const { where, command } of commands) {
    if (!installsAtStart(command)) continue;
    ctx.log.warn(
      `${where}: "${command}" runs pip install at start, but the image's venv has no pip; this build installed the dependencies already, so take the install out of the command`,
    );
  }
}

/**
 * Step: the `web` process. Chosen after the build scripts ran, so a server.js that the
 * build wrote counts. With a Procfile, the cnbkit/procfile buildpack later in the order sets
 * the processes, so a missing start command is no warning then.
 *
 * A start script is checked against what the image will have: every command it runs must be
 * a shell builtin, a bin in node_modules/.bin after the prune, a file of the app, or on PATH
 * (Node's, the package manager's, the system's). An image whose start command cannot be
 * found is not shipped: the build fails and names the command.
 */
import { existsSync, lstatSync, readFileSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { delimiter, isAbsolute, join } from "node:path";
import { type BuildResult, CnbError, type StepContext } from "@cnbkit/framework";
import { frameworkWithoutServer } from "../framework-start.js";
import type { PackageManagerName } from "../package-manager.js";
import { inferStartCommand, type StartCommand } from "../start-command.js";
import {
  type BinsByPackage,
  binNames,
  RUNTIME_COMMANDS,
  SHELL_BUILTINS,
  type StartPlan,
  scriptCommands,
  scriptsOf,
} from "../start-tools.js";
import type { Project, ProjectDir } from "./read-project.js";

/** How the start command is checked: the PATH of the launched image, and whether bins are files at all. */
export interface StartCheck {
  /** PATH as the image will have it, less node_modules/.bin (looked up in the app). */
  path: string | undefined;
  /** Where the install put node_modules (the project's own, then the install root's). */
  project: Project;
  /** Plug'n'Play: bins resolve through .pnp.cjs, not files, so nothing is checked. */
  pnp: boolean;
}

/** The build's result: the `web` process, when one can be inferred. */
export async function startProcess(
  ctx: StepContext<"app" | "layers" | "log">,
  project: ProjectDir,
  manager: PackageManagerName,
  opts: { plan?: StartPlan; check?: StartCheck } = {},
): Promise<BuildResult> {
  let start = inferStartCommand(
    project.pkg,
    manager,
    (f) => existsSync(join(project.dir, f)),
    (f) => readText(join(project.dir, f)),
  );
  if (!start) {
    if (!existsSync(join(ctx.app.path, "Procfile"))) {
      // Said as Node's own finding: in a repo whose Node.js part only builds a frontend, a later
      // buildpack (cnbkit/python: tylerlwsmith/vite-with-flask-backend) sets the process.
      ctx.log.warn(
        frameworkWithoutServer(project.pkg ?? {}, {
          exists: (f) => existsSync(join(project.dir, f)),
          read: (f) => readText(join(project.dir, f)),
        }) ??
          'No Node.js start command (no "start" script, "main", server.js or index.js, and no framework server output such as build/index.js or .output/server/index.mjs): add a "start" script or a Procfile, unless a later buildpack sets the process',
      );
    }
    return {};
  }
  if (start.framework) {
    ctx.log.step("Start command");
    ctx.log.detail(`${start.command.join(" ")} (${start.framework}; package.json has no start script)`);
    if (start.env) {
      // A layer of its own, made fresh each build: a reused runtime layer would keep the env
      // of the build that made it.
      const layer = await ctx.layers.fresh("web_env", { types: { launch: true } });
      for (const [name, value] of Object.entries(start.env)) {
        layer.env.process("web").default(name, value);
        ctx.log.detail(`${name}=${value} for web (default), so the server listens outside the container`);
      }
    }
    return { processes: [{ type: "web", command: start.command, default: true, ...workingDirOf(project) }] };
  }
  let why = "";
  if (opts.plan?.kind === "script" && start.source === "package.json scripts.start") {
    start = { command: [manager, "run", opts.plan.script], source: `package.json scripts.${opts.plan.script}` };
    why = `, since ${opts.plan.reason}`;
  }
  ctx.log.step("Start command");
  ctx.log.detail(`${start.command.join(" ")} (from ${start.source}${start.note ? `, as ${start.note}` : ""}${why})`);
  if (opts.check && !opts.check.pnp && !existsSync(join(ctx.app.path, "Procfile")))
    checkStart(start, project, opts.check);
  return { processes: [{ type: "web", command: start.command, default: true, ...workingDirOf(project) }] };
}

/** A workspace member's process runs in its own directory. */
function workingDirOf(project: ProjectDir): { workingDir?: string } {
  return project.path !== "." ? { workingDir: project.dir } : {};
}

/** A text file's content, undefined when it cannot be read. */
function readText(path: string): string | undefined {
  try {
    return readFileSync(path, "utf8");
  } catch {
    return undefined;
  }
}

/** Fails the build when a command the start script runs will not be found in the image. */
function checkStart(start: StartCommand, project: ProjectDir, check: StartCheck): void {
  const script = /^package\.json scripts\.(.+)$/.exec(start.source)?.[1];
  if (!script) return;
  // A rebuild that reuses the modules layer from the previous image links node_modules to a
  // layer whose files are not on disk: the build that made that layer checked this start.
  if ([project.dir, check.project.install.dir].some((d) => reusedFromImage(join(d, "node_modules")))) return;
  const binDirs = [...new Set([project.dir, check.project.install.dir])].map((d) => join(d, "node_modules", ".bin"));
  const pathDirs = (check.path ?? "").split(delimiter).filter((d) => d && !d.endsWith(join("node_modules", ".bin")));
  for (const command of scriptCommands(scriptsOf(project.pkg), script)) {
    if (SHELL_BUILTINS.has(command) || RUNTIME_COMMANDS.has(command) || isAbsolute(command)) continue;
    if (command.includes("/")) {
      if (existsSync(join(project.dir, command))) continue;
    } else if ([...binDirs, ...pathDirs].some((d) => existsSync(join(d, command)))) {
      continue;
    }
    throw new CnbError(
      `package.json scripts.${script}: "${String(scriptsOf(project.pkg)[script])}" runs ${command}, which is not in node_modules/.bin or on PATH in the image`,
      {
        hint: command.includes("/")
          ? `the build did not make ${command}: add a build script that does, or start with a file the app has`
          : `add the package that provides ${command} to "dependencies" (not devDependencies), or start with "node <file>"`,
      },
    );
  }
}

/** True when `path` is a symlink whose target is missing: a modules layer reused from the previous image. */
function reusedFromImage(path: string): boolean {
  try {
    return lstatSync(path).isSymbolicLink() && !existsSync(path);
  } catch {
    return false;
  }
}

/**
 * The bins of the project's direct dependencies, read from the installed tree (the project's
 * node_modules, then the install root's), for {@link startPlan} in start-tools.ts.
 */
export async function directBins(project: Project): Promise<BinsByPackage> {
  const pkg = project.project.pkg ?? {};
  const names = ["dependencies", "optionalDependencies", "devDependencies"].flatMap((f) => {
    const d = pkg[f];
    return typeof d === "object" && d !== null ? Object.keys(d) : [];
  });
  const bins = new Map<string, string[]>();
  for (const name of new Set(names)) {
    for (const dir of new Set([project.project.dir, project.install.dir])) {
      const manifest = await readFile(join(dir, "node_modules", name, "package.json"), "utf8").catch(() => undefined);
      if (manifest === undefined) continue;
      try {
        bins.set(name, binNames(JSON.parse(manifest)));
      } catch {
        // A package.json that is not JSON provides no bins we can name.
      }
      break;
    }
  }
  return bins;
}

/**
 * Step: the `web` process. Chosen after the build scripts ran, so a server.js that the
 * build wrote counts. With a Procfile, the cnbkit/procfile buildpack later in the order sets
 * the processes, so a missing start command is no warning then.
 */
import { existsSync } from "node:fs";
import { join } from "node:path";
import type { BuildContext, BuildResult } from "@cnbkit/framework";
import type { PackageManagerName } from "../package-manager.js";
import { inferStartCommand } from "../start-command.js";
import type { NodejsMetadata } from "./install-runtime.js";
import type { ProjectDir } from "./read-project.js";

/** The build's result: the `web` process, when one can be inferred. */
export function startProcess(
  ctx: BuildContext<NodejsMetadata>,
  project: ProjectDir,
  manager: PackageManagerName,
): BuildResult {
  const start = inferStartCommand(project.pkg, manager, (f) => existsSync(join(project.dir, f)));
  if (!start) {
    if (!existsSync(join(ctx.app.path, "Procfile"))) {
      // Said as Node's own finding: in a repo whose Node.js part only builds a frontend, a later
      // buildpack (cnbkit/python: tylerlwsmith/vite-with-flask-backend) sets the process.
      ctx.log.warn(
        'No Node.js start command (no "start" script, server.js or index.js): add one or a Procfile, unless a later buildpack sets the process',
      );
    }
    return {};
  }
  ctx.log.step("Start command");
  ctx.log.detail(`${start.command.join(" ")} (from ${start.source})`);
  const workingDir = project.path !== "." ? { workingDir: project.dir } : {};
  return { processes: [{ type: "web", command: start.command, default: true, ...workingDir }] };
}

/**
 * Runs the real CNB launcher against a workspace's built layers, as an app image's
 * entrypoint would: the launcher reads `<layers>/config/metadata.toml`, applies each
 * launch layer's env, runs exec.d programs, and execs the process.
 *
 * The process type is chosen the way images do it on Platform API 0.15: the launcher is
 * invoked through a link named after the type (`/cnb/process/web`).
 */
import { spawn } from "node:child_process";
import { copyFile, mkdir, symlink } from "node:fs/promises";
import { join } from "node:path";
import {
  CNB_GID,
  CNB_UID,
  chownTree,
  lifecycleDir,
  PLATFORM_API,
  type PhaseResult,
  type Workspace,
} from "./lifecycle.js";

/** What a launched process did: exit code, stdout and stderr apart. */
export interface LaunchResult extends PhaseResult {
  stdout: string;
  stderr: string;
}

/**
 * Launches `processType` with the workspace's layers and app as the CNB user. `env` is the
 * container's environment (PATH defaults to /usr/bin:/bin).
 */
export async function launch(
  ws: Workspace,
  processType: string,
  env: Record<string, string> = {},
): Promise<LaunchResult> {
  const launcher = join(ws.lifecycle, "launcher");
  const link = join(ws.root, "process", processType);
  await mkdir(join(ws.root, "process"), { recursive: true });
  await copyFile(join(lifecycleDir(), "launcher"), launcher);
  await symlink(launcher, link).catch((err: NodeJS.ErrnoException) => {
    if (err.code !== "EEXIST") throw err;
  });
  await chownTree(ws.root);
  const child = spawn("setpriv", [`--reuid=${CNB_UID}`, `--regid=${CNB_GID}`, "--clear-groups", link], {
    cwd: ws.root,
    env: {
      PATH: "/usr/bin:/bin",
      HOME: ws.root,
      CNB_PLATFORM_API: PLATFORM_API,
      CNB_LAYERS_DIR: ws.layers,
      CNB_APP_DIR: ws.app,
      ...env,
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (d) => (stdout += d));
  child.stderr.on("data", (d) => (stderr += d));
  const code = await new Promise<number>((resolve) => child.on("close", (c) => resolve(c ?? -1)));
  return { code, output: stdout + stderr, stdout, stderr };
}

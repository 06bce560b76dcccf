/**
 * Runs the real CNB lifecycle's detector and builder on the host, as the tests' non-root
 * user (they refuse root), against directories a test prepares.
 *
 * The lifecycle is the one scripts/setup.sh builds with Go into
 * ~/.cache/cnbkit/lifecycle/<version>. It is copied into each suite's temp dir so uid 1000
 * can execute it wherever the cache lives.
 */
import { spawn } from "node:child_process";
import { chown, copyFile, mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from "node:fs/promises";
import { homedir, tmpdir } from "node:os";
import { join } from "node:path";
import { parseToml, type TomlTable } from "@cnbkit/framework/cnb-files";
// The file, not the platform stage's index: it imports only the framework, so the suites that
// run the lifecycle do not load the whole stage to learn one constant.
import { LATEST_PLATFORM_API } from "../../builder-packager/src/platform/exec-env.js";

/** The lifecycle version the tests use (scripts/setup.sh builds it). */
export const LIFECYCLE_VERSION = process.env.CNBKIT_LIFECYCLE_VERSION ?? "0.21.17";
/** The Platform API the tests run the lifecycle at: the newest cnbkit speaks (lifecycle 0.21.17 supports it). */
export const PLATFORM_API = LATEST_PLATFORM_API;
/** The uid/gid the lifecycle runs as. */
export const CNB_UID = 1000;
export const CNB_GID = 1000;

/** Where setup.sh put the lifecycle. */
export function lifecycleDir(): string {
  const cache = process.env.CNBKIT_CACHE ?? join(homedir(), ".cache", "cnbkit");
  return join(cache, "lifecycle", LIFECYCLE_VERSION);
}

/** A scratch area laid out like a build container: app, layers, platform, buildpacks. */
export interface Workspace {
  root: string;
  app: string;
  layers: string;
  platform: string;
  buildpacks: string;
  orderPath: string;
  lifecycle: string;
  /** Removes everything. */
  cleanup(): Promise<void>;
}

/** Creates a {@link Workspace} in a fresh temp dir, with a private copy of the lifecycle. */
export async function createWorkspace(): Promise<Workspace> {
  const root = await mkdtemp(join(tmpdir(), "cnbkit-lc-"));
  const ws: Workspace = {
    root,
    app: join(root, "app"),
    layers: join(root, "layers"),
    platform: join(root, "platform"),
    buildpacks: join(root, "buildpacks"),
    orderPath: join(root, "order.toml"),
    lifecycle: join(root, "lifecycle"),
    cleanup: () => rm(root, { recursive: true, force: true }),
  };
  for (const d of [ws.app, ws.layers, join(ws.platform, "env"), ws.buildpacks, ws.lifecycle]) {
    await mkdir(d, { recursive: true });
  }
  await copyFile(join(lifecycleDir(), "lifecycle"), join(ws.lifecycle, "lifecycle"));
  return ws;
}

/** Makes every file under `dir` owned by the CNB user, as a platform would. */
export async function chownTree(dir: string): Promise<void> {
  await chown(dir, CNB_UID, CNB_GID);
  for (const e of await readdir(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) await chownTree(p);
    else await chown(p, CNB_UID, CNB_GID).catch(() => undefined);
  }
}

/** What a lifecycle phase did. */
export interface PhaseResult {
  code: number;
  output: string;
}

/**
 * Runs one lifecycle phase as the CNB user and collects its output. `phase` is the
 * multi-call binary's subcommand form ("detect", "build", ...), as in `lifecycle detect`.
 */
export async function runPhase(
  ws: Workspace,
  phase: string,
  args: string[],
  env: Record<string, string> = {},
): Promise<PhaseResult> {
  await chownTree(ws.root);
  const child = spawn(
    "setpriv",
    [`--reuid=${CNB_UID}`, `--regid=${CNB_GID}`, "--clear-groups", join(ws.lifecycle, "lifecycle"), phase, ...args],
    {
      cwd: ws.root,
      env: {
        PATH: process.env.PATH ?? "/usr/bin:/bin",
        HOME: ws.root,
        CNB_PLATFORM_API: PLATFORM_API,
        ...env,
      },
      stdio: ["ignore", "pipe", "pipe"],
    },
  );
  let output = "";
  child.stdout.on("data", (d) => (output += d));
  child.stderr.on("data", (d) => (output += d));
  const code = await new Promise<number>((resolve) => child.on("close", (c) => resolve(c ?? -1)));
  return { code, output };
}

/** Runs the detector over the workspace's order. */
export function detect(ws: Workspace, env: Record<string, string> = {}): Promise<PhaseResult> {
  return runPhase(
    ws,
    "detect",
    [
      "-app",
      ws.app,
      "-buildpacks",
      ws.buildpacks,
      "-order",
      ws.orderPath,
      "-layers",
      ws.layers,
      "-platform",
      ws.platform,
    ],
    env,
  );
}

/** Runs the builder with the group and plan the detector wrote. */
export function build(ws: Workspace, env: Record<string, string> = {}): Promise<PhaseResult> {
  return runPhase(
    ws,
    "build",
    [
      "-app",
      ws.app,
      "-buildpacks",
      ws.buildpacks,
      "-layers",
      ws.layers,
      "-platform",
      ws.platform,
      "-group",
      join(ws.layers, "group.toml"),
      "-plan",
      join(ws.layers, "plan.toml"),
    ],
    env,
  );
}

/** Reads a TOML file the lifecycle wrote (undefined when absent). */
export async function readLifecycleToml(path: string): Promise<TomlTable | undefined> {
  try {
    return parseToml(await readFile(path, "utf8"), path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw err;
  }
}

/** True when `path` exists. */
export async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  );
}

/** Writes `/order.toml` for the given groups of `id@version` entries. */
export async function writeOrder(
  ws: Workspace,
  groups: { id: string; version: string; optional?: boolean }[][],
): Promise<void> {
  const lines: string[] = [];
  for (const group of groups) {
    lines.push("[[order]]");
    for (const bp of group) {
      lines.push("[[order.group]]", `id = ${JSON.stringify(bp.id)}`, `version = ${JSON.stringify(bp.version)}`);
      if (bp.optional) lines.push("optional = true");
    }
  }
  await writeFile(ws.orderPath, `${lines.join("\n")}\n`);
}

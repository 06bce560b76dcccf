/**
 * The harness's temporary directories: each run makes its own, and all go at process exit
 * or when {@link removeTempDirs} is called. Shared by the buildpack and extension harnesses.
 */
import { rmSync } from "node:fs";
import { cp, mkdir, mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";

const created: string[] = [];
let hooked = false;

/**
 * Removes every temporary directory that runDetect, runBuild and runGenerate made in this
 * process so far. They are also removed when the process exits, but test runners that end
 * their workers with a signal (vitest's forks) never get there: call this after each test
 * file, e.g. `afterAll(removeTempDirs)` in a vitest setup file.
 */
export function removeTempDirs(): void {
  for (const d of created.splice(0)) rmSync(d, { recursive: true, force: true });
}

/** Makes a temporary directory that {@link removeTempDirs} removes. */
export async function tempDir(prefix: string): Promise<string> {
  if (!hooked) {
    hooked = true;
    process.on("exit", removeTempDirs);
  }
  const d = await mkdtemp(join(tmpdir(), `cnbkit-${prefix}-`));
  created.push(d);
  return d;
}

/** Writes a file, making its directory first. */
export async function writeText(path: string, content: string): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  await writeFile(path, content);
}

/**
 * Lays out a run's app and platform dirs under `root`: the app copied from a directory or
 * written from `{ path: content }`, and each platform env var as `platform/env/<NAME>`.
 */
export async function writeAppAndPlatform(
  root: string,
  options: { app?: Record<string, string> | string; platformEnv?: Record<string, string> },
): Promise<{ app: string; platform: string }> {
  const app = join(root, "app");
  const platform = join(root, "platform");
  await mkdir(app, { recursive: true });
  if (typeof options.app === "string") await cp(options.app, app, { recursive: true });
  else for (const [rel, content] of Object.entries(options.app ?? {})) await writeText(join(app, rel), content);
  await mkdir(join(platform, "env"), { recursive: true });
  for (const [name, value] of Object.entries(options.platformEnv ?? {}))
    await writeFile(join(platform, "env", name), value);
  return { app, platform };
}

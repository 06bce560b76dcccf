/**
 * pack, the CNB reference CLI, as the interop tests run it: v0.40.6 built from its Go module
 * by scripts/fetch-pack.sh (cached in ~/.cache/cnbkit/pack/<version>/pack), with a
 * DOCKER_CONFIG and PACK_HOME of its own and, unless a test gives it one, no Docker daemon:
 * DOCKER_HOST names a socket that does not exist, so pack reads files and registries only.
 */
import { execFile, execFileSync } from "node:child_process";
import { mkdir } from "node:fs/promises";
import { homedir } from "node:os";
import { join } from "node:path";
import { REPO_ROOT } from "../../tools/local-builder/local-node.js";

/** The pack release the tests check cnbkit's output against. */
export const PACK_VERSION = "0.40.6";

/** Where scripts/fetch-pack.sh puts pack. */
export const PACK = join(process.env.CNBKIT_CACHE ?? join(homedir(), ".cache", "cnbkit"), "pack", PACK_VERSION, "pack");

/** What a pack command gave. */
export interface PackResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Builds pack from its Go module the first time (minutes), then finds it cached. */
export function ensurePack(): void {
  execFileSync("bash", [join(REPO_ROOT, "scripts", "fetch-pack.sh")], { stdio: "inherit" });
}

/**
 * The environment pack runs in: DOCKER_CONFIG and PACK_HOME in `dir` (made here), and
 * DOCKER_HOST `dockerHost`, or by default a socket in `dir` that does not exist (no daemon).
 */
export async function packEnv(dir: string, dockerHost?: string): Promise<NodeJS.ProcessEnv> {
  await mkdir(join(dir, "docker"), { recursive: true });
  await mkdir(join(dir, "pack-home"), { recursive: true });
  return {
    ...process.env,
    DOCKER_CONFIG: join(dir, "docker"),
    PACK_HOME: join(dir, "pack-home"),
    DOCKER_HOST: dockerHost ?? `unix://${join(dir, "no-docker.sock")}`,
  };
}

/** Runs pack with `--no-color` in `env` (see {@link packEnv}); its exit code, stdout and stderr. */
export function runPack(args: string[], env: NodeJS.ProcessEnv): Promise<PackResult> {
  return new Promise((resolve) => {
    execFile(PACK, [...args, "--no-color"], { env, maxBuffer: 64 << 20 }, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === "number" ? err.code : 1) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

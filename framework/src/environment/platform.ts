/**
 * What the platform and the lifecycle hand a buildpack: directories (from CNB_* variables,
 * or the positional arguments older lifecycles pass), the platform env (`<platform>/env/`),
 * the target (CNB_TARGET_*) and the execution environment (CNB_EXEC_ENV).
 */
import { readdirNow as readdir, readFileNow as readFile } from "../fs/now.js";
import { dirname, join, resolve } from "node:path";
import { CnbError } from "../errors/index.js";

/** An environment as Node gives it: values may be undefined. */
export type Environment = Record<string, string | undefined>;

/** The image the app will run on, from CNB_TARGET_* (defaults: this machine's OS and arch). */
export interface BuildTarget {
  /** CNB_TARGET_OS, e.g. "linux". */
  os: string;
  /** CNB_TARGET_ARCH in OCI terms: "amd64", "arm64", ... */
  arch: string;
  /** CNB_TARGET_ARCH_VARIANT, e.g. "v8". */
  archVariant?: string;
  /** CNB_TARGET_DISTRO_NAME and CNB_TARGET_DISTRO_VERSION, when the platform knows them. */
  distro?: { name: string; version: string };
}

const NODE_TO_OCI_ARCH: Record<string, string> = { x64: "amd64", arm64: "arm64", arm: "arm", ia32: "386" };

/**
 * Reads the target from CNB_TARGET_*. Unset OS/arch fall back to the running machine (the
 * lifecycle sets them from the run image; tests and bare runs may not).
 */
export function readTarget(env: Environment): BuildTarget {
  const target: BuildTarget = {
    os: nonEmpty(env.CNB_TARGET_OS) ?? process.platform,
    arch: nonEmpty(env.CNB_TARGET_ARCH) ?? NODE_TO_OCI_ARCH[process.arch] ?? process.arch,
  };
  const variant = nonEmpty(env.CNB_TARGET_ARCH_VARIANT);
  if (variant) target.archVariant = variant;
  const name = nonEmpty(env.CNB_TARGET_DISTRO_NAME);
  if (name) target.distro = { name, version: nonEmpty(env.CNB_TARGET_DISTRO_VERSION) ?? "" };
  return target;
}

/** The execution environment: CNB_EXEC_ENV, "production" when unset (as the spec requires). */
export function readExecEnv(env: Environment): string {
  return nonEmpty(env.CNB_EXEC_ENV) ?? "production";
}

/**
 * Reads `<platform>/env/`: one file per variable, the file name is the name and the content
 * the value (not trimmed: the lifecycle passes contents verbatim). A missing dir is empty.
 */
export async function readPlatformEnv(platformDir: string): Promise<Record<string, string>> {
  const dir = join(platformDir, "env");
  let names: string[];
  try {
    names = await readdir(dir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return {};
    throw new CnbError(`${dir}: cannot be read: ${(err as Error).message}`, { cause: err });
  }
  const out: Record<string, string> = {};
  for (const name of names.sort()) {
    try {
      out[name] = await readFile(join(dir, name), "utf8");
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === "EISDIR") continue;
      throw err;
    }
  }
  return out;
}

/** Directories detect works with. */
export interface DetectPaths {
  /** The app source: the working directory the lifecycle starts detect in. */
  app: string;
  /** CNB_BUILDPACK_DIR, else the parent of the directory holding bin/detect. */
  buildpack: string;
  /** CNB_PLATFORM_DIR, else the first positional argument. */
  platform: string;
  /** CNB_BUILD_PLAN_PATH, else the second positional argument: where detect writes its plan. */
  plan: string;
}

/** Directories build works with. */
export interface BuildPaths {
  app: string;
  buildpack: string;
  /** CNB_LAYERS_DIR, else the first positional argument. */
  layers: string;
  /** CNB_PLATFORM_DIR, else the second positional argument. */
  platform: string;
  /** CNB_BP_PLAN_PATH, else the third positional argument: the buildpack plan to read. */
  plan: string;
}

/**
 * Resolves detect's paths from the environment, falling back to positional arguments
 * (`bin/detect <platform> <plan>`, deprecated since Buildpack API 0.8 but still passed).
 * `script` is the path of the running bin/detect, used to find the buildpack directory.
 */
export function detectPaths(
  env: Environment,
  args: readonly string[],
  script: string,
  cwd = process.cwd(),
): DetectPaths {
  return {
    app: cwd,
    buildpack: buildpackDir(env, script),
    platform: required(nonEmpty(env.CNB_PLATFORM_DIR) ?? args[0], "CNB_PLATFORM_DIR", "detect"),
    plan: required(nonEmpty(env.CNB_BUILD_PLAN_PATH) ?? args[1], "CNB_BUILD_PLAN_PATH", "detect"),
  };
}

/** Resolves build's paths (`bin/build <layers> <platform> <plan>` as the fallback). */
export function buildPaths(env: Environment, args: readonly string[], script: string, cwd = process.cwd()): BuildPaths {
  return {
    app: cwd,
    buildpack: buildpackDir(env, script),
    layers: required(nonEmpty(env.CNB_LAYERS_DIR) ?? args[0], "CNB_LAYERS_DIR", "build"),
    platform: required(nonEmpty(env.CNB_PLATFORM_DIR) ?? args[1], "CNB_PLATFORM_DIR", "build"),
    plan: required(nonEmpty(env.CNB_BP_PLAN_PATH) ?? args[2], "CNB_BP_PLAN_PATH", "build"),
  };
}

function buildpackDir(env: Environment, script: string): string {
  return nonEmpty(env.CNB_BUILDPACK_DIR) ?? dirname(dirname(resolve(script)));
}

function required(value: string | undefined, variable: string, phase: string): string {
  if (value === undefined || value === "") {
    throw new CnbError(`${phase}: ${variable} is not set and no positional argument gives it`, {
      hint: `run ${phase} through the CNB lifecycle, or set ${variable}`,
    });
  }
  return resolve(value);
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value === "" ? undefined : value;
}

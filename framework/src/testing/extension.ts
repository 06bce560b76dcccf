/**
 * The harness for image extensions: run an extension's detect and generate in-process
 * against temporary app, platform and output directories, as the lifecycle's detector and
 * generator would, and read back the Dockerfiles it wrote.
 *
 * ```ts
 * const run = await runGenerate(ext, { requires: [{ name: "jq" }] });
 * expect(run.buildDockerfile).toContain("apt-get install -y jq");
 * ```
 */
import { existsSync } from "node:fs";
import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { Require } from "../cnb-files/build-plan-types.js";
import { type BuildpackPlanEntry, stringifyBuildpackPlan } from "../cnb-files/buildpack-plan.js";
import { parseToml } from "../cnb-files/toml.js";
import type { PhaseIO } from "../contract/contract.js";
import type { ExtensionDefinition, ExtensionDetectResult, GenerateResult } from "../contract/extension-contract.js";
import { runExtensionDetectPhase, runGeneratePhase } from "../contract/extension-phases.js";
import { tempDir, writeAppAndPlatform, writeText } from "./temp-dirs.js";

/** Options of {@link runExtensionDetect} and {@link runGenerate}. */
export interface ExtensionRunOptions {
  /** App source: relative path → content, or a directory to copy. */
  app?: Record<string, string> | string;
  /** The phase's process environment (PATH and HOME are this process's unless given). */
  env?: Record<string, string>;
  /** Files of `<platform>/env/` (also set in the environment, as the lifecycle does by default). */
  platformEnv?: Record<string, string>;
  /** An extension directory whose extension.toml is used (e.g. the extension under test). */
  extensionDir?: string;
  /** extension.toml text, when there is no `extensionDir`. Default: a minimal API 0.10 descriptor. */
  extensionToml?: string;
}

/** Options of {@link runGenerate}. */
export interface GenerateRunOptions extends ExtensionRunOptions {
  /**
   * What the group's buildpacks required. Detect runs, and the plan is the entries among
   * these whose names the extension's first plan alternative provides (as the detector does).
   */
  requires?: Require[];
  /** The plan itself, instead of `requires`: detect does not run. */
  plan?: BuildpackPlanEntry[];
}

/** Result of {@link runExtensionDetect}. */
export interface ExtensionDetectRun {
  /** What detect returned. */
  result: ExtensionDetectResult;
  /** True when detect passed. */
  passed: boolean;
  /** Log lines. */
  stdout: string[];
}

/** Result of {@link runGenerate}: what `<output>` holds afterwards. */
export interface GenerateRun {
  /** What generate returned (`{}` for nothing). */
  result: GenerateResult;
  /** The buildpack plan generate was given. */
  plan: BuildpackPlanEntry[];
  /** build.Dockerfile as written, if any. */
  buildDockerfile: string | undefined;
  /** run.Dockerfile as written, if any. */
  runDockerfile: string | undefined;
  /** extend-config.toml, parsed, if written. */
  extendConfig: Record<string, unknown> | undefined;
  /** The output directory (CNB_OUTPUT_DIR). */
  output: string;
  /** Log lines. */
  stdout: string[];
}

const DEFAULT_TOML = `api = "0.10"

[extension]
id = "cnbkit/test-extension"
version = "0.0.0"
`;

interface Prepared {
  root: string;
  io: (extra: Record<string, string>) => PhaseIO;
  lines: string[];
}

async function prepare(options: ExtensionRunOptions): Promise<Prepared> {
  const root = await tempDir("ext");
  const { app, platform } = await writeAppAndPlatform(root, options);
  let dir = options.extensionDir;
  if (dir === undefined) {
    dir = join(root, "extension");
    await writeText(join(dir, "extension.toml"), options.extensionToml ?? DEFAULT_TOML);
  }
  const env: Record<string, string> = {};
  for (const k of ["PATH", "HOME"]) if (process.env[k] !== undefined) env[k] = process.env[k];
  Object.assign(env, options.env ?? {}, options.platformEnv ?? {});
  env.CNB_PLATFORM_DIR = platform;
  env.CNB_EXTENSION_DIR = dir;
  const lines: string[] = [];
  const io = (extra: Record<string, string>): PhaseIO => ({
    env: { ...env, ...extra },
    args: [],
    script: join(dir, "bin", "phase"),
    cwd: app,
    sink: (line) => lines.push(line),
  });
  return { root, io, lines };
}

/** Runs the extension's detect in-process. Errors are thrown. */
export async function runExtensionDetect(
  ext: ExtensionDefinition,
  options: ExtensionRunOptions = {},
): Promise<ExtensionDetectRun> {
  const p = await prepare(options);
  const result = await runExtensionDetectPhase(ext, p.io({ CNB_BUILD_PLAN_PATH: join(p.root, "plan.toml") }));
  return { result, passed: result.kind === "pass", stdout: p.lines };
}

/**
 * Runs generate in-process (after detect, unless `plan` is given). Errors are thrown; a
 * detect that fails is an error too.
 */
export async function runGenerate(ext: ExtensionDefinition, options: GenerateRunOptions = {}): Promise<GenerateRun> {
  let plan = options.plan;
  if (plan === undefined) {
    const detected = await runExtensionDetect(ext, options);
    if (detected.result.kind === "fail")
      throw new Error(`detect failed${detected.result.reason ? `: ${detected.result.reason}` : ""}`);
    const provided = new Set(detected.result.plans[0]?.provides.map((p) => p.name));
    plan = (options.requires ?? [])
      .filter((r) => provided.has(r.name))
      .map((r) => ({ name: r.name, metadata: r.metadata ?? {} }));
  }
  const p = await prepare(options);
  const output = join(p.root, "output");
  const planPath = join(p.root, "plan.toml");
  await writeFile(planPath, stringifyBuildpackPlan(plan));
  const outcome = await runGeneratePhase(ext, p.io({ CNB_OUTPUT_DIR: output, CNB_BP_PLAN_PATH: planPath }));
  const read = async (name: string) =>
    existsSync(join(output, name)) ? await readFile(join(output, name), "utf8") : undefined;
  const config = await read("extend-config.toml");
  return {
    result: outcome.result,
    plan,
    buildDockerfile: await read("build.Dockerfile"),
    runDockerfile: await read("run.Dockerfile"),
    extendConfig: config === undefined ? undefined : parseToml(config, "extend-config.toml"),
    output,
    stdout: p.lines,
  };
}

/**
 * The image extension contract as an author sees it (spec image_extension.md), typed like
 * the buildpack's (contract.ts): detect (optional: an extension without one passes) and
 * generate, which returns the Dockerfiles' contents and build args instead of layers. Types,
 * and the one writer of generate's output ({@link writeGenerateResult}); the phase runners
 * are in extension-phases.ts, the entry point in extension-main.ts.
 */
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { Provide } from "../cnb-files/build-plan-types.js";
import type { ExtensionDescriptor } from "../cnb-files/extension-toml.js";
import { CnbError } from "../errors/cnb-error.js";
import { stringifyToml } from "../cnb-files/toml.js";
import type { BuildpackPlan } from "./buildpack-plan.js";
import type { BaseContext } from "./contract.js";

/** The extension itself: `ctx.extension`. */
export interface ExtensionSelf {
  /** The extension directory (CNB_EXTENSION_DIR). */
  dir: string;
  /** extension.toml, parsed and validated. */
  descriptor: ExtensionDescriptor;
  /** Shorthand for descriptor.extension.id. */
  id: string;
  /** Shorthand for descriptor.extension.version. */
  version: string;
}

/** What an extension's detect and generate both get: the {@link BaseContext} a buildpack's phases get, with `extension`. */
export interface ExtensionContext extends BaseContext {
  /** The extension's directory and extension.toml. */
  extension: ExtensionSelf;
}

/**
 * A plan alternative as an extension's detect writes it: provides only. The spec forbids an
 * extension's `requires`, so the type has no place for them.
 */
export interface ExtensionPlanInput {
  /** What this extension can install; a buildpack's `requires` of the same name selects it. */
  provides?: Provide[];
}

/** What an extension's detect returns: provide these (with alternatives), or not apply. */
export type ExtensionDetectResult =
  | { kind: "pass"; plans: { provides: Provide[] }[] }
  | { kind: "fail"; reason?: string };

/** The extension's detect context: the shared context plus the two results. */
export interface ExtensionDetectContext extends ExtensionContext {
  /** Passes, providing entries; further arguments are `[[or]]` alternatives. */
  pass(plan?: ExtensionPlanInput, ...or: ExtensionPlanInput[]): ExtensionDetectResult;
  /** Does not apply to this app (exit 100); the reason is logged. */
  fail(reason?: string): ExtensionDetectResult;
}

/** The generate context: the shared context plus the plan entries buildpacks required of this extension. */
export interface GenerateContext extends ExtensionContext {
  /** Entries some buildpack required under a name this extension provided (CNB_BP_PLAN_PATH). */
  plan: BuildpackPlan;
}

/** A build arg for a Dockerfile (extend-config.toml `[[build.args]]` / `[[run.args]]`). */
export interface DockerfileArg {
  /** The ARG's name, as the Dockerfile declares it. */
  name: string;
  /** Its value for this build. */
  value: string;
}

/**
 * What generate returns: the Dockerfiles to apply (each `ARG base_image` / `FROM ${base_image}`
 * then `RUN` lines; a run.Dockerfile may be only `FROM <image>` to switch the run image), and
 * the build args each gets beyond the platform's (`base_image`, `build_id`, `user_id`, `group_id`).
 */
export interface GenerateResult {
  /** build.Dockerfile: extends the build image before the buildpacks build. */
  buildDockerfile?: string;
  /** run.Dockerfile: switches or extends the run image the app image is built on. */
  runDockerfile?: string;
  /** Args for build.Dockerfile (extend-config.toml `[[build.args]]`). */
  buildArgs?: DockerfileArg[];
  /** Args for run.Dockerfile (extend-config.toml `[[run.args]]`). */
  runArgs?: DockerfileArg[];
}

/** What an extension author writes: `extension({ detect, generate })`. */
export interface ExtensionDefinition {
  /** Decides whether the extension applies; without it the extension passes, providing nothing. */
  detect?(ctx: ExtensionDetectContext): ExtensionDetectResult | Promise<ExtensionDetectResult>;
  /** Says which Dockerfiles to apply for this app (it may return nothing). */
  generate(ctx: GenerateContext): GenerateResult | undefined | Promise<GenerateResult | undefined>;
}

/** A declared extension: the definition, runnable in-process by the test harness. */
export type Extension = Readonly<ExtensionDefinition>;

/**
 * Writes generate's output into `outputDir` (CNB_OUTPUT_DIR) as the lifecycle reads it:
 * `build.Dockerfile`, `run.Dockerfile` and `extend-config.toml`. Build args without their
 * Dockerfile are a mistake the lifecycle would ignore silently, so they are one line here.
 *
 * @example
 * await writeGenerateResult({ buildDockerfile: "ARG base_image\nFROM ${base_image}\nUSER root\nRUN apt-get install -y jq\n" }, process.env.CNB_OUTPUT_DIR!);
 */
export async function writeGenerateResult(result: GenerateResult, outputDir: string): Promise<string[]> {
  if (result.buildArgs?.length && !result.buildDockerfile)
    throw new CnbError("generate returned buildArgs without a buildDockerfile; return the Dockerfile they are for");
  if (result.runArgs?.length && !result.runDockerfile)
    throw new CnbError("generate returned runArgs without a runDockerfile; return the Dockerfile they are for");
  await mkdir(outputDir, { recursive: true });
  const written: string[] = [];
  const put = async (name: string, text: string) => {
    await writeFile(join(outputDir, name), text.endsWith("\n") ? text : `${text}\n`);
    written.push(name);
  };
  if (result.buildDockerfile) await put("build.Dockerfile", result.buildDockerfile);
  if (result.runDockerfile) await put("run.Dockerfile", result.runDockerfile);
  const args = (list: DockerfileArg[] | undefined) =>
    list?.length ? { args: list.map((a) => ({ ...a })) } : undefined;
  const build = args(result.buildArgs);
  const run = args(result.runArgs);
  if (build || run)
    await put("extend-config.toml", stringifyToml({ ...(build ? { build } : {}), ...(run ? { run } : {}) }));
  return written;
}

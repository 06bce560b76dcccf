/**
 * The image extension contract as an author sees it (spec image_extension.md), typed like
 * the buildpack's: detect (optional: an extension without one passes) and generate, which
 * returns the Dockerfiles' contents and build args instead of layers. Types and the one
 * writer of generate's output ({@link writeGenerateResult}); no phase runner yet.
 */
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { CnbError } from "../errors/index.js";
import { stringifyToml } from "../cnb-files/toml.js";
import type { DetectContext, DetectResult } from "./contract.js";

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

/** What an extension author writes. `M` is the context's metadata type, as for buildpacks. */
export interface ExtensionDefinition<M = Record<string, unknown>> {
  /** Decides whether the extension applies; extensions may only provide, never require. */
  detect?(ctx: DetectContext<M>): DetectResult | Promise<DetectResult>;
  /** Says which Dockerfiles to apply for this app (it may return nothing). */
  generate(ctx: DetectContext<M>): GenerateResult | undefined | Promise<GenerateResult | undefined>;
}

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

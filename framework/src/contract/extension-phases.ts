/**
 * An image extension's two phases (spec image_extension.md): detect, as a buildpack's but
 * providing only, and generate, which writes build.Dockerfile, run.Dockerfile and
 * extend-config.toml into `<output>` (CNB_OUTPUT_DIR) instead of layers.
 *
 * The spec's inputs: CNB_EXTENSION_DIR in place of CNB_BUILDPACK_DIR; detect gets
 * CNB_PLATFORM_DIR and CNB_BUILD_PLAN_PATH, generate CNB_OUTPUT_DIR, CNB_PLATFORM_DIR and
 * CNB_BP_PLAN_PATH. The positional fallbacks mirror bin/detect's and bin/build's
 * (`<platform> <plan>`, `<output> <platform> <plan>`).
 */
import { readFile, writeFile } from "node:fs/promises";
import { dirname, resolve } from "node:path";
import type { Provide } from "../cnb-files/build-plan-types.js";
import { parseBuildpackPlan } from "../cnb-files/buildpack-plan.js";
import { readExtensionToml } from "../cnb-files/extension-toml.js";
import { stringifyBuildPlan } from "../cnb-files/build-plan.js";
import { CnbError } from "../errors/cnb-error.js";
import { baseContext } from "./base-context.js";
import { BuildpackPlan } from "./buildpack-plan.js";
import type { PhaseIO } from "./contract.js";
import {
  type ExtensionContext,
  type ExtensionDefinition,
  type ExtensionDetectResult,
  type ExtensionPlanInput,
  type GenerateResult,
  writeGenerateResult,
} from "./extension-contract.js";

/** What {@link runGeneratePhase} reports back (the test harness reads it). */
export interface GenerateOutcome {
  /** What generate returned (`{}` for nothing). */
  result: GenerateResult;
  /** The files written into `<output>`: build.Dockerfile, run.Dockerfile, extend-config.toml. */
  written: string[];
  /** `<output>` (CNB_OUTPUT_DIR). */
  outputDir: string;
}

/**
 * Runs the extension's detect and writes its plan on pass. An extension without detect
 * passes providing nothing, as the spec treats one without bin/detect. Throws on error.
 */
export async function runExtensionDetectPhase(def: ExtensionDefinition, io: PhaseIO): Promise<ExtensionDetectResult> {
  const platform = path(io, "CNB_PLATFORM_DIR", 0, "detect");
  const planPath = path(io, "CNB_BUILD_PLAN_PATH", 1, "detect");
  const base = await extensionContext(io, platform);
  const result: ExtensionDetectResult = def.detect
    ? await def.detect({
        ...base,
        pass: (plan, ...or) => ({ kind: "pass", plans: [plan ?? {}, ...or].map((p) => toPlan(p, base.extension.id)) }),
        fail: (reason) => (reason === undefined ? { kind: "fail" } : { kind: "fail", reason }),
      })
    : { kind: "pass", plans: [{ provides: [] }] };
  if (!result || (result.kind !== "pass" && result.kind !== "fail"))
    throw new CnbError("an extension's detect must return ctx.pass(...) or ctx.fail(...)");
  if (result.kind === "pass") {
    await writeFile(planPath, stringifyBuildPlan(result.plans.map((p) => ({ provides: p.provides, requires: [] }))));
  } else if (result.reason) {
    base.log.step(`Skipped: ${result.reason}`);
  }
  return result;
}

/** Runs generate: reads the plan, calls the extension, writes its Dockerfiles. Throws on error. */
export async function runGeneratePhase(def: ExtensionDefinition, io: PhaseIO): Promise<GenerateOutcome> {
  const outputDir = path(io, "CNB_OUTPUT_DIR", 0, "generate");
  const platform = path(io, "CNB_PLATFORM_DIR", 1, "generate");
  const planPath = path(io, "CNB_BP_PLAN_PATH", 2, "generate");
  const base = await extensionContext(io, platform);
  const info = base.extension.descriptor.extension;
  base.log.header(`${info.name ?? info.id} ${info.version}`);
  const plan = new BuildpackPlan(parseBuildpackPlan(await readFile(planPath, "utf8"), planPath));
  const result = (await def.generate({ ...base, plan })) ?? {};
  const written = await writeGenerateResult(result, outputDir);
  return { result, written, outputDir };
}

/**
 * A plan alternative as the spec allows it. The type has no `requires`, but plain JS (or a
 * cast) can still pass one, and the lifecycle would reject the extension far from the cause.
 */
function toPlan(p: ExtensionPlanInput, id: string): { provides: Provide[] } {
  if ((p as { requires?: unknown }).requires !== undefined)
    throw new CnbError(`extension ${id}: detect passed with requires; an extension may only provide`, {
      hint: "move the requirement to a buildpack, or drop it",
    });
  return { provides: p.provides ?? [] };
}

/** The extension's context: the {@link BaseContext} a buildpack's phases get, and the extension itself. */
async function extensionContext(io: PhaseIO, platform: string): Promise<ExtensionContext> {
  const dir = nonEmpty(io.env.CNB_EXTENSION_DIR) ?? dirname(dirname(resolve(io.script)));
  const descriptor = await readExtensionToml(dir);
  return {
    ...(await baseContext(io, { app: io.cwd, platform })),
    extension: { dir, descriptor, id: descriptor.extension.id, version: descriptor.extension.version },
  };
}

/** A path input: the spec's variable, else the positional argument older lifecycles pass. */
function path(io: PhaseIO, variable: string, position: number, phase: string): string {
  const value = nonEmpty(io.env[variable]) ?? nonEmpty(io.args[position]);
  if (value === undefined)
    throw new CnbError(`extension ${phase}: ${variable} is not set and no positional argument gives it`, {
      hint: `run ${phase} through the CNB lifecycle, or set ${variable}`,
    });
  return resolve(value);
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value === "" ? undefined : value;
}

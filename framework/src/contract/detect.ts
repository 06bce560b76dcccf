/**
 * The detect phase: running a buildpack's detect and writing its plan. The contract it
 * runs (the detect context and result) is in contract.ts, the shared context in
 * phase-context.ts.
 *
 * This module is on detect's hot path: it must not import anything build-only (SBOM,
 * downloads, archives). The build phase lives in build.ts, loaded on demand.
 */
// Each import names its file, not a folder's index: the bundler splits chunks by what an
// entry point's imports reach, so an index here would pull build-only modules (exec.d, env
// files, layer and launch TOML writers) into every detect's chunk and its code cache.
// Nor does it import the TOML library: a detect writes its plan with buildPlanText and reads
// buildpack.toml's parsed copy, and loads the library only for what those leave to it.
import type { BuildPlan } from "../cnb-files/build-plan-types.js";
import { buildPlanText } from "../cnb-files/build-plan-text.js";
import { CnbError } from "../errors/cnb-error.js";
import { writeFileNow as writeFile } from "../fs/now.js";
import { detectPaths } from "../environment/platform.js";
import type { BuildpackDefinition, DetectContext, DetectResult, PhaseIO, PlanInput } from "./contract.js";
import { phaseContext } from "./phase-context.js";

/**
 * Runs detect: builds the context, calls the buildpack, writes the plan on pass.
 * Throws on error (the entry point turns that into exit 1).
 */
export async function runDetectPhase<M>(def: BuildpackDefinition<M>, io: PhaseIO): Promise<DetectResult> {
  const paths = detectPaths(io.env, io.args, io.script, io.cwd);
  const base = await phaseContext(def, io, paths);
  const ctx: DetectContext<M> = {
    ...base,
    pass: (plan, ...or) => ({ kind: "pass", plans: [plan ?? {}, ...or].map(toPlan) }),
    fail: (reason) => (reason === undefined ? { kind: "fail" } : { kind: "fail", reason }),
  };
  const result = await def.detect(ctx);
  if (!result || (result.kind !== "pass" && result.kind !== "fail")) {
    throw new CnbError("detect must return ctx.pass(...) or ctx.fail(...)");
  }
  if (result.kind === "pass") {
    const text =
      buildPlanText(result.plans) ?? (await import("../cnb-files/build-plan.js")).stringifyBuildPlan(result.plans);
    await writeFile(paths.plan, text);
  } else if (result.reason) {
    base.log.step(`Skipped: ${result.reason}`);
  }
  return result;
}

function toPlan(p: PlanInput): BuildPlan {
  return { provides: p.provides ?? [], requires: p.requires ?? [] };
}

/**
 * Step: the memory calculator (an exec.d sh script, see memory-calculator.ts) in a small
 * launch layer, with the app's class count (from the app scan) as BPI_APP_CLASS_COUNT. Both
 * are in the layer's key, so it is rewritten only when either changes.
 */
import { createHash } from "node:crypto";
import { MEMORY_CALCULATOR_EXEC_D, MEMORY_CALCULATOR_SCRIPT } from "../memory-calculator.js";
import type { StepContext } from "./step-context.js";

/** Adds the calculator for an app of `classes` classes. */
export async function addMemoryCalculator(ctx: StepContext<"layers" | "log">, classes: number): Promise<void> {
  const layer = await ctx.layers.cached("jvm_memory", {
    types: { launch: true, cache: false },
    key: { script: createHash("sha256").update(MEMORY_CALCULATOR_SCRIPT).digest("hex"), appClasses: classes },
    async fill(l) {
      await l.execD.addScript(MEMORY_CALCULATOR_EXEC_D, MEMORY_CALCULATOR_SCRIPT);
    },
  });
  layer.env.launch.default("BPI_APP_CLASS_COUNT", String(classes));
  ctx.log.detail(`Memory calculator at launch (${classes} app classes)`);
}

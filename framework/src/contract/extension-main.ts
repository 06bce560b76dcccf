/**
 * The extension entry point: `extension({ detect, generate })` declares an image extension,
 * and when the program runs as `bin/detect` or `bin/generate`, runs that phase; the
 * counterpart of `buildpack()` (main.ts), whose machinery it uses: the name it was invoked as
 * ({@link invokedAs}), errors as exit codes ({@link exitCodeOf}) and the start ({@link startPhase}).
 *
 * Exit codes follow the spec: detect 0 pass / 100 fail / 1 error; generate 0 / 1. Errors
 * print as one line (plus a hint), with the stack only at BP_LOG_LEVEL=debug.
 */
import type { PhaseIO } from "./contract.js";
import type { Extension, ExtensionDefinition } from "./extension-contract.js";
import { exitCodeOf, invokedAs, startPhase } from "./main.js";

/** The role an extension program was invoked in. */
export type ExtensionPhase = "detect" | "generate";

/**
 * Finds the phase from how the program was invoked, as a buildpack's entry point does
 * ({@link invokedAs}). Undefined when it is neither (e.g. a test imports it).
 */
export function extensionPhaseOf(argv: readonly string[], argv0: string): ExtensionPhase | undefined {
  return invokedAs(argv, argv0, ["detect", "generate"]);
}

/**
 * Runs one phase of an extension and returns its exit code, printing errors as the spec's
 * entry points must (one line on stderr, stack only at debug). Never throws.
 */
export async function runExtensionPhase(ext: ExtensionDefinition, phase: ExtensionPhase, io: PhaseIO): Promise<number> {
  return exitCodeOf(io.env, async () => {
    // Loaded per phase, as buildpack() does, so detect never evaluates generate's writers.
    const phases = await import("./extension-phases.js");
    if (phase === "detect") return (await phases.runExtensionDetectPhase(ext, io)).kind === "pass" ? 0 : 100;
    await phases.runGeneratePhase(ext, io);
    return 0;
  });
}

/**
 * Declares an image extension. When the program was invoked as bin/detect or bin/generate,
 * the phase runs and the process exits with its code; otherwise (imported by tests or
 * tools) nothing runs.
 *
 * @example
 * export default extension({
 *   detect: (ctx) => ctx.pass({ provides: [{ name: "jq" }] }),
 *   generate: (ctx) => (ctx.plan.has("jq") ? { buildDockerfile: "ARG base_image\nFROM ${base_image}\nUSER root\nRUN apt-get update && apt-get install -y jq\n" } : undefined),
 * });
 */
export function extension(definition: ExtensionDefinition): Extension {
  if (typeof definition?.generate !== "function")
    throw new TypeError("extension({ generate }) needs a generate function: it is what an extension is for");
  const ext = Object.freeze({ ...definition });
  const phase = extensionPhaseOf(process.argv, process.argv0);
  if (phase) startPhase((io) => runExtensionPhase(ext, phase, io));
  return ext;
}

/**
 * The extension entry point: `extension({ detect, generate })` declares an image extension,
 * and when the program runs as `bin/detect` or `bin/generate`, runs that phase; the
 * counterpart of `buildpack()` (main.ts), dispatching on the name it was invoked as in the
 * same way.
 *
 * Exit codes follow the spec: detect 0 pass / 100 fail / 1 error; generate 0 / 1. Errors
 * print as one line (plus a hint), with the stack only at BP_LOG_LEVEL=debug.
 */
import { basename } from "node:path";
import { formatError } from "../errors/index.js";
import { isDebugLevel } from "../log/index.js";
import type { PhaseIO } from "./contract.js";
import type { Extension, ExtensionDefinition } from "./extension-contract.js";
import { restoreNodeOptions } from "./main.js";

/** The role an extension program was invoked in. */
export type ExtensionPhase = "detect" | "generate";

/**
 * Finds the phase from how the program was invoked: the basename of `argv[1]` (script or
 * SEA executable path), else of `argv0`. Undefined when it is neither (e.g. a test imports it).
 */
export function extensionPhaseOf(argv: readonly string[], argv0: string): ExtensionPhase | undefined {
  for (const path of [argv[1], argv0]) {
    if (!path) continue;
    const name = basename(path);
    if (name === "detect" || name === "generate") return name;
  }
  return undefined;
}

/**
 * Runs one phase of an extension and returns its exit code, printing errors as the spec's
 * entry points must (one line on stderr, stack only at debug). Never throws.
 */
export async function runExtensionPhase(ext: ExtensionDefinition, phase: ExtensionPhase, io: PhaseIO): Promise<number> {
  try {
    // Loaded per phase, as buildpack() does, so detect never evaluates generate's writers.
    const phases = await import("./extension-phases.js");
    if (phase === "detect") return (await phases.runExtensionDetectPhase(ext, io)).kind === "pass" ? 0 : 100;
    await phases.runGeneratePhase(ext, io);
    return 0;
  } catch (err) {
    process.stderr.write(`${formatError(err, isDebugLevel(io.env))}\n`);
    return 1;
  }
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
  if (phase) {
    restoreNodeOptions(process.env);
    setImmediate(() => void mainExtension(ext, phase));
  }
  return ext;
}

/** Runs `phase` with the real process's environment and arguments, then exits. */
async function mainExtension(ext: ExtensionDefinition, phase: ExtensionPhase): Promise<never> {
  const code = await runExtensionPhase(ext, phase, {
    env: process.env,
    args: process.argv.slice(2),
    script: process.argv[1] ?? process.execPath,
    cwd: process.cwd(),
  });
  // As main() does: exit explicitly so idle sockets cannot hold the phase open.
  process.exit(code);
}

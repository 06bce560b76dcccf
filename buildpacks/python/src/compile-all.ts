/**
 * Byte-compiles Python code at build, so the image's imports load .pyc instead of compiling
 * at every start. The app's and the tools' .pyc are hash-checked: the tool environment sets
 * SOURCE_DATE_EPOCH (see bytecodeEnv in tool-env.ts), as the lifecycle's fixed file times
 * would make timestamp ones stale. The standard library's are unchecked-hash
 * ({@link compileStdlib}).
 */
import { existsSync } from "node:fs";
import { join } from "node:path";
import { type RunToolOptions, runTool } from "@cnbkit/framework/process";
import { explainPythonTool } from "./tool-errors.js";

/** Runs `python -m compileall` quietly on `paths` (nothing to do when there are none). */
export async function compileAll(python: string, paths: readonly string[], opts: RunToolOptions): Promise<void> {
  if (paths.length === 0) return;
  await runTool([python, "-m", "compileall", "-q", "-j", "0", ...paths], {
    explain: explainPythonTool,
    ...opts,
    quiet: true,
  });
}

/**
 * Parts of the standard library no app imports: its own test suites, IDLE, Tk (its C library is
 * not in the run image), the turtle demos, ensurepip's bundled wheels, and site-packages (the
 * app's venv does not see it). Leaving them out halves the work.
 */
const STDLIB_SKIPPED = ["tests?", "idlelib", "tkinter", "turtledemo", "ensurepip", "site-packages", "config-[^/]*"];

/** The regex `compileall -x` gets: the skipped directories, anywhere below `stdlib`. */
export function stdlibExclusions(stdlib: string): string {
  const escaped = stdlib.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  return `^${escaped}/(?:.*/)?(?:${STDLIB_SKIPPED.join("|")})/`;
}

/**
 * Compiles the standard library of the CPython at `prefix` when it carries no bytecode:
 * python-build-standalone removes every `__pycache__` from its archives, so an image would
 * compile each stdlib import at every start, in every worker, and a read-only root file system
 * would never keep the result. The .pyc are unchecked-hash, as Heroku ships its Pythons
 * (heroku/heroku-buildpack-python#1322): no one edits a runtime layer, and the import skips
 * hashing the source. Returns false when the stdlib already had bytecode (the reference
 * builder's local CPython is made with it).
 */
export async function compileStdlib(prefix: string, minor: string, opts: RunToolOptions): Promise<boolean> {
  const stdlib = join(prefix, "lib", `python${minor}`);
  if (existsSync(join(stdlib, "__pycache__"))) return false;
  const python = join(prefix, "bin", "python3");
  const args = ["-m", "compileall", "-q", "-j", "0", "--invalidation-mode", "unchecked-hash"];
  await runTool([python, ...args, "-x", stdlibExclusions(stdlib), stdlib], {
    explain: explainPythonTool,
    ...opts,
    quiet: true,
  });
  return true;
}

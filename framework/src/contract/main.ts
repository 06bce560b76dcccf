/**
 * The entry point: `buildpack({ detect, build, execD })` declares a buildpack, and when
 * the program runs as `bin/detect`, `bin/build` or one of its exec.d names, runs that phase.
 *
 * One program serves every role; it dispatches on the name it was invoked as:
 * `process.argv[1]` is the script for a bundled JS file (on the shared Node runtime, the
 * launchers run `lib/detect` or `lib/build`, links to the bundle), and inside a Node single
 * executable application it is the executable path the lifecycle used (Node inserts it),
 * so `basename` gives "detect", "build" or an exec.d name in every case.
 *
 * Exit codes follow the spec: detect 0 pass / 100 fail / 1 error; build 0 / 1. Errors
 * print as one line (plus a hint), with the stack only at BP_LOG_LEVEL=debug.
 *
 * Detect stays cheap: build.ts (layers, SBOM, downloads) is imported only for build.
 */
import { basename } from "node:path";
import { formatError } from "../errors/index.js";
import { SAVED_NODE_OPTIONS } from "../bundle/launched-bundle.js";
import { createLogger, isDebugLevel } from "../log/index.js";
import type { Environment } from "../environment/platform.js";
import type { Buildpack, BuildpackDefinition, PhaseIO } from "./contract.js";

/** The role the program was invoked in. */
export type Phase = { kind: "detect" } | { kind: "build" } | { kind: "exec.d"; name: string };

/**
 * The name among `names` the program was invoked as: the basename of `argv[1]` (script or
 * SEA executable path), else of `argv0`. Undefined when neither is one of them (e.g. when a
 * test imports the program). A buildpack's and an extension's entry points both dispatch on it.
 */
export function invokedAs<N extends string>(
  argv: readonly string[],
  argv0: string,
  names: readonly N[],
): N | undefined {
  for (const path of [argv[1], argv0]) {
    if (!path) continue;
    const name = basename(path);
    if ((names as readonly string[]).includes(name)) return name as N;
  }
  return undefined;
}

/**
 * Finds the phase from how the program was invoked ({@link invokedAs}). Undefined when it is
 * neither detect, build nor a registered exec.d name (e.g. when a test imports the buildpack).
 */
export function phaseOf(argv: readonly string[], argv0: string, execD: readonly string[] = []): Phase | undefined {
  const name = invokedAs(argv, argv0, ["detect", "build", ...execD]);
  if (name === undefined) return undefined;
  return name === "detect" || name === "build" ? { kind: name } : { kind: "exec.d", name };
}

/**
 * The launchers move the caller's NODE_OPTIONS aside (the buildpack's own Node must not take
 * an app's `--require` or heap cap); the tools the buildpack runs get it back. Exported for
 * the extension entry point (extension-main.ts, through {@link startPhase}), whose launchers
 * do the same.
 */
export function restoreNodeOptions(env: NodeJS.ProcessEnv): void {
  const saved = env[SAVED_NODE_OPTIONS];
  if (saved === undefined) return;
  env.NODE_OPTIONS = saved;
  delete env[SAVED_NODE_OPTIONS];
}

/**
 * Runs `run` and returns its exit code, printing an error as the spec's entry points must
 * (one line on stderr, the stack only at BP_LOG_LEVEL=debug), as exit code 1. Never throws.
 * A buildpack's and an extension's phases both run through it.
 */
export async function exitCodeOf(env: Environment, run: () => Promise<number>): Promise<number> {
  try {
    return await run();
  } catch (err) {
    process.stderr.write(`${formatError(err, isDebugLevel(env))}\n`);
    return 1;
  }
}

/**
 * Runs one phase and returns its exit code, printing errors as the spec's entry points
 * must (one line on stderr, stack only at debug). Never throws.
 */
export async function runPhase<M>(bp: BuildpackDefinition<M>, phase: Phase, io: PhaseIO): Promise<number> {
  return exitCodeOf(io.env, async () => {
    if (phase.kind === "detect") {
      const { runDetectPhase } = await import("./detect.js");
      return (await runDetectPhase(bp, io)).kind === "pass" ? 0 : 100;
    }
    if (phase.kind === "build") {
      const { runBuildPhase } = await import("./build.js");
      await runBuildPhase(bp, io);
      return 0;
    }
    const handler = bp.execD?.[phase.name];
    if (!handler) throw new Error(`no exec.d handler named ${phase.name}`);
    const { execDOutput } = await import("../environment/index.js");
    const log = createLogger({ env: io.env, ...(io.sink ? { sink: io.sink } : {}) });
    await execDOutput(await handler({ env: io.env, log }));
    return 0;
  });
}

/**
 * Declares a buildpack. When the program was invoked as bin/detect, bin/build or a
 * registered exec.d name, the phase runs and the process exits with its code; otherwise
 * (imported by tests or tools) nothing runs.
 *
 * @example
 * export default buildpack<Meta>({
 *   async detect(ctx) { return (await ctx.app.exists("package.json")) ? ctx.pass({ provides: [{ name: "node" }] }) : ctx.fail("no package.json"); },
 *   async build(ctx) { return { processes: [{ type: "web", command: ["npm", "start"], default: true }] }; },
 * });
 */
export function buildpack<M = Record<string, unknown>>(definition: BuildpackDefinition<M>): Buildpack<M> {
  const bp = Object.freeze({ ...definition });
  if (process.env.CNBKIT_DESCRIBE === "detect-rules") {
    void describeDetect(bp.detect);
    return bp;
  }
  if (process.env.CNBKIT_DESCRIBE === "detect-load") {
    void loadDetect();
    return bp;
  }
  const phase = phaseOf(process.argv, process.argv0, Object.keys(bp.execD ?? {}));
  if (phase) startPhase((io) => runPhase(bp, phase, io));
  return bp;
}

/**
 * Prints the detect rules as JSON (`null` for a plain detect function) and exits 0: how the
 * packager learns a bundle's rules without importing TypeScript (`CNBKIT_DESCRIBE=detect-rules`).
 */
async function describeDetect(detect: unknown): Promise<never> {
  const { detectRulesJson, isRuleDetect } = await import("./detect-rules.js");
  const json = isRuleDetect(detect) ? detectRulesJson(detect.rules) : null;
  // Synchronous on Linux for files and pipes, so nothing is lost by exiting right away.
  process.stdout.write(`${JSON.stringify(json)}\n`);
  process.exit(0);
}

/**
 * Loads the modules a detect loads, runs nothing and exits 0 (`CNBKIT_DESCRIBE=detect-load`):
 * how the packager learns which chunks of a bundle to give a full V8 code cache.
 */
async function loadDetect(): Promise<never> {
  await import("./detect.js");
  process.exit(0);
}

/**
 * Starts a phase the program was invoked as: the caller's NODE_OPTIONS back in place, then,
 * on the next tick (so the module that declared the buildpack or extension finishes loading),
 * `run` with the real process's environment and arguments, and exit with its code. The one
 * way `buildpack()` and `extension()` start a phase.
 */
export function startPhase(run: (io: PhaseIO) => Promise<number>): void {
  restoreNodeOptions(process.env);
  setImmediate(() => void exitWith(run));
}

/** Runs `phase` with the real process's environment and arguments, then exits. */
export async function main<M>(bp: BuildpackDefinition<M>, phase: Phase): Promise<never> {
  return exitWith((io) => runPhase(bp, phase, io));
}

/** Runs `run` with the real process's environment and arguments, then exits with its code. */
async function exitWith(run: (io: PhaseIO) => Promise<number>): Promise<never> {
  const code = await run({
    env: process.env,
    args: process.argv.slice(2),
    script: process.argv[1] ?? process.execPath,
    cwd: process.cwd(),
  });
  // Exit explicitly: idle keep-alive sockets must not hold the phase open. No drain is
  // needed first: on Linux, writes to stdout are synchronous for files, pipes and
  // terminals, and touching process.stdout just to drain it would load Node's streams
  // (~10 ms) in every detect that printed nothing.
  process.exit(code);
}

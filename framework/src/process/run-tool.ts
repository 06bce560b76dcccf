/**
 * Runs a build's tool (a package manager, a compiler, a build script) the way every buildpack
 * wants it: its output streamed into the build log as it is printed, and a failure turned into
 * one line a user can act on, with the tool's own output above it. What a tool's failure
 * means is the buildpack's knowledge: it passes `errorLine` (a per-line picker) or `explain`
 * (a look at the whole output); the runner does the rest.
 *
 * Two ways to call it: {@link runTool} resolves with the output as the log showed it (stdout
 * and stderr interleaved), which is what a step that only needs the tool to succeed wants;
 * {@link runToolOutput} keeps stdout apart from stderr, for a step that reads a value the
 * tool prints (`go env GOVERSION`, `python -c …`), where a warning on stderr must not end up
 * in the value.
 */
import { CnbError } from "../errors/index.js";
import type { Logger } from "../log/index.js";
import type { ToolEnv } from "../environment/tool-env.js";
import { describeExit, runStreaming } from "./run-streaming.js";

/** Picks the error text out of one output line (`previous` is the line before it), or undefined. */
export type ErrorLinePicker = (line: string, previous: string) => string | undefined;

/** A failed run, for {@link RunToolOptions.explain}. */
export interface ToolFailure {
  command: readonly string[];
  /** How it ended: "exit 1", "killed by SIGKILL". */
  status: string;
  /** Its output (stdout and stderr lines as printed; the last {@link RunToolOptions.keep} characters). */
  output: string;
  /**
   * Its stdout alone (the last {@link RunToolOptions.keep} characters). Always set by
   * {@link runTool}; optional so that explainers' tests can build a failure from `output` alone.
   */
  stdout?: string;
  /** Its stderr alone (as {@link ToolFailure.stdout}). */
  stderr?: string;
  /** {@link RunToolOptions.file}, or the deprecated {@link RunToolOptions.where}. */
  where?: string | undefined;
}

/** What {@link runToolOutput} resolves with: a tool's output, whole and per stream. */
export interface ToolOutput {
  /** Stdout and stderr lines as printed, joined by "\n": what the log showed. */
  output: string;
  /** Stdout alone: the value a tool prints (a version, a path, JSON). */
  stdout: string;
  /** Stderr alone: warnings and progress. */
  stderr: string;
}

/** Options for {@link runTool}. */
export interface RunToolOptions {
  cwd: string;
  /** The whole environment of the tool (undefined = unset). */
  env: ToolEnv;
  /** Output lines go to `log.subprocess` (indented under the step). */
  log: Logger;
  /**
   * The app's file the user should look at when the tool fails (`package-lock.json`,
   * `go.mod`): the error line starts with it, as every cnbkit error names its file
   * (`package-lock.json: "npm ci" failed (exit 1): …`). A file, not a step's name: to name
   * the tool, use {@link what}.
   */
  file?: string;
  /**
   * @deprecated Use {@link file} for the file the user should look at, or {@link what} for a
   * name of the tool: `where` was given both, and a step's name in front of the command read
   * as a path (`manage.py collectstatic: "python manage.py collectstatic" failed`).
   * Kept, with the same effect as `file`, until the next major version.
   */
  where?: string;
  /** Names the tool in the error line instead of the command ("Maven build failed (exit 1)"). */
  what?: string;
  /**
   * Keep the output out of the log unless the tool fails (version probes, compileall). With
   * {@link runToolOutput}, `quiet: "stdout"` keeps only stdout out (a value being read) and
   * still streams stderr (progress, warnings).
   */
  quiet?: boolean | "stdout";
  /**
   * Lines that tools repeat once per package (yarn 2/3's `YN0013` fetch lines): the first is
   * shown, the rest are counted into one line at the end.
   */
  fold?: RegExp;
  /** The error text of one line (Maven's `[ERROR]`): the first one found goes into the error line. */
  errorLine?: ErrorLinePicker;
  /**
   * Reads a failure's whole output: returns the error to throw (with its own hint), the text
   * for the error line, or undefined for the default (the {@link errorLine}'s, else the
   * output's last line).
   */
  explain?(failure: ToolFailure): CnbError | string | undefined;
  /** A hint shown under the error line. */
  hint?: string;
  /** Show {@link hint} only when the output matches this (e.g. a lockfile out of sync). */
  hintWhen?: RegExp;
  /**
   * How many characters of output to keep for the result and {@link explain} (default 4 MiB):
   * beyond it the oldest lines go, so a long build's log is not all held in memory.
   */
  keep?: number;
}

/** Error lines {@link RunToolOptions.errorLine} collects at most. */
const MAX_ERROR_LINES = 50;

/**
 * Runs `command` (no shell; stdin closed) and resolves with its output (stdout and stderr
 * lines as printed, joined by "\n"); to read a value the tool prints, use
 * {@link runToolOutput}, whose `stdout` holds no stderr. Rejects with a one-line
 * {@link CnbError}: `<file>: "<command>" failed (exit N): <what went wrong>`, or, with
 * `what`, `<file>: <what> failed (exit N): …` (no `<file>: ` without `file`); a tool that
 * cannot start says so.
 *
 * @example
 * await runTool(["npm", "ci"], { cwd, env, log: ctx.log, file: "package-lock.json" });
 * await runTool(["./mvnw", "package"], { cwd, env, log: ctx.log, what: "Maven build", errorLine: (l) => l.startsWith("[ERROR]") ? l.slice(8) : undefined });
 */
export async function runTool(command: readonly string[], options: RunToolOptions): Promise<string> {
  return (await runToolOutput(command, options)).output;
}

/**
 * {@link runTool}, resolving with stdout and stderr apart as well as together, so a value the
 * tool prints is read from `stdout` without the warnings a tool writes to stderr (`go`
 * printing "go: downloading …", a JVM printing "Picked up JAVA_TOOL_OPTIONS"). Failures and
 * logging are {@link runTool}'s.
 *
 * @example
 * const { stdout } = await runToolOutput([go, "env", "GOVERSION"], { cwd, env, log: ctx.log, quiet: "stdout" });
 */
export async function runToolOutput(command: readonly string[], options: RunToolOptions): Promise<ToolOutput> {
  const keep = options.keep ?? 4 * 1024 * 1024;
  const tails = { output: new Tail(keep), stdout: new Tail(keep), stderr: new Tail(keep) };
  const errors: string[] = [];
  let previous = "";
  let folded = 0;
  const exit = await runStreaming(command, {
    cwd: options.cwd,
    env: options.env,
    onLine(line, stream) {
      tails.output.push(line);
      tails[stream].push(line);
      if (options.errorLine && errors.length < MAX_ERROR_LINES) {
        const error = options.errorLine(line, previous);
        if (error?.trim()) errors.push(error.trim());
      }
      previous = line;
      if (options.quiet === true || (options.quiet === "stdout" && stream === "stdout")) return;
      if (options.fold?.test(line) && folded++ > 0) return;
      options.log.subprocess(line);
    },
  }).catch((err: Error) => {
    throw options.what ? new CnbError(`${options.what}: ${err.message}`, { cause: err }) : err;
  });
  if (folded > 1) options.log.subprocess(`(${folded - 1} more "${options.fold?.source}" lines not shown)`);
  const result = { output: tails.output.text(), stdout: tails.stdout.text(), stderr: tails.stderr.text() };
  if (exit.code === 0) return result;
  if (options.quiet === true) for (const l of tails.output.lines) options.log.subprocess(l);
  else if (options.quiet === "stdout") for (const l of tails.stdout.lines) options.log.subprocess(l);
  throw failure(command, options, { ...result, status: describeExit(exit), errors, lines: tails.output.lines });
}

/** The error a failed run rejects with: the explainer's, or one line built from the output. */
function failure(
  command: readonly string[],
  options: RunToolOptions,
  run: ToolOutput & { status: string; errors: readonly string[]; lines: readonly string[] },
): CnbError {
  const file = options.file ?? options.where;
  const { output, stdout, stderr, status } = run;
  const explained = options.explain?.({ command, status, output, stdout, stderr, where: file });
  if (explained instanceof CnbError) return explained;
  const why = explained ?? run.errors[0] ?? lastLine(run.lines);
  const prefix = file ? `${file}: ` : "";
  const name = options.what ?? `"${command.join(" ")}"`;
  const hint = options.hint && (!options.hintWhen || options.hintWhen.test(output)) ? { hint: options.hint } : {};
  return new CnbError(`${prefix}${name} failed (${status})${why ? `: ${why}` : ""}`, hint);
}

/** The last line that says something, shortened: the error line when nothing better was found. */
function lastLine(lines: readonly string[]): string | undefined {
  for (let i = lines.length - 1; i >= 0; i--) {
    const l = lines[i]!.trim();
    if (l) return l.length > 200 ? `${l.slice(0, 200)}…` : l;
  }
  return undefined;
}

/** The newest lines whose length adds up to at most `max` characters. */
class Tail {
  #lines: string[] = [];
  #head = 0;
  #size = 0;

  constructor(private readonly max: number) {}

  push(line: string): void {
    this.#lines.push(line);
    this.#size += line.length + 1;
    while (this.#size > this.max && this.#lines.length - this.#head > 1) {
      this.#size -= this.#lines[this.#head++]!.length + 1;
    }
    // Drop what was skipped now and then, not on every line: shifting a long array is O(n).
    if (this.#head > 1024 && this.#head * 2 > this.#lines.length) {
      this.#lines = this.#lines.slice(this.#head);
      this.#head = 0;
    }
  }

  get lines(): readonly string[] {
    return this.#lines.slice(this.#head);
  }

  text(): string {
    return this.lines.join("\n");
  }
}

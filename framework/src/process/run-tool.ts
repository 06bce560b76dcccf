/**
 * Runs a build's tool (a package manager, a compiler, a build script) the way every buildpack
 * wants it: its output streamed into the build log as it is printed, and a failure turned into
 * one line a user can act on, with the tool's own output above it. What a tool's failure
 * means is the buildpack's knowledge: it passes `errorLine` (a per-line picker) or `explain`
 * (a look at the whole output); the runner does the rest.
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
  /** {@link RunToolOptions.where}. */
  where?: string | undefined;
}

/** Options for {@link runTool}. */
export interface RunToolOptions {
  cwd: string;
  /** The whole environment of the tool (undefined = unset). */
  env: ToolEnv;
  /** Output lines go to `log.subprocess` (indented under the step). */
  log: Logger;
  /** Prefix for the error line: the file the user should look at (`package-lock.json`). */
  where?: string;
  /** Names the tool in the error line instead of the command ("Maven build failed (exit 1)"). */
  what?: string;
  /** Keep the output out of the log unless the tool fails (version probes, compileall). */
  quiet?: boolean;
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
 * lines, joined by "\n"). Rejects with a one-line {@link CnbError}:
 * `<where>: "<command>" failed (exit N): <what went wrong>`, or, with `what`,
 * `<what> failed (exit N): …`; a tool that cannot start says so.
 *
 * @example
 * await runTool(["npm", "ci"], { cwd, env, log: ctx.log, where: "package-lock.json" });
 * await runTool(["./mvnw", "package"], { cwd, env, log: ctx.log, what: "Maven build", errorLine: (l) => l.startsWith("[ERROR]") ? l.slice(8) : undefined });
 */
export async function runTool(command: readonly string[], options: RunToolOptions): Promise<string> {
  const output = new Tail(options.keep ?? 4 * 1024 * 1024);
  const errors: string[] = [];
  let previous = "";
  let folded = 0;
  const exit = await runStreaming(command, {
    cwd: options.cwd,
    env: options.env,
    onLine(line) {
      output.push(line);
      if (options.errorLine && errors.length < MAX_ERROR_LINES) {
        const error = options.errorLine(line, previous);
        if (error?.trim()) errors.push(error.trim());
      }
      previous = line;
      if (options.quiet) return;
      if (options.fold?.test(line) && folded++ > 0) return;
      options.log.subprocess(line);
    },
  }).catch((err: Error) => {
    throw options.what ? new CnbError(`${options.what}: ${err.message}`, { cause: err }) : err;
  });
  if (folded > 1) options.log.subprocess(`(${folded - 1} more "${options.fold?.source}" lines not shown)`);
  const text = output.text();
  if (exit.code === 0) return text;
  if (options.quiet) for (const l of output.lines) options.log.subprocess(l);
  const status = describeExit(exit);
  const explained = options.explain?.({ command, status, output: text, where: options.where });
  if (explained instanceof CnbError) throw explained;
  const why = explained ?? errors[0] ?? lastLine(output.lines);
  const prefix = options.where ? `${options.where}: ` : "";
  const name = options.what ?? `"${command.join(" ")}"`;
  const hint = options.hint && (!options.hintWhen || options.hintWhen.test(text)) ? { hint: options.hint } : {};
  throw new CnbError(`${prefix}${name} failed (${status})${why ? `: ${why}` : ""}`, hint);
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

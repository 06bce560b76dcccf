/**
 * Runs a build tool (Maven, Gradle, their wrappers) with its output streamed into the build
 * log line by line, and turns a failure into one summary line under the tool's own error
 * lines. Only the error lines are kept, so a long build's output is never held in memory.
 */
import { CnbError, type Logger } from "@cnbkit/framework";
import { describeExit, runStreaming } from "@cnbkit/framework/process";

/** Picks the error text out of one output line (`previous` is the line before it), or undefined. */
export type ErrorLinePicker = (line: string, previous: string) => string | undefined;

/** Maven's errors: the text of its `[ERROR] ...` lines. */
export const mavenErrorLine: ErrorLinePicker = (line) =>
  line.startsWith("[ERROR]") && line.trim().length > 8 ? line.slice(8) : undefined;

/** Gradle's errors: the line under `* What went wrong:`, or a compiler's `error:` line. */
export const gradleErrorLine: ErrorLinePicker = (line, previous) =>
  previous.startsWith("* What went wrong:") || /: error: /.test(line) ? line : undefined;

/** Runs `command` (no shell) in `cwd`; rejects with `<what> failed (exit N): <first error line>`. */
export async function runTool(
  command: readonly string[],
  options: {
    cwd: string;
    env: Record<string, string | undefined>;
    log: Logger;
    what: string;
    errorLine?: ErrorLinePicker;
  },
): Promise<void> {
  const pick = options.errorLine ?? mavenErrorLine;
  const errors: string[] = [];
  let previous = "";
  const exit = await runStreaming(command, {
    cwd: options.cwd,
    env: options.env,
    onLine(line) {
      options.log.subprocess(line);
      const error = errors.length < 50 ? pick(line, previous) : undefined;
      if (error) errors.push(error);
      previous = line;
    },
  }).catch((err: Error) => {
    throw new CnbError(`${options.what}: ${err.message}`, { cause: err });
  });
  if (exit.code === 0) return;
  throw new CnbError(`${options.what} failed (${describeExit(exit)})${errors[0] ? `: ${errors[0].trim()}` : ""}`);
}

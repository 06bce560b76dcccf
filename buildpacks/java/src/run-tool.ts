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

/**
 * The program a shell could not find, from its error line (`./mvnw: 13: curl: not found` from
 * dash, `mvnw: line 13: curl: command not found` from bash), or undefined. Hand-written
 * wrapper scripts download with curl or wget, which the build image does not carry.
 *
 * @example
 * missingCommand("/workspace/mvnw: 13: curl: not found") // "curl"
 */
export function missingCommand(line: string): string | undefined {
  return /: ([\w.+-]+): (?:command )?not found\s*$/.exec(line)?.[1];
}

/**
 * Runs `command` (no shell) in `cwd`; rejects with `<what> failed (exit N): <first error line>`,
 * or, when a script it ran could not find a program and the tool printed no error of its own,
 * a line naming that program with a hint.
 */
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
  let missing: string | undefined;
  let previous = "";
  const exit = await runStreaming(command, {
    cwd: options.cwd,
    env: options.env,
    onLine(line) {
      options.log.subprocess(line);
      const error = errors.length < 50 ? pick(line, previous) : undefined;
      if (error) errors.push(error);
      missing ??= missingCommand(line);
      previous = line;
    },
  }).catch((err: Error) => {
    throw new CnbError(`${options.what}: ${err.message}`, { cause: err });
  });
  if (exit.code === 0) return;
  if (missing && !errors[0]) {
    throw new CnbError(`${options.what} failed (${describeExit(exit)}): ${missing} is not in the build image`, {
      hint: `The script calls ${missing}; the official Maven and Gradle wrappers download with Java instead (mvn wrapper:wrapper, gradle wrapper), or remove the script so the buildpack's Maven or Gradle builds the app`,
    });
  }
  throw new CnbError(`${options.what} failed (${describeExit(exit)})${errors[0] ? `: ${errors[0].trim()}` : ""}`);
}

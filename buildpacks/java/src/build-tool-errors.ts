/**
 * The error lines of Maven's and Gradle's output, for `runTool`'s `errorLine` (of
 * `@cnbkit/framework/process`): the first one goes into the error line under the tool's output.
 */
import { CnbError } from "@cnbkit/framework";
import type { ErrorLinePicker, ToolFailure } from "@cnbkit/framework/process";

/**
 * Maven's errors: the text of its `[ERROR] ...` lines that name a cause. Headers
 * (`COMPILATION ERROR :`, all capitals ending in a colon) are skipped, so the one line under
 * the output says `Source option 7 is no longer supported. Use 8 or later.`, not the header
 * above it.
 */
export const mavenErrorLine: ErrorLinePicker = (line) => {
  if (!line.startsWith("[ERROR]")) return undefined;
  const text = line.slice(8);
  if (!text.trim() || /^[A-Z][A-Z ]*:\s*$/.test(text.trim())) return undefined;
  return text;
};

/** Gradle's errors: the line under `* What went wrong:`, or a compiler's `error:` line. */
export const gradleErrorLine: ErrorLinePicker = (line, previous) =>
  previous.startsWith("* What went wrong:") || /: error: /.test(line) ? line : undefined;

/**
 * The program a shell could not find, from its error line (`./mvnw: 13: curl: not found` from
 * dash, `mvnw: line 13: curl: command not found` from bash), or undefined. Hand-written
 * wrapper scripts download with curl or wget: cnbkit's standard Debian 13 build image has
 * curl, but a slim or Debian 12 one, or a builder of someone else's, may have neither.
 *
 * @example
 * missingCommand("/workspace/mvnw: 13: curl: not found") // "curl"
 */
export function missingCommand(line: string): string | undefined {
  return /: ([\w.+-]+): (?:command )?not found\s*$/.exec(line)?.[1];
}

/**
 * An `explain` for `runTool` running a build tool or its wrapper: when the tool printed no
 * error of its own (`errorLine` finds none) but a script it ran could not find a program,
 * the error names that program and points at the official wrappers, which download with Java.
 */
export function explainMissingProgram(
  what: string,
  errorLine: ErrorLinePicker,
): (failure: ToolFailure) => CnbError | undefined {
  return ({ output, status }) => {
    let previous = "";
    let missing: string | undefined;
    for (const line of output.split("\n")) {
      if (errorLine(line, previous)?.trim()) return undefined;
      missing ??= missingCommand(line);
      previous = line;
    }
    if (!missing) return undefined;
    return new CnbError(`${what} failed (${status}): ${missing} is not in the build image`, {
      hint: `The script calls ${missing}; the official Maven and Gradle wrappers download with Java instead (mvn wrapper:wrapper, gradle wrapper), or remove the script so the buildpack's Maven or Gradle builds the app`,
    });
  };
}

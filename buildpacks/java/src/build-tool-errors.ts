/**
 * The error lines of Maven's and Gradle's output, for `runTool`'s `errorLine` (of
 * `@cnbkit/framework/process`): the first one goes into the error line under the tool's output.
 */
import type { ErrorLinePicker } from "@cnbkit/framework/process";

/** Maven's errors: the text of its `[ERROR] ...` lines. */
export const mavenErrorLine: ErrorLinePicker = (line) =>
  line.startsWith("[ERROR]") && line.trim().length > 8 ? line.slice(8) : undefined;

/** Gradle's errors: the line under `* What went wrong:`, or a compiler's `error:` line. */
export const gradleErrorLine: ErrorLinePicker = (line, previous) =>
  previous.startsWith("* What went wrong:") || /: error: /.test(line) ? line : undefined;

/**
 * Runs a build tool (Maven, Gradle, their wrappers) with its output streamed into the build
 * log line by line, and turns a failure into one summary line under the tool's own error
 * lines. Only the error lines are kept, so a long build's output is never held in memory.
 */
import { spawn } from "node:child_process";
import { CnbError, type Logger } from "@cnbkit/framework";

/** Picks the error text out of one output line (`previous` is the line before it), or undefined. */
export type ErrorLinePicker = (line: string, previous: string) => string | undefined;

/** Maven's errors: the text of its `[ERROR] ...` lines. */
export const mavenErrorLine: ErrorLinePicker = (line) =>
  line.startsWith("[ERROR]") && line.trim().length > 8 ? line.slice(8) : undefined;

/** Gradle's errors: the line under `* What went wrong:`, or a compiler's `error:` line. */
export const gradleErrorLine: ErrorLinePicker = (line, previous) =>
  previous.startsWith("* What went wrong:") || /: error: /.test(line) ? line : undefined;

/** Runs `command` (no shell) in `cwd`; rejects with `<what> failed (exit N): <first error line>`. */
export function runTool(
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
  const [file, ...args] = command;
  if (!file) throw new Error("runTool: empty command");
  const env = Object.fromEntries(Object.entries(options.env).filter(([, v]) => v !== undefined)) as Record<
    string,
    string
  >;
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, { cwd: options.cwd, env, stdio: ["ignore", "pipe", "pipe"] });
    const errors: string[] = [];
    let pending = "";
    let previous = "";
    const onData = (chunk: Buffer) => {
      const parts = (pending + chunk.toString("utf8")).split(/\r?\n/);
      pending = parts.pop() ?? "";
      for (const line of parts) {
        options.log.subprocess(line);
        const error = errors.length < 50 ? pick(line, previous) : undefined;
        if (error) errors.push(error);
        previous = line;
      }
    };
    child.stdout.on("data", onData);
    child.stderr.on("data", onData);
    child.on("error", (err) =>
      reject(new CnbError(`${options.what}: "${file}" could not start: ${err.message}`, { cause: err })),
    );
    child.on("close", (code, signal) => {
      if (pending) options.log.subprocess(pending);
      if (code === 0) return resolve();
      const status = signal ? `killed by ${signal}` : `exit ${code}`;
      reject(new CnbError(`${options.what} failed (${status})${errors[0] ? `: ${errors[0].trim()}` : ""}`));
    });
  });
}

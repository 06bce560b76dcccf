/**
 * Runs a build tool (Maven, the Maven wrapper) with its output streamed into the build log
 * line by line, and turns a failure into one summary line under the tool's own error lines.
 * Only the `[ERROR]` lines are kept, so a long build's output is never held in memory.
 */
import { spawn } from "node:child_process";
import { CnbError, type Logger } from "@cnbkit/framework";

/** Runs `command` (no shell) in `cwd`; rejects with `<what> failed (exit N): <first [ERROR] line>`. */
export function runTool(
  command: readonly string[],
  options: { cwd: string; env: Record<string, string | undefined>; log: Logger; what: string },
): Promise<void> {
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
    const onData = (chunk: Buffer) => {
      const parts = (pending + chunk.toString("utf8")).split(/\r?\n/);
      pending = parts.pop() ?? "";
      for (const line of parts) {
        options.log.subprocess(line);
        if (line.startsWith("[ERROR]") && line.trim().length > 8 && errors.length < 50) errors.push(line.slice(8));
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

/**
 * One child process with its stdout and stderr delivered as lines while it runs. Each stream
 * is split on its own, and decoded as UTF-8 across chunk boundaries, so a line is never two
 * streams' halves glued together nor a character cut in two. What the lines mean, and what a
 * non-zero exit is, stays with the caller: every tool says "failed" in its own way.
 */
import { spawn } from "node:child_process";
import type { Readable } from "node:stream";
import { CnbError } from "../errors/index.js";
import type { ToolEnv } from "../environment/tool-env.js";

/** How a process ended: its exit code, or the signal that killed it. */
export interface ProcessExit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/** Which stream a line came from. */
export type OutputStream = "stdout" | "stderr";

/** Options for {@link runStreaming}. */
export interface RunStreamingOptions {
  cwd: string;
  /** The whole environment of the process (undefined = unset). */
  env: ToolEnv;
  /**
   * Called with each line of stdout and stderr, without its line ending, in the order printed,
   * and the stream it came from (a value a tool prints goes to stdout, its chatter to stderr).
   */
  onLine(line: string, stream: OutputStream): void;
}

/**
 * Runs `command` (no shell; stdin is closed) and resolves with how it exited, once all its
 * output has been delivered. Rejects with a {@link CnbError} only when it could not start.
 *
 * @example
 * const exit = await runStreaming(["npm", "ci"], { cwd, env, onLine: (l) => log.subprocess(l) });
 * if (exit.code !== 0) throw new CnbError(`"npm ci" failed (${describeExit(exit)})`);
 */
export function runStreaming(command: readonly string[], options: RunStreamingOptions): Promise<ProcessExit> {
  const [file, ...args] = command;
  if (!file) throw new Error("runStreaming: empty command");
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(options.env)) if (v !== undefined) env[k] = v;
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, { cwd: options.cwd, env, stdio: ["ignore", "pipe", "pipe"] });
    const flush = [
      splitLines(child.stdout, (line) => options.onLine(line, "stdout")),
      splitLines(child.stderr, (line) => options.onLine(line, "stderr")),
    ];
    child.on("error", (err: NodeJS.ErrnoException) =>
      reject(
        new CnbError(
          err.code === "ENOENT"
            ? `"${file}" was not found${file.includes("/") ? "" : " on PATH"}`
            : `"${command.join(" ")}" could not start: ${err.message}`,
          { cause: err },
        ),
      ),
    );
    child.on("close", (code, signal) => {
      for (const f of flush) f();
      resolve({ code, signal });
    });
  });
}

/** "exit 1", or "killed by SIGKILL": how a failed process ended, for an error line. */
export function describeExit(exit: ProcessExit): string {
  return exit.signal ? `killed by ${exit.signal}` : `exit ${exit.code}`;
}

/** Feeds `stream`'s lines to `onLine`; the returned function delivers a last unterminated line. */
function splitLines(stream: Readable, onLine: (line: string) => void): () => void {
  let pending = "";
  stream.setEncoding("utf8");
  stream.on("data", (text: string) => {
    const parts = (pending + text).split(/\r?\n/);
    pending = parts.pop() ?? "";
    for (const line of parts) onLine(line);
  });
  return () => {
    if (pending) onLine(pending);
    pending = "";
  };
}

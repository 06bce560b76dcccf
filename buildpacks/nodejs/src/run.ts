/**
 * Runs a tool (npm, yarn, pnpm, a build script) with its output streamed into the build log,
 * and turns a failure into one line a user can act on, with the tool's own output above it.
 */
import { spawn } from "node:child_process";
import { CnbError, type Logger } from "@cnbkit/framework";

/** Options for {@link runTool}. */
export interface RunOptions {
  cwd: string;
  env: Record<string, string | undefined>;
  log: Logger;
  /** Prefix for the error line, e.g. `package-lock.json` (the file the user should look at). */
  where?: string;
  /** A hint shown under the error line. */
  hint?: string;
  /** Show {@link hint} only when the tool's output matches this (e.g. a lockfile out of sync). */
  hintWhen?: RegExp;
  /**
   * Lines that tools repeat once per package (yarn 2/3's `YN0013` fetch lines): the first is
   * shown, the rest are counted into one line at the end.
   */
  fold?: RegExp;
}

/** Patterns of the line that says what went wrong, per tool (first match wins). */
const ERROR_LINE = [
  /^npm (?:ERR!|error) (?!code\b|errno\b|A complete log|Run "npm help|This command|\s*$)(.+)$/,
  /^error (.+)$/, // yarn classic
  /^➤ YN\d{4}: .*(?:error|Error|failed|must|lockfile).*$/, // yarn berry
  /^ ?ERR_PNPM_\w+\s*(.+)$/,
  /^(\S*Error: .+)$/,
];

/** The most telling error line in a tool's output, if any. */
export function errorLine(output: string): string | undefined {
  const lines = output.split(/\r?\n/).map((l) => l.trim());
  for (const re of ERROR_LINE) {
    for (const l of lines) {
      const m = re.exec(l);
      if (m) return (m[1] ?? m[0]).trim();
    }
  }
  return undefined;
}

/**
 * Runs `command` (no shell), streaming stdout and stderr as subprocess lines. Resolves with
 * the combined output; rejects with a {@link CnbError} `"<command>" failed (exit N): <line>`.
 */
export function runTool(command: readonly string[], options: RunOptions): Promise<string> {
  const [file, ...args] = command;
  if (!file) throw new Error("runTool: empty command");
  return new Promise((resolve, reject) => {
    const env = Object.fromEntries(Object.entries(options.env).filter(([, v]) => v !== undefined)) as Record<
      string,
      string
    >;
    const child = spawn(file, args, { cwd: options.cwd, env, stdio: ["ignore", "pipe", "pipe"] });
    let output = "";
    let pending = "";
    let folded = 0;
    const show = (line: string) => {
      if (options.fold?.test(line) && folded++ > 0) return;
      options.log.subprocess(line);
    };
    const onData = (chunk: Buffer) => {
      const text = chunk.toString("utf8");
      output += text;
      pending += text;
      const parts = pending.split(/\r?\n/);
      pending = parts.pop() ?? "";
      for (const p of parts) show(p);
    };
    child.stdout.on("data", onData);
    child.stderr.on("data", onData);
    child.on("error", (err) => {
      const code = (err as NodeJS.ErrnoException).code;
      reject(
        new CnbError(
          code === "ENOENT"
            ? `"${file}" was not found on PATH`
            : `"${command.join(" ")}" could not start: ${err.message}`,
          { cause: err },
        ),
      );
    });
    child.on("close", (code, signal) => {
      if (pending) show(pending);
      if (folded > 1) options.log.subprocess(`(${folded - 1} more "${options.fold?.source}" lines not shown)`);
      if (code === 0) return resolve(output);
      const why = errorLine(output);
      const status = signal ? `killed by ${signal}` : `exit ${code}`;
      const prefix = options.where ? `${options.where}: ` : "";
      reject(
        new CnbError(`${prefix}"${command.join(" ")}" failed (${status})${why ? `: ${why}` : ""}`, {
          ...(options.hint && (!options.hintWhen || options.hintWhen.test(output)) ? { hint: options.hint } : {}),
        }),
      );
    });
  });
}

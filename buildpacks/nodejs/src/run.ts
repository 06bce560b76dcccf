/**
 * Runs a tool (npm, yarn, pnpm, a build script) with its output streamed into the build log,
 * and turns a failure into one line a user can act on, with the tool's own output above it.
 */
import { CnbError, type Logger } from "@cnbkit/framework";
import { describeExit, runStreaming } from "@cnbkit/framework/process";

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
export async function runTool(command: readonly string[], options: RunOptions): Promise<string> {
  const lines: string[] = [];
  let folded = 0;
  const exit = await runStreaming(command, {
    cwd: options.cwd,
    env: options.env,
    onLine(line) {
      lines.push(line);
      if (options.fold?.test(line) && folded++ > 0) return;
      options.log.subprocess(line);
    },
  });
  if (folded > 1) options.log.subprocess(`(${folded - 1} more "${options.fold?.source}" lines not shown)`);
  const output = lines.join("\n");
  if (exit.code === 0) return output;
  const why = errorLine(output);
  const prefix = options.where ? `${options.where}: ` : "";
  throw new CnbError(`${prefix}"${command.join(" ")}" failed (${describeExit(exit)})${why ? `: ${why}` : ""}`, {
    ...(options.hint && (!options.hintWhen || options.hintWhen.test(output)) ? { hint: options.hint } : {}),
  });
}

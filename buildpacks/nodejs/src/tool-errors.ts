/**
 * What a failed npm, yarn or pnpm run (or a build script) says went wrong: the line for the
 * error that `runTool` of `@cnbkit/framework/process` throws.
 */
import type { ToolFailure } from "@cnbkit/framework/process";

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

/** For `runTool`'s `explain`: the error line of a Node.js tool's failure. */
export function explainNodeTool(failure: ToolFailure): string | undefined {
  return errorLine(failure.output);
}

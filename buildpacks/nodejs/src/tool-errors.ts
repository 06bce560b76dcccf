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

/**
 * Causes a tool names a few lines below its own error line, which say more than it: Next.js's
 * `next/font/google` downloads each font from Google Fonts during `next build`, and on a
 * network that cannot reach it Turbopack's line is only "build failed with 2 errors".
 */
const KNOWN_CAUSES: readonly [RegExp, (m: RegExpExecArray) => string][] = [
  [
    /Failed to fetch `([^`]+)` from Google Fonts/,
    (m) =>
      `next/font/google could not fetch \`${m[1]}\` from Google Fonts during the build (the build cannot reach fonts.googleapis.com): self-host the font with next/font/local, or build where Google Fonts is reachable`,
  ],
  // A package's install script or a build step downloading from its own host (a browser, a
  // binary, a font): pnpm's and npm's last lines are only "ELIFECYCLE Command failed".
  [
    /^(?:(\S+) (?:postinstall|install|preinstall)(?: \$[^:]*)?: )?.*getaddrinfo (ENOTFOUND|EAI_AGAIN) ([\w.-]+)/m,
    (m) =>
      `${m[1] ? `${packageName(m[1])}'s install script` : "the build"} could not resolve ${m[3]} (getaddrinfo ${m[2]}): the build cannot reach that host; build where it is reachable, or set the package's own variable to skip or mirror the download`,
  ],
];

/** `cypress` from pnpm's `node_modules/.pnpm/cypress@13.6.1/node_modules/cypress` (or any path). */
function packageName(path: string): string {
  return /node_modules\/((?:@[^/]+\/)?[^/]+)\/?$/.exec(path)?.[1] ?? path;
}

/** For `runTool`'s `explain`: the error line of a Node.js tool's failure. */
export function explainNodeTool(failure: ToolFailure): string | undefined {
  for (const [re, say] of KNOWN_CAUSES) {
    const m = re.exec(failure.output);
    if (m) return say(m);
  }
  return errorLine(failure.output);
}

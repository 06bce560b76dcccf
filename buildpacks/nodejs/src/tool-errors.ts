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

/**
 * The most telling error line in a tool's output, if any. A line that is only a header for
 * the errors below it (Vite's `error during build:`, Next.js's `Turbopack build failed with 2
 * errors:`) gives way to the first line under it that names a cause.
 */
export function errorLine(output: string): string | undefined {
  const lines = output.split(/\r?\n/).map((l) => l.replace(/\x1b\[[0-9;]*m/g, "").trim());
  for (const re of ERROR_LINE) {
    for (const [i, l] of lines.entries()) {
      const m = re.exec(l);
      if (!m) continue;
      const line = (m[1] ?? m[0]).trim();
      return isHeader(line) ? (causeBelow(lines, i) ?? line) : line;
    }
  }
  return undefined;
}

/** A line that introduces errors rather than naming one: it ends with a colon. */
function isHeader(line: string): boolean {
  return /:$/.test(line);
}

/** A source location a bundler prints above or beside an error (`./app/page.js:1:1`, `file: …`). */
const LOCATION = /^(?:file: (.+)|((?:\.{0,2}\/|\[[\w-]+\]\/)?[\w@./[\]()-]+\.\w+(?::\d+){1,2}))$/;

/**
 * The first line under a header (at `at`) that names a cause, with the location printed just
 * above it: Turbopack prints `./app/page.js:1:1` and then `Error: Module not found: …`.
 * Blank lines, further headers and links are passed over; a stack trace ends the search.
 */
function causeBelow(lines: readonly string[], at: number): string | undefined {
  let where: string | undefined;
  for (const l of lines.slice(at + 1, at + 30)) {
    if (l === "" || isHeader(l) || /^https?:\/\//.test(l)) continue;
    if (/^at /.test(l)) return undefined;
    const loc = LOCATION.exec(l);
    if (loc) {
      where = loc[1] ?? loc[2];
      continue;
    }
    return where ? `${where}: ${l}` : l;
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

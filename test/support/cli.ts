/**
 * The CLI run in the test's own process, for tests that read what a command prints: no child
 * process, no bundle, and the exit code as a value.
 */
import { expect } from "vitest";
import { main } from "../../builder-packager/src/cli/index.js";

/** What one command printed, line by line joined, and its exit code. */
export interface CliResult {
  code: number;
  out: string;
  err: string;
}

/** Runs `cnbkit <args>` in-process and collects its output. */
export async function runCli(args: string[]): Promise<CliResult> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(args, { out: (l) => out.push(l), err: (l) => err.push(l) });
  return { code, out: out.join("\n"), err: err.join("\n") };
}

/** The lines of a titled section of inspect output ("Buildpacks:") up to the next blank line. */
export function outputSection(text: string, title: string): string[] {
  const lines = text.split("\n");
  const start = lines.indexOf(title);
  expect(start, `no "${title}" in:\n${text}`).toBeGreaterThanOrEqual(0);
  const end = lines.findIndex((l, i) => i > start && l.trim() === "");
  return lines.slice(start, end < 0 ? undefined : end);
}

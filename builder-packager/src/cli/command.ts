/**
 * How a `cnbkit` subcommand is declared: its usage, options and what it runs.
 *
 * Parsing uses Node's own `util.parseArgs`. Every command gets `--help` and `--verbose`
 * for free, and a bad flag is one line naming the flag, the nearest known one when it looks
 * like a typo, and pointing at `--help`.
 */
import { parseArgs } from "node:util";
import { CnbError } from "@cnbkit/framework";
import { nearest } from "./nearest.js";

/** One option of a command, as `util.parseArgs` takes it plus a line of help. */
export interface OptionSpec {
  type: "string" | "boolean";
  short?: string;
  multiple?: boolean;
  /** Shown in `--help`, e.g. "<ref>". */
  value?: string;
  help: string;
}

/** What a command's `run` receives. */
export interface Invocation {
  positionals: string[];
  values: Record<string, string | boolean | string[] | undefined>;
  verbose: boolean;
  /** Where normal output goes (stdout by default). */
  out: (line: string) => void;
  /** Where progress and diagnostics go (stderr by default). */
  err: (line: string) => void;
}

/**
 * A subcommand of `cnbkit`: its declaration (what `--help` and flag parsing need) and `run`.
 * A command's file holds only the declaration; `run` imports the module that does the work
 * (`<file>-run.ts`) with {@link lazyRun}, so starting `cnbkit` parses no command's code but
 * the one it runs. A declaration imports no stage: what it imports is parsed at every start,
 * with everything that imports in turn (bin.test.ts checks).
 *
 * @example
 * export const inspect: Command = {
 *   name: "inspect", summary: "Show an app image's processes and buildpacks",
 *   usage: "cnbkit inspect <image> [--json]",
 *   positionals: { min: 1, max: 1, names: "<image>" },
 *   options: { json: { type: "boolean", help: "print JSON" } },
 *   run: lazyRun(() => import("./inspect-run.js")),
 * };
 */
export interface Command {
  name: string;
  summary: string;
  usage: string;
  /** More text for `--help`, after the usage line. */
  description?: string;
  /** Whole command lines shown under "Examples:" in `--help`, together using every option. */
  examples?: string[];
  positionals: { min: number; max: number; names: string };
  options: Record<string, OptionSpec>;
  /** Returns the process exit code (0 when omitted). */
  run(inv: Invocation): Promise<number | undefined>;
}

/** What a command's run module (`<command>-run.ts`) exports. */
export interface CommandModule {
  /** Does the command; returns the process exit code (0 when omitted). */
  run(inv: Invocation): Promise<number | undefined>;
}

/**
 * A command's `run` that imports its module only when the command runs. Every command's code
 * and the stages it uses would otherwise be parsed and evaluated by every `cnbkit` start,
 * `--version` and `--help` included (issue 76).
 */
export function lazyRun(load: () => Promise<CommandModule>): Command["run"] {
  return async (inv) => (await load()).run(inv);
}

const COMMON: Record<string, OptionSpec> = {
  help: { type: "boolean", short: "h", help: "show this help" },
  verbose: { type: "boolean", short: "v", help: "show debug output and stack traces" },
};

/** Renders a command's `--help` text. */
export function helpText(cmd: Command): string {
  const opts = { ...cmd.options, ...COMMON };
  const rows = Object.entries(opts).map(([name, o]) => {
    const flag = `${o.short ? `-${o.short}, ` : "    "}--${name}${o.value ? ` ${o.value}` : ""}`;
    return `  ${flag.padEnd(34)} ${o.help}${o.multiple ? " (repeatable)" : ""}`;
  });
  return [
    `${cmd.summary}`,
    "",
    `Usage: ${cmd.usage}`,
    ...(cmd.description ? ["", cmd.description] : []),
    "",
    "Options:",
    ...rows,
    ...(cmd.examples?.length ? ["", "Examples:", ...cmd.examples.map((e) => `  ${e}`)] : []),
  ].join("\n");
}

/**
 * Parses `argv` for `cmd`. Returns undefined when `--help` was asked (and printed).
 * Throws a CnbError naming the bad flag or argument.
 */
export function parseInvocation(
  cmd: Command,
  argv: string[],
  io: Pick<Invocation, "out" | "err">,
): Invocation | undefined {
  const options = Object.fromEntries(
    Object.entries({ ...cmd.options, ...COMMON }).map(([name, o]) => [
      name,
      { type: o.type, ...(o.short ? { short: o.short } : {}), ...(o.multiple ? { multiple: true } : {}) },
    ]),
  );
  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs({ args: argv, options, allowPositionals: true, strict: true });
  } catch (err) {
    throw parseError(cmd, err);
  }
  const values = parsed.values as Invocation["values"];
  if (values.help) {
    io.out(helpText(cmd));
    return undefined;
  }
  const n = parsed.positionals.length;
  if (n < cmd.positionals.min || n > cmd.positionals.max) {
    const what =
      n < cmd.positionals.min
        ? `missing ${cmd.positionals.names}`
        : `unexpected argument "${parsed.positionals[cmd.positionals.max]}"`;
    throw new CnbError(`cnbkit ${cmd.name}: ${what}`, { hint: `Usage: ${cmd.usage}` });
  }
  return { positionals: parsed.positionals, values, verbose: values.verbose === true, ...io };
}

/** A parseArgs failure as one line; an unknown flag names the nearest known one. */
function parseError(cmd: Command, err: unknown): CnbError {
  const hint = `See 'cnbkit ${cmd.name} --help'.`;
  const msg = err instanceof Error ? err.message.split("\n")[0]!.replace(/\. To specify.*$/, "") : String(err);
  const unknown = /^Unknown option '(-{1,2})([^'=]+)/.exec(msg);
  if (!unknown) return new CnbError(`cnbkit ${cmd.name}: ${msg}`, { hint });
  const [, dashes, name] = unknown;
  const near = dashes === "--" ? nearest(name!, Object.keys({ ...cmd.options, ...COMMON })) : undefined;
  const suggestion = near ? ` (did you mean --${near}?)` : "";
  return new CnbError(`cnbkit ${cmd.name}: unknown flag ${dashes}${name}${suggestion}`, { hint });
}

/** Reads a string option, throwing a CnbError when it is required and missing. */
export function stringOption(inv: Invocation, name: string, required: true): string;
export function stringOption(inv: Invocation, name: string, required?: false): string | undefined;
export function stringOption(inv: Invocation, name: string, required = false): string | undefined {
  const v = inv.values[name];
  if (typeof v === "string") return v;
  if (required) throw new CnbError(`missing --${name}`, { hint: "See --help for the options." });
  return undefined;
}

/** Reads a repeatable string option as an array (empty when absent). */
export function listOption(inv: Invocation, name: string): string[] {
  const v = inv.values[name];
  if (Array.isArray(v)) return v;
  return typeof v === "string" ? [v] : [];
}

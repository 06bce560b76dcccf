/**
 * The `cnbkit` command line: dispatches to a subcommand and turns every failure into one
 * line (plus an optional hint) and a non-zero exit. Stack traces only with --verbose or
 * BP_LOG_LEVEL=debug.
 */
import { formatError } from "@cnbkit/framework/packaging";
import { type Command, parseInvocation } from "./command.js";
import { commands } from "./commands/index.js";
import { nearest } from "./nearest.js";

/** The CLI's version, the package's. */
export const VERSION = "0.1.0";

function topHelp(list: Command[]): string {
  const width = Math.max(...list.map((c) => c.name.length)) + 2;
  return [
    "cnbkit: build Cloud Native Buildpacks, builders and app images, without Docker.",
    "",
    "Usage: cnbkit <command> [options]",
    "",
    "Commands:",
    ...list.map((c) => `  ${c.name.padEnd(width)}${c.summary}`),
    "",
    "Run 'cnbkit <command> --help' for a command's options.",
  ].join("\n");
}

/** The subcommands of a command group ("base", "builder"), empty when `name` is no group. */
function groupOf(name: string, list: Command[]): Command[] {
  return list.filter((c) => c.name.startsWith(`${name} `));
}

/** `cnbkit <group> --help`: the group's subcommands with their summaries. */
function groupHelp(group: string, members: Command[]): string {
  const width = Math.max(...members.map((c) => c.name.length)) + 2;
  return [
    `Usage: cnbkit ${group} <command> [options]`,
    "",
    "Commands:",
    ...members.map((c) => `  ${c.name.padEnd(width)}${c.summary}`),
    "",
    `Run 'cnbkit ${group} <command> --help' for a command's options.`,
  ].join("\n");
}

/**
 * Runs the CLI with `argv` (without node and script) and returns the exit code.
 * Exported so tests can run commands in-process.
 */
export async function main(
  argv: string[],
  io: { out: (line: string) => void; err: (line: string) => void } = {
    out: (l) => process.stdout.write(`${l}\n`),
    err: (l) => process.stderr.write(`${l}\n`),
  },
): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === "--help" || name === "-h" || name === "help") {
    io.out(topHelp(commands));
    return name ? 0 : 2;
  }
  if (name === "--version" || name === "version") {
    io.out(`cnbkit ${VERSION}`);
    return 0;
  }
  // Two-word commands ("builder create") are registered under their full name.
  const twoWord = rest[0] && commands.find((c) => c.name === `${name} ${rest[0]}`);
  const cmd = twoWord || commands.find((c) => c.name === name);
  const args = twoWord ? rest.slice(1) : rest;
  const members = groupOf(name, commands);
  if (!twoWord && members.length > 0 && (!rest[0] || rest[0] === "--help" || rest[0] === "-h")) {
    io.out(groupHelp(name, members));
    return rest[0] ? 0 : 2;
  }
  if (!cmd) {
    const typed = rest[0] && !rest[0].startsWith("-") ? `${name} ${rest[0]}` : name;
    const near =
      nearest(
        typed,
        commands.map((c) => c.name),
      ) ??
      nearest(
        name,
        commands.map((c) => c.name),
      );
    const suggestion = near ? ` (did you mean '${near}'?)` : "";
    // Within a group, the unknown word is the subcommand, and the group's help is the list.
    const shown = members.length > 0 ? typed : name;
    const list = members.length > 0 ? `cnbkit ${name} --help` : "cnbkit --help";
    io.err(formatError(new Error(`unknown command "${shown}"${suggestion}; run '${list}' for the list`)));
    return 2;
  }
  const verbose = args.includes("--verbose") || args.includes("-v") || process.env.BP_LOG_LEVEL === "debug";
  try {
    const inv = parseInvocation(cmd, args, io);
    if (!inv) return 0;
    return (await cmd.run(inv)) ?? 0;
  } catch (err) {
    io.err(formatError(err, verbose));
    return 1;
  }
}

/**
 * The cli stage's public surface: `cnbkit` itself (argument parsing, help, the one-line
 * errors and exit codes) and its subcommands, each a thin layer over another stage.
 */
export { type Command, helpText, type Invocation, parseInvocation } from "./command.js";
export { commands } from "./commands/index.js";
export { newCommand } from "./commands/new.js";
export { main, VERSION } from "./main.js";

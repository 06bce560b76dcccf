/** Every `cnbkit` subcommand, in the order `cnbkit --help` lists them. */
import type { Command } from "../command.js";

export const commands: Command[] = [];

/** Every `cnbkit` subcommand, in the order `cnbkit --help` lists them. */
import type { Command } from "../command.js";
import { builderCreateCommand } from "./builder-create.js";
import { packageCommand } from "./package.js";

export const commands: Command[] = [packageCommand, builderCreateCommand];

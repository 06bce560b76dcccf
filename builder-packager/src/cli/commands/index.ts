/** Every `cnbkit` subcommand, in the order `cnbkit --help` lists them. */
import type { Command } from "../command.js";
import { baseCreateCommand } from "./base-create.js";
import { baseExtendCommand } from "./base-extend.js";
import { buildCommand } from "./build.js";
import { buildpackInspectCommand } from "./buildpack-inspect.js";
import { builderCreateCommand } from "./builder-create.js";
import { builderInspectCommand } from "./builder-inspect.js";
import { fleetPatchCommand } from "./fleet-patch.js";
import { fleetQueryCommand } from "./fleet-query.js";
import { fleetRebaseCommand } from "./fleet-rebase.js";
import { fleetScanCommand } from "./fleet-scan.js";
import { inspectCommand } from "./inspect.js";
import { lifecycleImageCommand } from "./lifecycle-image.js";
import { newCommand } from "./new.js";
import { packageCommand } from "./package.js";
import { rebaseCommand } from "./rebase.js";
import { runCommand } from "./run.js";
import { sbomCommand } from "./sbom.js";
import { signCommand } from "./sign.js";
import { verifyCommand } from "./verify.js";

/** Every subcommand, in the order `cnbkit --help` lists them. */
export const commands: Command[] = [
  newCommand,
  packageCommand,
  baseCreateCommand,
  baseExtendCommand,
  builderCreateCommand,
  builderInspectCommand,
  lifecycleImageCommand,
  buildpackInspectCommand,
  buildCommand,
  runCommand,
  rebaseCommand,
  inspectCommand,
  sbomCommand,
  signCommand,
  verifyCommand,
  fleetScanCommand,
  fleetQueryCommand,
  fleetRebaseCommand,
  fleetPatchCommand,
];

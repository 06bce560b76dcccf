/** Every `cnbkit` subcommand, in the order `cnbkit --help` lists them. */
import type { Command } from "../command.js";
import { baseCreateCommand } from "./base-create.js";
import { buildCommand } from "./build.js";
import { buildpackInspectCommand } from "./buildpack-inspect.js";
import { builderCreateCommand } from "./builder-create.js";
import { builderInspectCommand } from "./builder-inspect.js";
import { inspectCommand } from "./inspect.js";
import { newCommand } from "./new.js";
import { packageCommand } from "./package.js";
import { rebaseCommand } from "./rebase.js";
import { runCommand } from "./run.js";
import { sbomCommand } from "./sbom.js";

/**
 * `cnbkit build`'s examples. build.ts is being changed on another branch (new flags) as these
 * are added; after that merge they belong in build.ts, and examples given there win.
 */
const build: Command = {
  ...buildCommand,
  examples: buildCommand.examples ?? [
    "cnbkit build my-app --builder oci:out/builder:latest --output oci:out/app:latest",
    "cnbkit build my-app -B registry.example.com/acme/builder:1 -o registry.example.com/acme/app:1 --platform linux/arm64",
    "cnbkit build my-app -B oci:out/builder -o oci:out/app --env NODE_ENV=production --env-file build.env",
    "cnbkit build my-app -B oci:out/builder -o oci:out/app --volume ./ca:/platform/bindings/ca --binding ca=./ca",
    "cnbkit build my-app -B oci:out/builder -o oci:out/app --run-image oci:out/base:run --cache-dir .cache/app --stall-timeout 10m",
  ],
};

/** Every subcommand, in the order `cnbkit --help` lists them. */
export const commands: Command[] = [
  newCommand,
  packageCommand,
  baseCreateCommand,
  builderCreateCommand,
  builderInspectCommand,
  buildpackInspectCommand,
  build,
  runCommand,
  rebaseCommand,
  inspectCommand,
  sbomCommand,
];

/** `cnbkit new`: a buildpack, composite, builder or image extension project from a template. */
import { type Command, lazyRun } from "../command.js";

/** `cnbkit new <dir> [--template buildpack|composite|builder|extension] [--id …] [--name …]`. */
export const newCommand: Command = {
  name: "new",
  summary: "Create a buildpack, composite, builder or image extension project from a template",
  usage: "cnbkit new <dir> [--template buildpack|composite|builder|extension] [--id <id>] [--name <name>]",
  description: [
    "buildpack: a TypeScript buildpack with @cnbkit/framework, tests and a package script.",
    "composite: a composite buildpack (an [[order]] of two components) with package.toml.",
    "builder:   builder.toml plus a CA certificates and an org-defaults buildpack, tested.",
    "extension: an image extension with @cnbkit/framework (detect + generate: a build.Dockerfile",
    "           that apt-get installs BP_APT_PACKAGES), tests and a package script.",
    "The directory must not exist or be empty.",
  ].join("\n"),
  positionals: { min: 1, max: 1, names: "<dir>" },
  examples: [
    "cnbkit new my-buildpack --id acme/hello --name 'Acme Hello'",
    "cnbkit new my-composite --template composite --id acme/stack",
    "cnbkit new my-builder --template builder",
    "cnbkit new my-apt --template extension --id acme/apt",
  ],
  options: {
    template: {
      type: "string",
      short: "t",
      value: "<template>",
      help: "buildpack, composite, builder, extension (default buildpack)",
    },
    id: { type: "string", value: "<id>", help: "buildpack id, e.g. acme/hello (default example/<dir>)" },
    name: { type: "string", value: "<name>", help: "human name (default from <dir>)" },
  },
  run: lazyRun(() => import("./new-run.js")),
};

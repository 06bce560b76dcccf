/** `cnbkit package`: a buildpack, composite or image extension → directory, .cnb file, OCI layout or registry image. */
import { type Command, lazyRun } from "../command.js";

/** `cnbkit package <buildpack-dir> --format … --output …`. */
export const packageCommand: Command = {
  name: "package",
  summary: "Compile a buildpack and package it as a directory, .cnb file, OCI layout or image",
  usage:
    "cnbkit package <buildpack-dir> --format dir|file|oci|image --output <path|ref> [--target linux/amd64,linux/arm64] [--offline] [--standalone]",
  description: [
    "A buildpack directory has buildpack.toml and a framework entry (src/index.ts, or [metadata.cnbkit] entry).",
    "It is bundled into lib/main.cjs, which bin/detect and bin/build (sh launchers) run on the shared",
    "Node.js runtime: the buildpack cnbkit/node-runtime, packaged beside it as one layer per target.",
    "A builder of several cnbkit buildpacks holds that runtime once.",
    "--standalone embeds Node instead (bin/main, a ~115 MB single executable; bin/detect and",
    "bin/build link to it): one self-contained buildpack. --format dir is always standalone.",
    "A composite has [[order]] in buildpack.toml and its components in package.toml.",
    "An image extension has extension.toml (and no buildpack.toml): bin/generate (and maybe bin/detect)",
    "as they are, or src/index.ts calling extension({ detect, generate }), compiled standalone. Its",
    "package carries the io.buildpacks.extension.layers label, as pack's extension package writes it.",
  ].join("\n"),
  positionals: { min: 1, max: 1, names: "<buildpack-dir>" },
  examples: [
    "cnbkit package buildpacks/nodejs --format file --output out/nodejs.cnb",
    "cnbkit package buildpacks/nodejs --format oci --output oci:out/nodejs:0.1.0 --target linux/amd64,linux/arm64",
    "cnbkit package buildpacks/nodejs --format image --output 192.168.1.5:5000/acme/nodejs:0.1.0 --insecure-registry",
    "cnbkit package buildpacks/nodejs --format dir --output out/nodejs --offline",
    "cnbkit package buildpacks/nodejs --format file --output out/nodejs.cnb --standalone",
    "cnbkit package extensions/apt --format file --output out/apt.cnb",
  ],
  options: {
    format: {
      type: "string",
      short: "f",
      value: "<format>",
      help: "dir, file (.cnb), oci (OCI layout) or image (registry)",
    },
    output: { type: "string", short: "o", value: "<path|ref>", help: "where to write it" },
    target: {
      type: "string",
      short: "t",
      multiple: true,
      value: "<os/arch>",
      help: "target platforms (default: this machine's)",
    },
    offline: { type: "boolean", help: "bundle every inventory dependency so builds need no network" },
    standalone: { type: "boolean", help: "embed Node in the buildpack instead of the shared runtime layer" },
    "insecure-registry": { type: "boolean", help: "use plain HTTP for a non-loopback registry" },
  },
  run: lazyRun(() => import("./package-run.js")),
};

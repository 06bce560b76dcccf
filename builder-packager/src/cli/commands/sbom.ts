/** `cnbkit sbom`: the SBOM files the lifecycle put in an app image. */
import { type Command, lazyRun } from "../command.js";

/** `cnbkit sbom <image> --output <dir>`. */
export const sbomCommand: Command = {
  name: "sbom",
  summary: "Extract an app image's SBOM layer (CycloneDX/SPDX per layer, launch and build) to a directory",
  usage: "cnbkit sbom <image> --output <dir> [--platform <os/arch>]",
  positionals: { min: 1, max: 1, names: "<image>" },
  examples: [
    "cnbkit sbom oci:out/app:latest --output out/sbom",
    "cnbkit sbom oci:out/multi-app:latest --output out/sbom-arm64 --platform linux/arm64",
  ],
  options: {
    output: { type: "string", short: "o", value: "<dir>", help: "directory to write the SBOM files to" },
    platform: {
      type: "string",
      value: "<os/arch>",
      help: "which image of an image index, e.g. linux/arm64 (default: this machine's)",
    },
  },
  run: lazyRun(() => import("./sbom-run.js")),
};

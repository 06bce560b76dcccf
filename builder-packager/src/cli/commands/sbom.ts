/** `cnbkit sbom`: the SBOM files the lifecycle put in an app image. */
import { resolve } from "node:path";
import { CnbError } from "@cnbkit/framework";
import { exportSbom, parsePlatforms } from "../../platform/index.js";
import { type Command, listOption, stringOption } from "../command.js";
import { imageRef } from "../refs.js";

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
  async run(inv) {
    const out = resolve(stringOption(inv, "output", true));
    const platforms = parsePlatforms(listOption(inv, "platform"));
    if (platforms.length > 1) throw new CnbError("--platform: one platform's SBOM at a time; give one os/arch");
    const files = await exportSbom(imageRef(inv.positionals[0]!), out, platforms[0]);
    for (const f of files) inv.out(f);
    inv.err(`${files.length} SBOM files written to ${out}`);
    return 0;
  },
};

/** `cnbkit sbom`: the SBOM files the lifecycle put in an app image. */
import { resolve } from "node:path";
import { exportSbom } from "../../platform/index.js";
import { type Command, stringOption } from "../command.js";
import { imageRef } from "../refs.js";

/** `cnbkit sbom <image> --output <dir>`. */
export const sbomCommand: Command = {
  name: "sbom",
  summary: "Extract an app image's SBOM layer (CycloneDX/SPDX per layer, launch and build) to a directory",
  usage: "cnbkit sbom <image> --output <dir>",
  positionals: { min: 1, max: 1, names: "<image>" },
  examples: ["cnbkit sbom oci:out/app:latest --output out/sbom"],
  options: { output: { type: "string", short: "o", value: "<dir>", help: "directory to write the SBOM files to" } },
  async run(inv) {
    const out = resolve(stringOption(inv, "output", true));
    const files = await exportSbom(imageRef(inv.positionals[0]!), out);
    for (const f of files) inv.out(f);
    inv.err(`${files.length} SBOM files written to ${out}`);
    return 0;
  },
};

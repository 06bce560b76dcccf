/** `cnbkit rebase`: swap an app image's run-image layers by rewriting config and manifest only. */
import { rebaseImage } from "../../platform/index.js";
import { type Command, stringOption } from "../command.js";
import { absoluteRef, imageRef } from "../refs.js";

/** `cnbkit rebase <image> --run-image <ref> [--output <ref>] [--force]`. */
export const rebaseCommand: Command = {
  name: "rebase",
  summary: "Rebase an app image onto a new run image (only config and manifest are rewritten)",
  usage: "cnbkit rebase <image> [--run-image <ref>] [--output <ref>] [--force]",
  positionals: { min: 1, max: 1, names: "<image>" },
  examples: [
    "cnbkit rebase oci:out/app:latest",
    "cnbkit rebase oci:out/app --run-image oci:out/base:run --output oci:out/app:rebased --force",
  ],
  options: {
    "run-image": { type: "string", value: "<ref>", help: "the new run image (default: the one the image records)" },
    output: {
      type: "string",
      short: "o",
      value: "<ref>",
      help: "write the result here instead of moving the image's tag",
    },
    force: { type: "boolean", help: "rebase even if the image is not rebasable or the os/arch differ" },
  },
  async run(inv) {
    const runImage = stringOption(inv, "run-image");
    const output = stringOption(inv, "output");
    const result = await rebaseImage({
      image: imageRef(inv.positionals[0]!),
      ...(runImage ? { runImage: imageRef(runImage) } : {}),
      ...(output ? { output: absoluteRef(output) } : {}),
      force: inv.values.force === true,
      onOutput: inv.err,
    });
    inv.out(
      `Rebased ${inv.positionals[0]}: ${result.previousDigest} → ${result.digest} (${result.appLayers} app layers kept)`,
    );
    return 0;
  },
};

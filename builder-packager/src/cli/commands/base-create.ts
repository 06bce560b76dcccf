/** `cnbkit base create`: Debian bookworm build and run images made with debootstrap. */
import { resolve } from "node:path";
import { CnbError } from "@cnbkit/framework";
import { ensureBaseImages } from "../../base/images.js";
import { type Command, stringOption } from "../command.js";

/** `cnbkit base create [--output oci:<dir>] [--arch amd64|arm64]`. */
export const baseCreateCommand: Command = {
  name: "base create",
  summary: "Make the CNB build and run base images from Debian bookworm (debootstrap, cached)",
  usage: "cnbkit base create [--output oci:<dir>] [--arch amd64|arm64]",
  description: [
    "The images carry user cnb (1000:1000), CNB_USER_ID/CNB_GROUP_ID and io.buildpacks.base.* labels.",
    "They are cached under ~/.cache/cnbkit/base (CNBKIT_CACHE moves it); the first run takes a few minutes.",
    "With --output, both images are also written to that OCI layout, tagged build and run.",
  ].join("\n"),
  positionals: { min: 0, max: 0, names: "" },
  options: {
    output: { type: "string", short: "o", value: "oci:<dir>", help: "also write both images to this OCI layout" },
    arch: { type: "string", value: "<arch>", help: "amd64 or arm64 (default: this machine's; arm64 runs under qemu)" },
  },
  async run(inv) {
    const output = stringOption(inv, "output");
    if (output && !output.startsWith("oci:")) throw new CnbError(`--output "${output}" must be oci:<dir>`);
    const arch = stringOption(inv, "arch");
    if (arch !== undefined && arch !== "amd64" && arch !== "arm64") {
      throw new CnbError(`--arch "${arch}" is not amd64 or arm64`);
    }
    const { build, run } = await ensureBaseImages({
      ...(output ? { output: resolve(output.slice(4)) } : {}),
      ...(arch ? { arch } : {}),
      onProgress: inv.err,
    });
    inv.out(`build image  ${build.ref}  ${build.digest}`);
    inv.out(`run image    ${run.ref}  ${run.digest}`);
    return 0;
  },
};

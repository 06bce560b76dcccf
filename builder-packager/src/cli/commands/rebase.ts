/** `cnbkit rebase`: swap an app image's run-image layers by rewriting config and manifest only. */
import { type Command, lazyRun } from "../command.js";

/** `cnbkit rebase <image> --run-image <ref> [--output <ref>] [--force]`. */
export const rebaseCommand: Command = {
  name: "rebase",
  summary:
    "Rebase an app image (or each platform of an image index) onto a new run image (only config and manifest are rewritten)",
  usage: "cnbkit rebase <image> [--run-image <ref>] [--output <ref>] [--force] [--sign-key <file>]",
  positionals: { min: 1, max: 1, names: "<image>" },
  examples: [
    "cnbkit rebase oci:out/app:latest",
    "cnbkit rebase oci:out/app --run-image oci:out/base:run --output oci:out/app:rebased --force",
    "cnbkit rebase 127.0.0.1:5000/acme/app:1 --run-image 127.0.0.1:5000/acme/run:2 --sign-key cosign.key",
  ],
  options: {
    "run-image": { type: "string", value: "<ref>", help: "the new run image (default: the one the image records)" },
    output: {
      type: "string",
      short: "o",
      value: "<ref>",
      help: "write the result here instead of moving the image's tag",
    },
    force: {
      type: "boolean",
      help: "rebase even if the image is not rebasable, the os/arch differ, or the new run image lacks a soname or symbol version (GLIBC_2.38) the app's layers need",
    },
    "sign-key": {
      type: "string",
      value: "<file>",
      help: "sign the new digest and attest provenance naming the previous image and both run images (an index: each platform, then the index), e.g. --sign-key cosign.key",
    },
  },
  run: lazyRun(() => import("./rebase-run.js")),
};

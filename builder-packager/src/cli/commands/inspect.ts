/** `cnbkit inspect`: what an app image runs and what it was built from. */
import { type Command, lazyRun } from "../command.js";

/** `cnbkit inspect <image> [--json]`. */
export const inspectCommand: Command = {
  name: "inspect",
  summary:
    "Show an app image's (or each platform's of an image index) processes, buildpacks, run image, base labels, layers, signatures and attestations",
  usage: "cnbkit inspect <image> [--json]",
  positionals: { min: 1, max: 1, names: "<image>" },
  examples: ["cnbkit inspect oci:out/app:latest", "cnbkit inspect registry.example.com/acme/app:1 --json"],
  options: { json: { type: "boolean", help: "print the result as JSON" } },
  run: lazyRun(() => import("./inspect-run.js")),
};

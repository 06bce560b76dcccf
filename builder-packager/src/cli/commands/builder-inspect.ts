/**
 * `cnbkit builder inspect`: a builder's lifecycle, run images, buildpacks and detection order,
 * and its extensions and system buildpacks when it has them.
 */
import { type Command, lazyRun } from "../command.js";
import { INSPECT_OPTIONS } from "./inspect-format.js";

/** `cnbkit builder inspect <ref|oci:dir[:tag]> [--json] [--depth n] [--platform os/arch]`. */
export const builderInspectCommand: Command = {
  name: "builder inspect",
  summary: "Show a builder's stack, lifecycle, run images, buildpacks and detection order",
  usage: "cnbkit builder inspect <ref|oci:dir[:tag]> [--json] [--depth <n>] [--platform <os/arch>]",
  description: "What `pack builder inspect` shows for the image; --json uses the field names of its remote_info.",
  positionals: { min: 1, max: 1, names: "<builder>" },
  options: INSPECT_OPTIONS,
  examples: [
    "cnbkit builder inspect oci:out/builder:latest",
    "cnbkit builder inspect registry.example.com/acme/builder:1 --platform linux/arm64 --depth 1",
    "cnbkit builder inspect 192.168.1.5:5000/acme/builder --insecure-registry --json",
  ],
  run: lazyRun(() => import("./builder-inspect-run.js")),
};

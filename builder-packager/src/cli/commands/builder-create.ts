/** `cnbkit builder create`: builder.toml → builder image in an OCI layout or a registry. */
import { type Command, lazyRun } from "../command.js";

/** `cnbkit builder create <builder.toml> --output oci:<dir> | --publish <ref>`. */
export const builderCreateCommand: Command = {
  name: "builder create",
  summary: "Create a builder image from a builder.toml",
  usage:
    "cnbkit builder create <builder.toml> (--output oci:<dir>[:tag] | --publish <ref>) [--target linux/amd64 --target linux/arm64]",
  description:
    "builder.toml is pack's format: [[buildpacks]], [[order]], [build] image, [[build.env]], [run] images, [lifecycle], [[targets]].",
  positionals: { min: 1, max: 1, names: "<builder.toml>" },
  examples: [
    "cnbkit builder create builder.toml --output oci:out/builder:latest",
    "cnbkit builder create builder.toml --output oci:out/builder --target linux/amd64 --target linux/arm64",
    "cnbkit builder create builder.toml --publish 192.168.1.5:5000/acme/builder:1 --insecure-registry --run-image-repo 192.168.1.5:5000/acme/run",
  ],
  options: {
    output: { type: "string", short: "o", value: "oci:<dir>[:tag]", help: "write the builder to an OCI layout" },
    publish: { type: "string", value: "<ref>", help: "push the builder to a registry" },
    "insecure-registry": { type: "boolean", help: "use plain HTTP for a non-loopback registry" },
    "run-image-repo": {
      type: "string",
      value: "<repo>",
      help: "with --publish: push local-layout run images here (default: <builder repository>-run)",
    },
    target: {
      type: "string",
      multiple: true,
      value: "<os/arch>",
      help: "build for this target instead of builder.toml's [[targets]]; several make one image index",
    },
  },
  run: lazyRun(() => import("./builder-create-run.js")),
};

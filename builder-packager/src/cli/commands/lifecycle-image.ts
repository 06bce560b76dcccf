/** `cnbkit lifecycle image`: a `buildpacksio/lifecycle`-shaped image from the lifecycle's verified release tarballs. */
import { type Command, lazyRun } from "../command.js";

/** `cnbkit lifecycle image --version <v> --output <ref|oci:dir[:tag]> [--target os/arch]... [--ca-bundle file]`. */
export const lifecycleImageCommand: Command = {
  name: "lifecycle image",
  summary: "Make a lifecycle image like buildpacksio/lifecycle from the verified release tarballs",
  usage:
    "cnbkit lifecycle image --version <version> --output <ref|oci:dir[:tag]> [--target linux/amd64 --target linux/arm64] [--ca-bundle <file.pem>]",
  description: [
    "For pack build --lifecycle-image and kpack's ClusterLifecycle where Docker Hub is out of reach: the official",
    "image's /cnb/lifecycle layer and labels (io.buildpacks.lifecycle.version, .apis, io.buildpacks.builder.metadata)",
    "and WorkingDir /layers, on a small layer of cnbkit's own in place of distroless/static: /etc/passwd and /etc/group",
    "(root, nonroot 65532), /tmp and the CA bundle. Tarballs come from GitHub, or CNBKIT_LIFECYCLE_MIRROR (a URL or",
    "directory laid out like releases/download), and must match the sha256 the release publishes.",
    "The CA bundle is this machine's (/etc/ssl/certs/ca-certificates.crt) unless --ca-bundle names another: give one that also",
    "trusts your own registry's CA.",
  ].join("\n"),
  positionals: { min: 0, max: 0, names: "" },
  examples: [
    "cnbkit lifecycle image --version 0.21.17 --output oci:out/lifecycle:0.21.17",
    "cnbkit lifecycle image --version 0.21.17 --output registry.internal/buildpacksio/lifecycle:0.21.17 --target linux/amd64 --ca-bundle corp-ca.pem",
    "cnbkit lifecycle image --version 0.21.17 --output 192.168.1.5:5000/buildpacksio/lifecycle --insecure-registry",
  ],
  options: {
    version: { type: "string", value: "<version>", help: "the lifecycle release, e.g. 0.21.17" },
    output: {
      type: "string",
      short: "o",
      value: "<ref|oci:dir[:tag]>",
      help: "where to write the image: a registry reference (tagged <version> when it names no tag) or an OCI layout",
    },
    target: {
      type: "string",
      multiple: true,
      value: "<os/arch>",
      help: "linux/amd64 or linux/arm64 (default: linux/amd64 and linux/arm64); several make one image index",
    },
    "ca-bundle": {
      type: "string",
      value: "<file.pem>",
      help: "the CA certificates for /etc/ssl/certs/ca-certificates.crt (default: /etc/ssl/certs/ca-certificates.crt)",
    },
    "insecure-registry": { type: "boolean", help: "use plain HTTP for a non-loopback registry" },
  },
  run: lazyRun(() => import("./lifecycle-image-run.js")),
};

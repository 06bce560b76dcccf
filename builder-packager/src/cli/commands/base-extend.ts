/** `cnbkit base extend`: a Dockerfile's apt-get / COPY / ENV / LABEL on a base image, without Docker. */
import { type Command, lazyRun } from "../command.js";

/** `cnbkit base extend <image> [--apt ...] [--ca-cert ...] [--env K=V] [--label K=V] [--copy SRC:DEST] --output <ref>`. */
export const baseExtendCommand: Command = {
  name: "base extend",
  summary: "Add Debian packages, CA certificates, files, env or labels to a build or run image, as one new layer",
  usage:
    "cnbkit base extend <image> --output <oci:dir[:tag]|ref> [--apt pkg,...] [--ca-cert file.pem] [--env K=V] [--label K=V] [--copy SRC:DEST]",
  description: [
    "What a Dockerfile FROM <image> / USER root / RUN apt-get install ... / COPY ... / USER cnb does, with no Docker:",
    "the image is unpacked, apt-get and update-ca-certificates run inside it under runc as root with this machine's",
    "network, apt's lists, caches and logs are dropped, and the change becomes ONE new layer, followed by a fresh",
    "SBOM of the image's Debian packages (io.buildpacks.base.sbom). Labels, the CNB user and env are kept;",
    "io.cnbkit.base.extended records what was added. The same inputs give the same digest when apt installs the",
    "same files. Needs root (overlayfs, runc). Rebase apps onto an extended run image with cnbkit rebase --run-image.",
    "A multi-arch image (an index, as cnbkit base create --target linux/amd64 --target linux/arm64 makes) is extended arch",
    "by arch, another arch's apt-get under qemu, and written as an index again: the input of a multi-arch builder.",
  ].join("\n"),
  positionals: { min: 1, max: 1, names: "<image>" },
  examples: [
    "cnbkit base extend oci:out/base:run --apt fontconfig,libpq5 --output oci:out/base-ext:run",
    "cnbkit base extend oci:out/base:build --ca-cert corp-ca.pem --env PIP_INDEX_URL=https://pypi.corp/simple --output oci:out/base-ext:build",
    "cnbkit base extend registry.corp/cnb/run:13 --label org.opencontainers.image.vendor=Corp --copy policy.json:/etc/corp/policy.json --output registry.corp/cnb/run:13-corp",
  ],
  options: {
    output: {
      type: "string",
      short: "o",
      value: "<ref>",
      help: "where the extended image goes: oci:<dir>[:tag] or a registry reference",
    },
    apt: {
      type: "string",
      multiple: true,
      value: "<pkg,...>",
      help: "Debian packages to install (--no-install-recommends)",
    },
    "ca-cert": {
      type: "string",
      multiple: true,
      value: "<file.pem>",
      help: "a PEM CA certificate to add to the system trust store",
    },
    env: {
      type: "string",
      multiple: true,
      value: "<K=V>",
      help: "an environment variable of the image (replaces one of that name)",
    },
    label: { type: "string", multiple: true, value: "<K=V>", help: "an image label" },
    copy: {
      type: "string",
      multiple: true,
      value: "<SRC:DEST>",
      help: "copy a file or directory from this machine to the absolute DEST",
    },
  },
  run: lazyRun(() => import("./base-extend-run.js")),
};

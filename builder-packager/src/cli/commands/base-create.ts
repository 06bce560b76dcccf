/** `cnbkit base create`: Debian build and run images (13 by default, 12 with --debian 12) made with debootstrap. */
import { type Command, lazyRun } from "../command.js";

/** `cnbkit base create [--output oci:<dir>] [--arch amd64|arm64 | --target <os/arch>...] [--flavor standard|slim|tiny] [--debian 13|12]`. */
export const baseCreateCommand: Command = {
  name: "base create",
  summary: "Make the CNB build and run base images from Debian 13 trixie, or 12 (debootstrap, cached)",
  usage:
    "cnbkit base create [--output oci:<dir>] [--arch amd64|arm64] [--flavor standard|slim|tiny] [--debian 13|12] | --output oci:<dir> --target linux/amd64 --target linux/arm64",
  description: [
    "The images carry user cnb (1000:1000), CNB_USER_ID/CNB_GROUP_ID and io.buildpacks.base.* labels; the run image also",
    "io.cnbkit.base.abi, what its libraries provide (glibc, sonames, symbol versions), which cnbkit rebase checks apps against.",
    "They are cached under ~/.cache/cnbkit/base (CNBKIT_CACHE moves it); the first run takes a few minutes.",
    "With --output, both images are also written to that OCI layout, tagged build and run.",
    "With several --target, each tag is an image index with one image per arch (another arch runs",
    "under qemu: ~20 minutes the first time; as root cnbkit registers qemu in binfmt_misc itself).",
    "--flavor slim gives the build image the run image's packages only (no compilers, git or python3):",
    "for apps that compile nothing natively; one debootstrap per arch instead of two (arm64: ~7 minutes).",
    "--flavor tiny keeps the standard build image and makes a run image with no shell, coreutils, apt or dpkg:",
    "glibc, libstdc++, zlib, CA certificates and time zones only; apps whose processes start with no shell",
    "(the Java buildpack's do; cnbkit build reads the image's label and sets BP_RUN_IMAGE_SHELL=false, so it leaves out its sh exec.d helpers).",
    "--debian 12 makes Debian 12 (bookworm) images instead of 13 (trixie), labelled io.cnbkit.base.bookworm:",
    "trixie's OpenJDK 21/25 and CPython 3.13 need its glibc and do not run on them.",
  ].join("\n"),
  positionals: { min: 0, max: 0, names: "" },
  examples: [
    "cnbkit base create --output oci:out/base",
    "cnbkit base create --output oci:out/base --arch arm64",
    "cnbkit base create --output oci:out/base --target linux/amd64 --target linux/arm64",
    "cnbkit base create --output oci:out/base-slim --target linux/amd64 --target linux/arm64 --flavor slim",
    "cnbkit base create --output oci:out/base-12 --debian 12",
  ],
  options: {
    output: { type: "string", short: "o", value: "oci:<dir>", help: "also write both images to this OCI layout" },
    arch: { type: "string", value: "<arch>", help: "amd64 or arm64 (default: this machine's; arm64 runs under qemu)" },
    target: {
      type: "string",
      multiple: true,
      value: "<os/arch>",
      help: "linux/amd64 or linux/arm64; several make image indexes (needs --output)",
    },
    flavor: {
      type: "string",
      value: "<flavor>",
      help: "standard (build tools in the build image; the default), slim (the run image's packages only) or tiny (a run image with no shell)",
    },
    debian: {
      type: "string",
      value: "<version>",
      help: "the Debian release: 13 (trixie) or 12 (bookworm); default 13",
    },
  },
  run: lazyRun(() => import("./base-create-run.js")),
};

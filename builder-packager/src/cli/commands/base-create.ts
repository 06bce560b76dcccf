/** `cnbkit base create`: Debian build and run images (13 by default, 12 with --debian 12) made with debootstrap. */
import { resolve } from "node:path";
import { CnbError } from "@cnbkit/framework";
import {
  BASE_FLAVORS,
  type BaseFlavor,
  ensureBaseImages,
  DEBIAN_RELEASES,
  DEFAULT_DEBIAN_RELEASE,
  ensureMultiArchBaseImages,
  parseBaseTarget,
  parseDebianRelease,
} from "../../base/index.js";
import { type Command, listOption, stringOption } from "../command.js";

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
      help: `the Debian release: ${DEBIAN_RELEASES.map((r) => `${r.version} (${r.codename})`).join(" or ")}; default ${DEFAULT_DEBIAN_RELEASE.version}`,
    },
  },
  async run(inv) {
    const output = stringOption(inv, "output");
    if (output && !output.startsWith("oci:")) throw new CnbError(`--output "${output}" must be oci:<dir>`);
    const arch = stringOption(inv, "arch");
    if (arch !== undefined && arch !== "amd64" && arch !== "arm64") {
      throw new CnbError(`--arch "${arch}" is not amd64 or arm64`);
    }
    const flavor = stringOption(inv, "flavor") ?? "standard";
    if (!BASE_FLAVORS.includes(flavor as BaseFlavor)) {
      throw new CnbError(
        `--flavor "${flavor}" is not ${BASE_FLAVORS.slice(0, -1).join(", ")} or ${BASE_FLAVORS.at(-1)}`,
      );
    }
    const debian = stringOption(inv, "debian");
    const release = debian === undefined ? DEFAULT_DEBIAN_RELEASE : parseDebianRelease(debian, "--debian");
    const targets = listOption(inv, "target").map((t) => parseBaseTarget(t, "--target"));
    if (targets.length > 0 && arch !== undefined) throw new CnbError("give --arch or --target, not both");
    if (targets.length > 1) {
      if (!output) throw new CnbError("several --target need --output oci:<dir> (the image indexes go there)");
      const { build, run } = await ensureMultiArchBaseImages({
        arches: targets,
        output: resolve(output.slice(4)),
        flavor: flavor as BaseFlavor,
        release,
        onProgress: inv.err,
      });
      for (const r of [build, run]) {
        inv.out(`${r.role} image  ${r.ref}  ${r.digest}  (${r.images.map((i) => `linux/${i.arch}`).join(", ")})`);
      }
      return 0;
    }
    const one = targets[0] ?? arch;
    const { build, run } = await ensureBaseImages({
      ...(output ? { output: resolve(output.slice(4)) } : {}),
      ...(one ? { arch: one } : {}),
      flavor: flavor as BaseFlavor,
      release,
      onProgress: inv.err,
    });
    inv.out(`build image  ${build.ref}  ${build.digest}`);
    inv.out(`run image    ${run.ref}  ${run.digest}`);
    return 0;
  },
};

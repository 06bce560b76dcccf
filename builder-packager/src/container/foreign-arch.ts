/**
 * Whether an image's binaries can run on this machine: natively, or emulated through qemu
 * and binfmt_misc (an arm64 builder or app on an amd64 host). Emulated builds are several
 * times slower, but they run the image's own lifecycle and runtime, so the image is the one
 * an arm64 machine would build.
 */
import { CnbError } from "@cnbkit/framework";
import { type BinfmtPlaces, ensureQemuBinfmt } from "../base/index.js";
import { hostPlatform } from "../oci/index.js";

/** How an image's binaries run here. */
export type Execution = "native" | "emulated";

/** Options of {@link checkRunnable}. */
export interface RunnableOptions extends BinfmtPlaces {
  /** Gets the one line saying cnbkit registered qemu (as root, when it was missing). */
  onLog?: (line: string) => void;
  /** Register qemu when it is missing (default: when running as root). */
  enable?: boolean;
}

/**
 * Checks that `what` (an image, named for the error) of `platform` can run here and says how.
 * A foreign arch needs a good qemu handler in binfmt_misc: as root cnbkit registers its own
 * (one line to `onLog`); otherwise this throws a one-line {@link CnbError} whose hint is the
 * shell commands to run. `dir`, `cache` and `enable` are for tests.
 *
 * @example
 * await checkRunnable("builder oci:out/builder-arm64", { os: "linux", architecture: "arm64" }); // "emulated" on amd64
 */
export async function checkRunnable(
  what: string,
  platform: { os?: string; architecture: string },
  opts: RunnableOptions = {},
): Promise<Execution> {
  const host = hostPlatform();
  const os = platform.os ?? "linux";
  if (os !== host.os) {
    throw new CnbError(`${what} is ${os}/${platform.architecture}; this machine runs ${host.os} images only`);
  }
  if (platform.architecture === host.architecture) return "native";
  await ensureQemuBinfmt(platform.architecture, {
    ...opts,
    context: `${what} is ${os}/${platform.architecture} and this machine ${host.architecture}`,
  });
  return "emulated";
}

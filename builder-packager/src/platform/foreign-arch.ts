/**
 * Whether an image's binaries can run on this machine: natively, or emulated through
 * qemu-user-static and binfmt_misc (an arm64 builder or app on an amd64 host). Emulated
 * builds are several times slower, but they run the image's own lifecycle and runtime, so the
 * image is the one an arm64 machine would build.
 */
import { CnbError } from "@cnbkit/framework";
import { BINFMT_DIR, qemuBinfmtHint, qemuBinfmtProblem } from "../base/binfmt.js";
import { hostPlatform } from "../oci/image.js";

/** How an image's binaries run here. */
export type Execution = "native" | "emulated";

/**
 * Checks that `what` (an image, named for the error) of `platform` can run here and says how;
 * throws a one-line {@link CnbError} naming the fix otherwise. `binfmtDir` is for tests.
 *
 * @example
 * await checkRunnable("builder oci:out/builder-arm64", { os: "linux", architecture: "arm64" }); // "emulated" on amd64
 */
export async function checkRunnable(
  what: string,
  platform: { os?: string; architecture: string },
  binfmtDir = BINFMT_DIR,
): Promise<Execution> {
  const host = hostPlatform();
  const os = platform.os ?? "linux";
  if (os !== host.os) {
    throw new CnbError(`${what} is ${os}/${platform.architecture}; this machine runs ${host.os} images only`);
  }
  if (platform.architecture === host.architecture) return "native";
  const why = await qemuBinfmtProblem(platform.architecture, binfmtDir);
  if (why !== undefined) {
    throw new CnbError(`${what} is ${os}/${platform.architecture} and this machine ${host.architecture}: ${why}`, {
      hint: qemuBinfmtHint(platform.architecture),
    });
  }
  return "emulated";
}

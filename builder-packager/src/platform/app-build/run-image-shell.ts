/**
 * Whether the run image has a shell, read from its labels, so buildpacks whose launch needs
 * none (the Java buildpack's) leave out their sh exec.d helpers without the user having to
 * say `BP_RUN_IMAGE_SHELL=false` for an image the platform already knows about.
 */
import type { ImageConfig } from "../../oci/index.js";

/** The build setting that tells buildpacks the run image has no /bin/sh. */
export const RUN_IMAGE_SHELL = "BP_RUN_IMAGE_SHELL";

/**
 * What a run image's labels say about its shell: cnbkit's tiny image (`cnbkit base create
 * --flavor tiny`) puts `flavor: "tiny"` in `io.buildpacks.base.metadata`; Paketo's tiny images
 * carry a stack id ending in `.tiny` (`io.paketo.stacks.tiny`, `io.buildpacks.stacks.jammy.tiny`).
 *
 * @returns why the image has no shell, or undefined when nothing says so.
 */
export function noShellReason(config: ImageConfig): string | undefined {
  const labels = config.config?.Labels ?? {};
  const metadata = labels["io.buildpacks.base.metadata"];
  if (metadata) {
    try {
      if ((JSON.parse(metadata) as { flavor?: unknown }).flavor === "tiny") return "its base metadata says flavor tiny";
    } catch {
      // A label that is not JSON says nothing about the shell.
    }
  }
  const stack = labels["io.buildpacks.base.id"] ?? labels["io.buildpacks.stack.id"];
  if (stack?.endsWith(".tiny")) return `its base id is ${stack}`;
  return undefined;
}

/**
 * The build env the platform adds for this run image: `BP_RUN_IMAGE_SHELL=false` when the image
 * has no shell and the user has not set the variable (their value wins), with the line to log.
 *
 * @example
 * runImageShellEnv(tinyConfig, {}) // { env: { BP_RUN_IMAGE_SHELL: "false" }, line: "Run image has no shell (…): BP_RUN_IMAGE_SHELL=false" }
 */
export function runImageShellEnv(
  config: ImageConfig,
  userEnv: Record<string, string>,
): { env: Record<string, string>; line?: string } {
  const reason = noShellReason(config);
  if (!reason || RUN_IMAGE_SHELL in userEnv) return { env: {} };
  return {
    env: { [RUN_IMAGE_SHELL]: "false" },
    line: `Run image has no shell (${reason}): building with ${RUN_IMAGE_SHELL}=false`,
  };
}

/**
 * Step: with `BP_RUN_IMAGE_SHELL=false` (the run image has no /bin/sh, as cnbkit's tiny run
 * image: `cnbkit base create --flavor tiny`), the exec.d helpers stay out, because they are
 * POSIX sh scripts and the launcher stops the app when an exec.d program cannot run. What
 * they did is left to the JVM or given statically, with one warning:
 * - the memory calculator: the JVM's own container ergonomics size the heap (a quarter of
 *   the cgroup limit); `JAVA_TOOL_OPTIONS` still takes -Xmx and friends;
 * - $PORT: each port variable of the framework (jvm-framework.ts) defaults to
 *   `${PORT:8080}`, a placeholder Spring Boot, Quarkus and Micronaut resolve themselves;
 * - BPL_DEBUG_* and SSL_CERT_FILE's extra certificates: not applied.
 * The processes need no shell either way: they are exec'd directly (runnable-command.ts).
 */
import type { BuildContext, Settings } from "@cnbkit/framework";
import { FRAMEWORK_NAMES, type JvmFramework, portVariables } from "../jvm-framework.js";
import type { JavaMetadata } from "./resolve-jvm.js";

/** The setting that says the run image has no shell. */
export const RUN_IMAGE_SHELL_SETTING = "BP_RUN_IMAGE_SHELL";

/** False when `BP_RUN_IMAGE_SHELL` is `false` (any case); the run image has /bin/sh otherwise. */
export function runImageHasShell(settings: Settings): boolean {
  return settings[RUN_IMAGE_SHELL_SETTING]?.trim().toLowerCase() !== "false";
}

/** Sets the port variables to `${PORT:8080}` in a launch layer of their own (`jvm_port`) and warns once. */
export async function addShellFreeLaunch(ctx: BuildContext<JavaMetadata>, framework?: JvmFramework): Promise<void> {
  const vars = portVariables(framework);
  const layer = await ctx.layers.cached("jvm_port", {
    types: { launch: true, cache: false },
    key: { vars: vars.join(",") },
    async fill() {},
  });
  // biome-ignore lint/suspicious/noTemplateCurlyInString: the app resolves this placeholder at start, not JavaScript
  for (const name of vars) layer.env.launch.default(name, "${PORT:8080}");
  ctx.log.warn(
    `${RUN_IMAGE_SHELL_SETTING}=false: no exec.d helpers (sh scripts): the JVM sizes its heap itself instead of the memory calculator, BPL_DEBUG_* and SSL_CERT_FILE's extra certificates are not applied`,
  );
  ctx.log.detail(
    `${vars.join(", ")}=\${PORT:8080}, resolved by the app${framework ? ` (${FRAMEWORK_NAMES[framework]})` : ""}`,
  );
}

/**
 * Step: with `BP_RUN_IMAGE_SHELL=false` (the run image has no /bin/sh, as cnbkit's tiny run
 * image: `cnbkit base create --flavor tiny`), the sh exec.d helpers stay out, because the
 * launcher stops the app when an exec.d program cannot run. In their place:
 * - the startup-cache check, SSL_CERT_FILE's extra CA certificates in the JVM's truststore,
 *   the JDWP agent (BPL_DEBUG_*) and the memory calculator: `jvm-helper`, a static Go program
 *   the packager builds into the buildpack's bin/ (../../helper, `[metadata.cnbkit] helpers`),
 *   copied into the `jvm_memory` launch layer's exec.d; it reads the same settings and says
 *   the same lines as the scripts, and runs the JRE's keytool itself. A buildpack run from
 *   source (not packaged) has no binary: then the JVM's own container ergonomics size the
 *   heap, and BPL_DEBUG_* and SSL_CERT_FILE's extra certificates are not applied (one warning
 *   says so);
 * - $PORT: each port variable of the framework (jvm-framework.ts) defaults to
 *   `${PORT:8080}`, a placeholder Spring Boot, Quarkus and Micronaut resolve themselves.
 * The processes need no shell either way: they are exec'd directly (runnable-command.ts).
 */
import { createHash } from "node:crypto";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import type { Settings } from "@cnbkit/framework";
import { FRAMEWORK_NAMES, type JvmFramework, portVariables } from "../jvm-framework.js";
import type { StepContext } from "./step-context.js";

/** The setting that says the run image has no shell. */
export const RUN_IMAGE_SHELL_SETTING = "BP_RUN_IMAGE_SHELL";

/** False when `BP_RUN_IMAGE_SHELL` is `false` (any case); the run image has /bin/sh otherwise. */
export function runImageHasShell(settings: Settings): boolean {
  return settings[RUN_IMAGE_SHELL_SETTING]?.trim().toLowerCase() !== "false";
}

/** The helper binary's name, in the buildpack's bin/ and in the layer's exec.d. */
export const JVM_HELPER = "jvm-helper";

/**
 * Sets the port variables to `${PORT:8080}` in a launch layer of their own (`jvm_port`), adds
 * the jvm-helper exec.d program for an app of `classes` classes when the packaged buildpack
 * carries it; without it, warns once about what is not applied.
 */
export async function addShellFreeLaunch(
  ctx: StepContext<"buildpack" | "layers" | "log">,
  framework: JvmFramework | undefined,
  classes: number,
): Promise<void> {
  const vars = portVariables(framework);
  const layer = await ctx.layers.cached("jvm_port", {
    types: { launch: true, cache: false },
    key: { vars: vars.join(",") },
    async fill() {},
  });
  // biome-ignore lint/suspicious/noTemplateCurlyInString: the app resolves this placeholder at start, not JavaScript
  for (const name of vars) layer.env.launch.default(name, "${PORT:8080}");
  const helper = join(ctx.buildpack.dir, "bin", JVM_HELPER);
  const binary = await readFile(helper).catch(() => undefined);
  if (binary) {
    const sha256 = createHash("sha256").update(binary).digest("hex");
    const memory = await ctx.layers.cached("jvm_memory", {
      types: { launch: true, cache: false },
      // As the sh calculator's layer: rewritten only when the program or the app's class count changes.
      key: { helper: sha256, appClasses: classes },
      async fill(l) {
        await l.execD.add(JVM_HELPER, helper);
      },
    });
    memory.env.launch.default("BPI_APP_CLASS_COUNT", String(classes));
    // A binary in the image, so the image's SBOM names it (the sh scripts are this buildpack's text).
    memory.sbom.add({
      name: `${ctx.buildpack.id}/${JVM_HELPER}`,
      version: ctx.buildpack.version,
      sha256,
      type: "application",
    });
    ctx.log.detail(
      `Launch helpers in ${JVM_HELPER} (static, ${(binary.length / 1024 / 1024).toFixed(1)} MB): startup-cache check, SSL_CERT_FILE's CA certificates in the truststore, JDWP agent (BPL_DEBUG_*), memory calculator (${classes} app classes)`,
    );
  } else {
    ctx.log.warn(
      `${RUN_IMAGE_SHELL_SETTING}=false: no exec.d helpers (no bin/${JVM_HELPER} in ${ctx.buildpack.dir}: a buildpack not packaged by cnbkit): the JVM sizes its heap itself instead of the memory calculator; BPL_DEBUG_*, SSL_CERT_FILE's extra certificates and the startup-cache check are not applied`,
    );
  }
  ctx.log.detail(
    `${vars.join(", ")}=\${PORT:8080}, resolved by the app${framework ? ` (${FRAMEWORK_NAMES[framework]})` : ""}`,
  );
}

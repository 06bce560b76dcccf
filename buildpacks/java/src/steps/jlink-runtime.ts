/**
 * Step: with BP_JVM_JLINK_ENABLED=true, the launch runtime is made by jlink from the build's
 * JDK instead of taken from the inventory's JRE (as Paketo's libjvm does): a smaller image,
 * with only the modules asked for ({@link jlinkArguments}). The layer is the same launch-only
 * `jre` layer the JRE would be, keyed on the JDK and the arguments, so a rebuild with both
 * unchanged reuses it from the image without running jlink.
 */
import { readdir, rm } from "node:fs/promises";
import { join } from "node:path";
import { type BuildContext, CnbError, type ResolvedDependency, type Settings } from "@cnbkit/framework";
import { jvmClassCount } from "../class-count.js";
import { jlinkArguments } from "../jlink-args.js";
import { runTool } from "@cnbkit/framework/process";
import type { BuildJdk } from "./install-jdk.js";
import { type Jre, launchRuntime, runtimeMetadata } from "./install-jre.js";
import type { JavaMetadata } from "./resolve-jvm.js";

/** jlink's own error lines ("Error: Module foo not found"). */
const jlinkErrorLine = (line: string) => (/^Error: /.test(line) ? line : undefined);

/** Links the launch runtime from `jdk` into the `jre` layer. */
export async function jlinkRuntime(
  ctx: BuildContext<JavaMetadata>,
  settings: Settings,
  buildJdk: BuildJdk,
  jdkDep: ResolvedDependency,
): Promise<Jre> {
  ctx.log.step("JRE (launch, jlinked from the JDK: BP_JVM_JLINK_ENABLED)");
  // The module list (the default arguments) comes from the JDK's jmods, so jlink always installs it.
  const jdk = await buildJdk.get();
  const jmods = join(jdk.layer.path, "jmods");
  const modules = (await readdir(jmods).catch(() => [] as string[]))
    .filter((f) => f.endsWith(".jmod"))
    .map((f) => f.slice(0, -".jmod".length));
  if (modules.length === 0) {
    throw new CnbError(`BP_JVM_JLINK_ENABLED: the JDK ${jdk.version} has no jmods directory, which jlink needs`, {
      hint: "Use a JDK that ships jmods, or unset BP_JVM_JLINK_ENABLED to run on the inventory's JRE.",
    });
  }
  const { args, droppedOutput, addedModules } = jlinkArguments(settings, modules);
  if (droppedOutput)
    ctx.log.warn("BP_JVM_JLINK_ARGS: its --output is ignored (the runtime goes into the image's layer)");
  if (addedModules && settings.BP_JVM_JLINK_ARGS?.trim())
    ctx.log.warn("BP_JVM_JLINK_ARGS names no --add-modules: every java.* module of the JDK is added");
  const layer = await ctx.layers.cached("jre", {
    types: { launch: true, cache: false },
    key: { jlink: args.join(" "), jdk: jdk.version, sha256: jdk.sha256, arch: ctx.target.arch },
    metadata: runtimeMetadata,
    async fill(l) {
      const done = ctx.log.timer();
      ctx.log.detail(`Running jlink ${args.join(" ")}`);
      // jlink refuses an existing --output.
      await rm(l.path, { recursive: true, force: true });
      await runTool([join(jdk.layer.path, "bin", "jlink"), ...args, "--output", l.path], {
        cwd: ctx.app.path,
        env: { PATH: process.env.PATH },
        log: ctx.log,
        what: "jlink",
        errorLine: jlinkErrorLine,
      });
      const classes = await jvmClassCount(l.path);
      ctx.log.detail(`Linked in ${done()}`);
      return { jvmClassCount: classes };
    },
  });
  if (layer.state.kind === "restored") ctx.log.detail("Reusing the jlinked runtime (JDK and arguments unchanged)");
  launchRuntime(layer);
  layer.sbom.add(jdkDep.component());
  return { layer, version: jdk.version };
}

/**
 * Step: with BP_JVM_JLINK_ENABLED=true, the launch runtime is made by jlink from the build's
 * JDK instead of taken from the inventory's JRE (as Paketo's libjvm does): a smaller image,
 * with only the modules asked for ({@link jlinkArguments}), by default those jdeps finds in the
 * app (steps/app-modules.ts). The layer is the same launch-only `jre` layer the JRE would be,
 * keyed on the JDK and the arguments with the modules in them, so a rebuild with both
 * unchanged (a new build of the app whose classes need no other module, too) reuses it from
 * the image without running jlink.
 */
import { readdir, rm } from "node:fs/promises";
import { join } from "node:path";
import { CnbError, type ResolvedDependency, type Settings } from "@cnbkit/framework";
import { jvmClassCount } from "../class-count.js";
import { jlinkArguments } from "../jlink-args.js";
import { runTool } from "@cnbkit/framework/process";
import { appModules } from "./app-modules.js";
import type { BuildJdk } from "./install-jdk.js";
import { type Jre, launchRuntime, runtimeMetadata } from "./install-jre.js";
import type { LaunchTree } from "./launch-tree.js";
import type { StepContext } from "./step-context.js";

/** jlink's own error lines ("Error: Module foo not found"). */
const jlinkErrorLine = (line: string) => (/^Error: /.test(line) ? line : undefined);

/**
 * Links the launch runtime from `jdk` into the `jre` layer. With no `--add-modules` in
 * BP_JVM_JLINK_ARGS, the modules are the ones jdeps finds in the app (the JDK's java.* ones when
 * jdeps cannot tell) in the app's launch `tree`, whose `jarSha256` (the jar the app was
 * unpacked from) lets an unchanged app skip jdeps.
 */
export async function jlinkRuntime(
  ctx: StepContext<"layers" | "log" | "target">,
  settings: Settings,
  buildJdk: BuildJdk,
  jdkDep: ResolvedDependency,
  tree: LaunchTree,
): Promise<Jre> {
  ctx.log.step("JRE (launch, jlinked from the JDK: BP_JVM_JLINK_ENABLED)");
  // The module list (the default arguments) comes from the JDK's jmods, so jlink always installs it.
  const jdk = await buildJdk.get();
  const jmods = join(jdk.home, "jmods");
  const modules = (await readdir(jmods).catch(() => [] as string[]))
    .filter((f) => f.endsWith(".jmod"))
    .map((f) => f.slice(0, -".jmod".length));
  if (modules.length === 0) {
    throw new CnbError(`BP_JVM_JLINK_ENABLED: the JDK ${jdk.version} has no jmods directory, which jlink needs`, {
      hint: "Use a JDK that ships jmods, or unset BP_JVM_JLINK_ENABLED to run on the inventory's JRE.",
    });
  }
  const { args: given, droppedOutput, addedModules } = jlinkArguments(settings, modules);
  if (droppedOutput)
    ctx.log.warn("BP_JVM_JLINK_ARGS: its --output is ignored (the runtime goes into the image's layer)");
  // Without the user's --add-modules, the last two arguments are the java.* default.
  const base = addedModules ? given.slice(0, -2) : given;
  let args = given;
  if (addedModules) {
    const found = await appModules(ctx, { home: jdk.home, version: jdk.version, sha256: jdk.sha256, modules }, tree);
    if (found) {
      args = [...base, "--add-modules", found.join(",")];
      ctx.log.detail(`Modules to link: ${found.join(", ")}`);
    }
  }
  const layer = await ctx.layers.cached("jre", {
    types: { launch: true, cache: false },
    key: { jlink: args.join(" "), jdk: jdk.version, sha256: jdk.sha256, arch: ctx.target.arch },
    metadata: runtimeMetadata,
    async fill(l) {
      const done = ctx.log.timer();
      ctx.log.detail(`Running jlink ${args.join(" ")}`);
      // jlink refuses an existing --output.
      await rm(l.path, { recursive: true, force: true });
      await runTool([join(jdk.home, "bin", "jlink"), ...args, "--output", l.path], {
        cwd: tree.dir,
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
  if (layer.state.kind === "restored")
    ctx.log.detail("Reusing the jlinked runtime (JDK, modules and arguments unchanged)");
  launchRuntime(layer);
  layer.sbom.add(jdkDep.component());
  return { layer, version: jdk.version };
}

/**
 * Step: the JDK, in a build-and-cache layer (`jdk`): later buildpacks and this build's
 * Maven see JAVA_HOME and its bin; the app image never holds it.
 */
import { join } from "node:path";
import type { BuildContext, Layer, ResolvedDependency, EnvChange } from "@cnbkit/framework";
import type { JavaMetadata } from "./resolve-jvm.js";

/** The installed JDK. */
export interface Jdk {
  layer: Layer;
  version: string;
  /** The inventory entry's sha256 (keys what is made from this JDK). */
  sha256: string;
  /** JAVA_HOME and PATH for the build's tools. */
  env: EnvChange;
}

/** Installs the JDK from the inventory (reused while version, checksum and arch are unchanged). */
export async function installJdk(ctx: BuildContext<JavaMetadata>, dep: ResolvedDependency): Promise<Jdk> {
  ctx.log.step("JDK (build only)");
  const layer = await ctx.layers.cached("jdk", {
    types: { build: true, cache: true },
    key: { version: dep.version, sha256: dep.sha256, arch: ctx.target.arch },
    async fill(l) {
      const done = ctx.log.timer();
      ctx.log.detail(`Installing ${dep.name ?? "JDK"} ${dep.version}`);
      await ctx.dependencies.install(dep, l.path, { strip: dep.stripComponents ?? 1 });
      ctx.log.detail(`Installed in ${done()}`);
    },
  });
  layer.env.build.override("JAVA_HOME", layer.path);
  layer.sbom.add(dep.component());
  return {
    layer,
    version: dep.version,
    sha256: dep.sha256,
    env: { set: { JAVA_HOME: layer.path }, path: [join(layer.path, "bin")] },
  };
}

/**
 * Step: the JDK, in a build-only layer (`jdk`): this build's Maven or Gradle (and later
 * buildpacks) see JAVA_HOME and its bin; the app image never holds it. It is installed on
 * first use, so a rebuild whose source tree is unchanged (Maven and Gradle skipped) never
 * touches it. It is cached only when it was downloaded: a JDK the builder carries (an offline
 * buildpackage) is ~270 MB the lifecycle would otherwise restore and re-hash on every build.
 */
import { join } from "node:path";
import type { Layer, ResolvedDependency, EnvChange } from "@cnbkit/framework";
import type { StepContext } from "./step-context.js";

/** The installed JDK. */
export interface Jdk {
  layer: Layer;
  version: string;
  /** The inventory entry's sha256 (keys what is made from this JDK). */
  sha256: string;
  /** JAVA_HOME and PATH for the build's tools. */
  env: EnvChange;
}

/** The build's JDK before it is installed: what keys the build, and how to get it. */
export interface BuildJdk {
  version: string;
  sha256: string;
  /** Installs the JDK on the first call (later calls return the same one). */
  get(): Promise<Jdk>;
}

/** The JDK of `dep`, installed when first asked for. */
export function buildJdk(ctx: StepContext<"dependencies">, dep: ResolvedDependency): BuildJdk {
  let installed: Promise<Jdk> | undefined;
  return {
    version: dep.version,
    sha256: dep.sha256,
    get: () => {
      installed ??= installJdk(ctx, dep);
      return installed;
    },
  };
}

/** Installs the JDK from the inventory (reused while version, checksum and arch are unchanged). */
async function installJdk(ctx: StepContext<"dependencies">, dep: ResolvedDependency): Promise<Jdk> {
  const layer = await ctx.dependencies.layer("jdk", dep, {
    types: { build: true },
    strip: dep.stripComponents ?? 1,
    note: "(build only)",
  });
  layer.env.build.override("JAVA_HOME", layer.path);
  return {
    layer,
    version: dep.version,
    sha256: dep.sha256,
    env: { set: { JAVA_HOME: layer.path }, path: [join(layer.path, "bin")] },
  };
}

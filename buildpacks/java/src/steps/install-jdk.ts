/**
 * Step: the JDK, which this build's Maven or Gradle (and later buildpacks) see as JAVA_HOME
 * and on PATH; the app image never holds it. It is installed on first use, so a rebuild whose
 * source tree is unchanged (Maven and Gradle skipped) never touches it.
 *
 * Where it lives depends on the platform:
 * - without a layer cache (pack, kpack, `CNBKIT_LAYER_CACHE=off`), in the build layer `jdk`,
 *   cached only when it was downloaded: a JDK the builder carries (an offline buildpackage) is
 *   ~290 MB the lifecycle would otherwise restore and re-hash on every build, so each build
 *   that compiles installs it again;
 * - with one (cnbkit build), in the cache-only layer `jdk_home`, which the layer cache keeps by
 *   reference at no cost per build, so a rebuild after an edit reuses it instead of
 *   installing it again (2-4 s of a java-hello edit rebuild: 155 MB of gzip to untar); the
 *   build layer `jdk` holds only `bin`, a symlink to the kept JDK's (the lifecycle puts it on
 *   later buildpacks' PATH), and sets JAVA_HOME to the kept JDK, whose files the JVM finds
 *   from its own resolved path.
 */
import { mkdir, symlink } from "node:fs/promises";
import { join } from "node:path";
import type { EnvChange, Layer, ResolvedDependency } from "@cnbkit/framework";
import type { StepContext } from "./step-context.js";

/** The installed JDK. */
export interface Jdk {
  /** The build layer later buildpacks see it through (`jdk`). */
  layer: Layer;
  /** JAVA_HOME: the JDK's root (the `jdk` layer, or the kept `jdk_home` it links to). */
  home: string;
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
  /** Installs the JDK on the first call, or takes the kept one (later calls return the same one). */
  get(): Promise<Jdk>;
}

type Ctx = StepContext<"dependencies" | "layers">;

/** The JDK of `dep`, installed when first asked for. */
export async function buildJdk(ctx: Ctx, dep: ResolvedDependency): Promise<BuildJdk> {
  const install = ctx.layers.keptByReferenceIn === undefined ? inBuildLayer(ctx, dep) : await linkedFromCache(ctx, dep);
  let installed: Promise<Jdk> | undefined;
  return {
    version: dep.version,
    sha256: dep.sha256,
    get: () => {
      installed ??= install();
      return installed;
    },
  };
}

/** The JDK in the build layer `jdk` (no layer cache: as before there was one). */
function inBuildLayer(ctx: Ctx, dep: ResolvedDependency): () => Promise<Jdk> {
  return async () => {
    const layer = await ctx.dependencies.layer("jdk", dep, {
      types: { build: true },
      strip: dep.stripComponents ?? 1,
      note: "(build only)",
    });
    return jdk(layer, layer.path, dep);
  };
}

/**
 * The JDK in the cache-only layer `jdk_home` (kept by reference), linked from the build layer
 * `jdk` when a step first needs it. A kept one is kept whether or not this build needs it
 * (`lazyLayer`), so the next build that compiles still finds it.
 */
async function linkedFromCache(ctx: Ctx, dep: ResolvedDependency): Promise<() => Promise<Jdk>> {
  const lazy = await ctx.dependencies.lazyLayer("jdk_home", dep, {
    // Cached even when the builder carries it: by reference, keeping it costs nothing.
    types: { cache: true },
    strip: dep.stripComponents ?? 1,
    note: "(build only)",
  });
  return async () => {
    const store = await lazy.get();
    const layer = await ctx.layers.fresh("jdk", {
      types: { build: true },
      fill: async (l) => {
        await mkdir(l.path, { recursive: true });
        await symlink(join(store.path, "bin"), join(l.path, "bin"));
      },
    });
    // The build SBOM lists the build layers' components: the JDK used, as before.
    layer.sbom.add(dep.component());
    return jdk(layer, store.path, dep);
  };
}

/** The JDK at `home`, seen by later buildpacks through `layer`. */
function jdk(layer: Layer, home: string, dep: ResolvedDependency): Jdk {
  layer.env.build.override("JAVA_HOME", home);
  return {
    layer,
    home,
    version: dep.version,
    sha256: dep.sha256,
    env: { set: { JAVA_HOME: home }, path: [join(home, "bin")] },
  };
}

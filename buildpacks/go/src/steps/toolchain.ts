/**
 * Step: the Go toolchain in a build-only layer (`go`), installed on first use. A rebuild whose
 * binaries are reused from the previous image never runs the go command, so it never installs
 * the toolchain; a downloaded toolchain such a build did not need is kept from the cache as it
 * is, for the next build that compiles (the framework's `dependencies.lazyLayer`). One the
 * builder carries (an offline buildpackage) is not cached: installing it again costs what
 * restoring it would.
 */
import { join } from "node:path";
import type { EnvChange, Layer, ResolvedDependency, StepContext } from "@cnbkit/framework";

/** The installed toolchain. */
export interface Toolchain {
  layer: Layer;
  /** The go command. */
  go: string;
  /** PATH and GOTOOLCHAIN=local (the go command never fetches another toolchain). */
  env: EnvChange;
}

/** The toolchain before it is installed. */
export interface LazyToolchain {
  version: string;
  /** Installs it on the first call (or takes the one kept from the cache); later calls return the same one. */
  get(): Promise<Toolchain>;
}

/** The toolchain of `dep`, installed when first asked for. */
export async function lazyToolchain(ctx: StepContext<"dependencies">, dep: ResolvedDependency): Promise<LazyToolchain> {
  const lazy = await ctx.dependencies.lazyLayer("go", dep, {
    types: { build: true },
    strip: dep.stripComponents ?? 2,
    // The go tools' own sources (54 MB of the 227, a third of the files): `go build` runs the
    // tools prebuilt in pkg/tool and never compiles cmd/; only `go tool <name>` of a tool not
    // shipped prebuilt (pprof, nm) would, and a build has no use for those.
    exclude: ["src/cmd"],
    note: "(build only)",
  });
  // Later buildpacks (a code generator, a test step) run the same go, and only it.
  lazy.kept?.env.build.override("GOTOOLCHAIN", "local");
  let installed: Promise<Toolchain> | undefined;
  return {
    version: dep.version,
    get: () => {
      installed ??= lazy.get().then((layer) => {
        layer.env.build.override("GOTOOLCHAIN", "local");
        return {
          layer,
          go: join(layer.path, "bin", "go"),
          env: { set: { GOTOOLCHAIN: "local" }, path: [join(layer.path, "bin")] },
        };
      });
      return installed;
    },
  };
}

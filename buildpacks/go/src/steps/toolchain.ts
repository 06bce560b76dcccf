/**
 * Step: the Go toolchain in a build-only layer (`go`), installed on first use. A rebuild whose
 * binaries are reused from the previous image never runs the go command, so it never installs
 * the toolchain; a downloaded toolchain that build did not need stays cached for the next
 * build that does (`keep`). One the builder carries (an offline buildpackage) is not cached:
 * installing it again costs what restoring it would.
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
  /** Installs it on the first call; later calls return the same one. */
  get(): Promise<Toolchain>;
  /** Keeps the cached layer for a later build when this one never installed it. */
  keep(): Promise<void>;
}

/** The toolchain of `dep`, installed when first asked for. */
export function lazyToolchain(
  ctx: StepContext<"dependencies" | "layers" | "target">,
  dep: ResolvedDependency,
): LazyToolchain {
  let installed: Promise<Toolchain> | undefined;
  return {
    version: dep.version,
    get: () => {
      installed ??= install(ctx, dep);
      return installed;
    },
    keep: async () => {
      if (installed) return;
      await ctx.layers.keep("go", {
        types: { build: true, cache: true },
        key: { id: dep.id, version: dep.version, sha256: dep.sha256, arch: ctx.target.arch },
      });
    },
  };
}

async function install(ctx: StepContext<"dependencies">, dep: ResolvedDependency): Promise<Toolchain> {
  const layer = await ctx.dependencies.layer("go", dep, {
    types: { build: true },
    strip: dep.stripComponents ?? 2,
    // The go tools' own sources (54 MB of the 227, a third of the files): `go build` runs the
    // tools prebuilt in pkg/tool and never compiles cmd/; only `go tool <name>` of a tool not
    // shipped prebuilt (pprof, nm) would, and a build has no use for those.
    exclude: ["src/cmd"],
    note: "(build only)",
  });
  // Later buildpacks (a code generator, a test step) run the same go.
  layer.env.build.override("GOTOOLCHAIN", "local");
  return {
    layer,
    go: join(layer.path, "bin", "go"),
    env: { set: { GOTOOLCHAIN: "local" }, path: [join(layer.path, "bin")] },
  };
}

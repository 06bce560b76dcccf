/**
 * Step: the Go toolchain, installed on first use. A rebuild whose binaries are reused from the
 * previous image never runs the go command, so it never installs the toolchain; a toolchain
 * the cache holds that such a build did not need is kept as it is, for the next build that
 * compiles (the framework's `dependencies.lazyLayer`).
 *
 * Where it lives depends on the platform:
 * - without a layer cache (pack, kpack, `CNBKIT_LAYER_CACHE=off`), in the build layer `go`,
 *   cached through the lifecycle unless the builder carries it (an offline buildpackage):
 *   installing it again then costs what restoring it would;
 * - with one (cnbkit build), in the cache-only layer `go-toolchain`, which the layer cache
 *   keeps by reference at no cost per build, so a rebuild that compiles reuses it instead of
 *   installing 6 s of toolchain again; the build layer `go` holds only `bin/go` and
 *   `bin/gofmt`, symlinks into it, so later buildpacks still find go on PATH (the go command
 *   finds GOROOT from its resolved executable path).
 */
import { mkdir, symlink } from "node:fs/promises";
import { join } from "node:path";
import type { EnvChange, Layer, ResolvedDependency, StepContext } from "@cnbkit/framework";

/** The installed toolchain. */
export interface Toolchain {
  /** The build layer later buildpacks find go in (`go`). */
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

/**
 * The go tools' own sources (54 MB of the 227, a third of the files): `go build` runs the
 * tools prebuilt in pkg/tool and never compiles cmd/; only `go tool <name>` of a tool not
 * shipped prebuilt (pprof, nm) would, and a build has no use for those.
 */
const EXCLUDE = ["src/cmd"];

/** The programs of the toolchain's bin/ (what a `go` layer linking into it holds). */
const PROGRAMS = ["go", "gofmt"];

type Ctx = StepContext<"dependencies" | "layers">;

/** The toolchain of `dep`, installed when first asked for. */
export async function lazyToolchain(ctx: Ctx, dep: ResolvedDependency): Promise<LazyToolchain> {
  return ctx.layers.keptByReferenceIn === undefined ? inBuildLayer(ctx, dep) : linkedFromCache(ctx, dep);
}

/** The toolchain in the build layer `go` (no layer cache: as before there was one). */
async function inBuildLayer(ctx: Ctx, dep: ResolvedDependency): Promise<LazyToolchain> {
  const lazy = await ctx.dependencies.lazyLayer("go", dep, {
    types: { build: true },
    strip: dep.stripComponents ?? 2,
    exclude: EXCLUDE,
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
        return toolchain(layer);
      });
      return installed;
    },
  };
}

/**
 * The toolchain in the cache-only layer `go-toolchain` (kept by reference), linked from the
 * build layer `go`. A kept toolchain is linked at once (two symlinks), so later buildpacks
 * have go as they would with a cached `go` layer; one not kept is installed and linked when a
 * step first needs it.
 */
async function linkedFromCache(ctx: Ctx, dep: ResolvedDependency): Promise<LazyToolchain> {
  const lazy = await ctx.dependencies.lazyLayer("go-toolchain", dep, {
    // Cached even when the builder carries it: by reference, keeping it costs nothing.
    types: { cache: true },
    // What is left out changes what the layer holds.
    key: { exclude: EXCLUDE.join(":") },
    strip: dep.stripComponents ?? 2,
    exclude: EXCLUDE,
    note: "(build only)",
  });
  const link = async (store: Layer) => {
    const layer = await ctx.layers.fresh("go", {
      types: { build: true },
      fill: async (l) => {
        await mkdir(join(l.path, "bin"));
        for (const p of PROGRAMS) await symlink(join(store.path, "bin", p), join(l.path, "bin", p));
      },
    });
    layer.env.build.override("GOTOOLCHAIN", "local");
    // The build SBOM lists the build layers' components: the toolchain used, as before.
    layer.sbom.add(dep.component());
    return toolchain(layer);
  };
  let installed = lazy.kept ? link(lazy.kept) : undefined;
  if (installed) await installed;
  return {
    version: dep.version,
    get: () => {
      installed ??= lazy.get().then(link);
      return installed;
    },
  };
}

/** The go command and its env, from the layer whose bin/ holds it. */
function toolchain(layer: Layer): Toolchain {
  return {
    layer,
    go: join(layer.path, "bin", "go"),
    env: { set: { GOTOOLCHAIN: "local" }, path: [join(layer.path, "bin")] },
  };
}

/**
 * Step: the go command's two caches, each a cache-only layer (never in the image).
 * - `go-mod` is GOMODCACHE, the downloaded modules. Its key names only its format: the module
 *   cache is content-addressed and the go command checks each module against go.sum on every
 *   use, so a cache from an older go.sum is never wrong, only partly unused, and a go.sum
 *   change downloads just what is new instead of every module again. GOFLAGS=-modcacherw
 *   keeps it writable, so the lifecycle can restore it and a reset can delete it.
 * - `go-build` is GOCACHE, the compiled packages, keyed on the Go version (a new toolchain
 *   can't use the old entries). The go command trims entries unused for five days itself.
 * A build that compiles nothing (its binaries reused) keeps both as they are, for the next
 * build that does. `go-build`'s metadata also keeps `go list`'s answer about cgo (compile.ts),
 * beside the other results of the go command it caches.
 */
import { type EnvChange, type Layer, metadataSchema, type StepContext } from "@cnbkit/framework";

/**
 * `go-build`'s metadata: which non-standard packages with cgo files the targets linked
 * (`cgoPackages`), and the digest of what that answer depends on (`cgoKey`). Both optional:
 * a GOCACHE kept by an older buildpack has neither, and stays.
 */
export const GO_BUILD = metadataSchema({ cgoKey: "string?", cgoPackages: "string[]?" });

/** What {@link GO_BUILD} checks, typed. */
export type GoBuildMetadata = { cgoKey: string | undefined; cgoPackages: string[] | undefined };

/** The caches' env for the go command, and the `go-build` layer (whose metadata compile.ts keeps). */
export interface GoCaches {
  env: EnvChange;
  build: Layer<GoBuildMetadata>;
}

/** The cache layers' keys: the two places one build's declaration and another's keep must agree. */
function keys(goVersion: string) {
  return { mod: { format: 1 }, build: { go: goVersion } };
}

/** Declares both caches and returns GOMODCACHE, GOCACHE and GOFLAGS for the go command, with `go-build`. */
export async function goCaches(
  ctx: StepContext<"layers">,
  goVersion: string,
  goflags: string | undefined,
): Promise<GoCaches> {
  const k = keys(goVersion);
  const mod = await ctx.layers.cached("go-mod", { types: { cache: true }, key: k.mod, fill: async () => {} });
  const build = await ctx.layers.cached("go-build", {
    types: { cache: true },
    key: k.build,
    metadata: GO_BUILD,
    fill: async () => {},
  });
  const flags = [goflags?.trim(), "-modcacherw"].filter((f) => f).join(" ");
  return { env: { set: { GOMODCACHE: mod.path, GOCACHE: build.path, GOFLAGS: flags } }, build };
}

/** Keeps both caches, unchanged, for a later build (this one compiled nothing). */
export async function keepGoCaches(ctx: StepContext<"layers">, goVersion: string): Promise<void> {
  const k = keys(goVersion);
  await ctx.layers.keep("go-mod", { types: { cache: true }, key: k.mod });
  await ctx.layers.keep("go-build", { types: { cache: true }, key: k.build, metadata: GO_BUILD });
}

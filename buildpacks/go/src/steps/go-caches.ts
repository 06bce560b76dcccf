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
 * build that does.
 */
import type { EnvChange, StepContext } from "@cnbkit/framework";

/** The cache layers' keys: the two places one build's declaration and another's keep must agree. */
function keys(goVersion: string) {
  return { mod: { format: 1 }, build: { go: goVersion } };
}

/** Declares both caches and returns GOMODCACHE, GOCACHE and GOFLAGS for the go command. */
export async function goCaches(
  ctx: StepContext<"layers">,
  goVersion: string,
  goflags: string | undefined,
): Promise<EnvChange> {
  const k = keys(goVersion);
  const mod = await ctx.layers.cached("go-mod", { types: { cache: true }, key: k.mod, fill: async () => {} });
  const build = await ctx.layers.cached("go-build", { types: { cache: true }, key: k.build, fill: async () => {} });
  const flags = [goflags?.trim(), "-modcacherw"].filter((f) => f).join(" ");
  return { set: { GOMODCACHE: mod.path, GOCACHE: build.path, GOFLAGS: flags } };
}

/** Keeps both caches, unchanged, for a later build (this one compiled nothing). */
export async function keepGoCaches(ctx: StepContext<"layers">, goVersion: string): Promise<void> {
  const k = keys(goVersion);
  await ctx.layers.keep("go-mod", { types: { cache: true }, key: k.mod });
  await ctx.layers.keep("go-build", { types: { cache: true }, key: k.build });
}

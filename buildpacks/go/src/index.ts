/**
 * cnbkit's reference Go buildpack: the Go toolchain from the inventory in a build-only layer,
 * the module and build caches in cache layers, every main package compiled to a static binary
 * in a launch layer (reused, with no go command at all, while the sources, toolchain and flags
 * are unchanged), a process per binary, the sources left out of the image, and an SBOM from
 * the binaries' own build info. In a multi-platform build the other arch's binaries are
 * cross-compiled natively instead of under emulation.
 *
 * detect.ts and build.ts hold the two phases; build.ts lists its steps (steps/), and the
 * decisions live in small pure modules beside them (go-version, targets, build-flags, cgo,
 * clear-source, build-info, go-mod).
 */
import { buildpack } from "@cnbkit/framework";
import { detect } from "./detect.js";
import { type GoMetadata, parseMetadata } from "./go-metadata.js";

export type { GoMetadata } from "./go-metadata.js";
export { parseMetadata } from "./go-metadata.js";

export default buildpack<GoMetadata>({
  metadata: parseMetadata,
  detect,
  // build.ts and its steps load only for build, so a detect that reaches Node stays cheap.
  build: async (ctx) => (await import("./build.js")).build(ctx),
});

/**
 * cnbkit's reference Node.js buildpack: the Node runtime from the inventory, dependencies
 * installed by npm, yarn (classic or berry) or pnpm into layers cached on lockfile digests,
 * build scripts with dev dependencies then pruned, memory-aware launch defaults (exec.d),
 * an inferred `web` process, and SBOMs for the runtime and every lockfile package.
 *
 * detect.ts and build.ts hold the two phases; build.ts lists its steps (steps/), and the
 * decisions live in small pure modules beside them (node-version, package-manager,
 * build-scripts, modules-location, prune-policy, start-command, workspaces, memory,
 * lockfile-sbom, registry-config).
 */
import { buildpack, CnbError } from "@cnbkit/framework";
import { detect } from "./detect.js";
import type { NodejsMetadata } from "./steps/install-runtime.js";

export { MEMORY_EXEC_D } from "./memory.js";
export type { NodejsMetadata } from "./steps/install-runtime.js";

/** Checks `[metadata]`: a `default-versions.node` range is required. */
export function parseMetadata(raw: unknown): NodejsMetadata {
  const dv = (raw as { "default-versions"?: { node?: unknown } } | undefined)?.["default-versions"];
  const node = dv?.node;
  if (typeof node !== "string" || node.trim() === "") {
    throw new CnbError('buildpack.toml: [metadata.default-versions].node must be a version range such as "24.x"');
  }
  return { defaultVersions: { node } };
}

export default buildpack<NodejsMetadata>({
  metadata: parseMetadata,
  detect,
  // build.ts and its steps (installs, child processes, hashing, SBOMs) load only for build,
  // so a detect that reaches Node stays cheap.
  build: async (ctx) => (await import("./build.js")).build(ctx),
});

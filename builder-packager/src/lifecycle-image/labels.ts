/**
 * The labels of the official `buildpacksio/lifecycle` image, which pack (`--lifecycle-image`)
 * and kpack (ClusterLifecycle) read to learn the lifecycle's version and APIs.
 */
import type { LifecycleDescriptor } from "./descriptor.js";

/** The lifecycle's version. */
export const LIFECYCLE_VERSION_LABEL = "io.buildpacks.lifecycle.version";
/** JSON of lifecycle.toml's `[apis]`. */
export const LIFECYCLE_APIS_LABEL = "io.buildpacks.lifecycle.apis";
/** The builder label's old shape, for platforms that read a lifecycle image like a builder. */
export const LEGACY_BUILDER_METADATA_LABEL = "io.buildpacks.builder.metadata";

/**
 * The three labels, byte for byte as tools/image/main.go marshals them with Go's
 * encoding/json (struct field order, no spaces). One difference: a missing `deprecated` list
 * is `[]`, where Go would write `null`; release lifecycle.toml files always give the list.
 *
 * @example
 * lifecycleLabels(descriptor)["io.buildpacks.lifecycle.version"] // "0.21.17"
 */
export function lifecycleLabels(d: LifecycleDescriptor): Record<string, string> {
  const set = (a: { deprecated: string[]; supported: string[] }) => ({
    deprecated: a.deprecated,
    supported: a.supported,
  });
  return {
    [LIFECYCLE_APIS_LABEL]: JSON.stringify({ buildpack: set(d.apis.buildpack), platform: set(d.apis.platform) }),
    [LIFECYCLE_VERSION_LABEL]: d.version,
    [LEGACY_BUILDER_METADATA_LABEL]: JSON.stringify({
      lifecycle: { version: d.version },
      // The first supported version of each, as the official tool takes `Supported[0]`.
      api: { buildpack: d.apis.buildpack.supported[0], platform: d.apis.platform.supported[0] },
    }),
  };
}

/**
 * Which JREs may replace the one in an image without a rebuild (`cnbkit fleet patch`): a
 * newer update of the same feature release (21.0.5 → 21.0.13). Class files, modules and the
 * JVM's flags are fixed within a feature release. What is made from the exact JVM build is
 * the Spring Boot startup cache (a CDS archive or an AOT cache) in the `cds` layer. The patch
 * keeps that layer, stale, and the plan says so: the process runs from its application.jar,
 * which no JVM build changes, and the cache only speeds startup. The launch flag leaves the
 * JVM in its auto mode (startup-cache.ts), so the new JVM starts without the old build's
 * cache: the layer's exec.d check (startup-cache-check.ts) sees the other JVM build, says so
 * in one line and turns the cache off (measured: a CDS archive trained on Debian's 17.0.19
 * under 17.0.21.1 starts the app, exit 0; only `-Xshare:on`, never set, would stop it).
 * Startup is slower until a rebuild trains a new cache. The JVM's class count (kept in the
 * JRE layer's metadata for the memory calculator) comes with the new layer.
 */
import type { PatchRule } from "@cnbkit/framework/dependencies";

/** The launch JRE layer's patch rule. */
export const JRE_PATCH_RULE: PatchRule = {
  same: "major",
  why: "class files, modules and JVM flags are fixed within a feature release",
  derived: [
    {
      what: "the Spring Boot startup cache (CDS archive or AOT cache) trained on the old JVM build",
      action: "stale",
      layer: "cds",
      why: "the new JVM ignores it, so the app starts slower until a build trains a new one",
    },
  ],
};

/**
 * Which JREs may replace the one in an image without a rebuild (`cnbkit fleet patch`): a
 * newer update of the same feature release (21.0.5 → 21.0.13). Class files, modules and the
 * JVM's flags are fixed within a feature release. What is made from the exact JVM build is
 * the Spring Boot startup cache (a CDS archive or an AOT cache) in the `cds` layer: the JVM
 * ignores a stale one (startup slows, a warning at each start), and the process runs from
 * that layer's application.jar, so the layer can be neither kept useful nor dropped: an
 * image with one is left for a rebuild, which trains a new cache. The JVM's class count
 * (kept in the JRE layer's metadata for the memory calculator) comes with the new layer.
 */
import type { PatchRule } from "@cnbkit/framework/dependencies";

/** The launch JRE layer's patch rule. */
export const JRE_PATCH_RULE: PatchRule = {
  same: "major",
  why: "class files, modules and JVM flags are fixed within a feature release",
  derived: [
    {
      what: "a CDS archive or AOT cache trained on the exact JVM build",
      action: "refuse",
      layer: "cds",
      why: "the JVM ignores a stale one, and the process runs from that layer",
    },
  ],
};

/**
 * Step: the runtime the app launches with, in a launch-only layer (`jre`): a rebuild with
 * the same JRE reuses the previous image's layer without unpacking or re-tarring it. The
 * JVM's class count (for the memory calculator) is taken when the layer is filled and kept
 * in its metadata, since a reused layer has no files at build time.
 */
import { type Layer, metadataSchema, type ResolvedDependency } from "@cnbkit/framework";
import { jvmClassCount as countClasses } from "../class-count.js";
import { JRE_PATCH_RULE } from "../patch-rule.js";
import type { StepContext } from "./step-context.js";

/** A launch runtime layer's metadata: the JVM's class count, when it could be taken. */
export const runtimeMetadata = metadataSchema({ jvmClassCount: "number?" });

/** What {@link runtimeMetadata} holds. */
export type RuntimeMetadata = ReturnType<typeof runtimeMetadata.validate>;

/** The launch runtime. */
export interface Jre {
  layer: Layer<RuntimeMetadata>;
  version: string;
}

/** Installs the JRE; sets JAVA_HOME and BPI_JVM_CLASS_COUNT for launch. */
export async function installJre(ctx: StepContext<"dependencies" | "log">, dep: ResolvedDependency): Promise<Jre> {
  ctx.log.step(`${dep.id === "jre" ? "JRE" : "JDK"} (launch)`);
  const layer = await ctx.dependencies.layer("jre", dep, {
    types: { launch: true },
    strip: dep.stripComponents ?? 1,
    metadata: runtimeMetadata,
    patch: JRE_PATCH_RULE,
    afterInstall: async (l) => ({ jvmClassCount: await countClasses(l.path) }),
  });
  launchRuntime(layer);
  return { layer, version: dep.version };
}

/**
 * What a launch runtime layer gives the app, whoever made it (the inventory's JRE or jlink):
 * JAVA_HOME, and the JVM's class count taken when it was filled (`metadata.jvmClassCount`).
 */
export function launchRuntime(layer: Layer<RuntimeMetadata>): void {
  layer.env.launch.override("JAVA_HOME", layer.path);
  const classes = layer.metadata.jvmClassCount;
  if (typeof classes === "number") layer.env.launch.default("BPI_JVM_CLASS_COUNT", String(classes));
}

/**
 * Step: what the image launches. Processes from the manifest ({@link startCommand}); for a
 * Spring Boot app, one launch slice per layer of BOOT-INF/layers.idx (so a code change
 * leaves the dependency layers' digests unchanged) and its version as an image label.
 */
import type { BuildResult } from "@cnbkit/framework";
import type { JarManifest } from "../jar-manifest.js";
import { layersToSlices, parseLayersIndex } from "../spring-boot-layers.js";
import { PROCESS_TYPES, startCommand } from "../start-command.js";
import type { StepContext } from "./step-context.js";

/**
 * The BuildResult: processes, and for Spring Boot slices and a label. `command` is given for
 * an app that is not an exploded jar (runnable-command.ts); `types` names its processes (a
 * WAR's are `web` and `tomcat`, as Paketo's Tomcat buildpack names them).
 */
export async function launchApp(
  ctx: StepContext<"app" | "log">,
  manifest: JarManifest,
  command: string[] = startCommand(manifest, "META-INF/MANIFEST.MF"),
  types: readonly string[] = PROCESS_TYPES,
): Promise<BuildResult> {
  const result: BuildResult = {
    processes: types.map((type) => ({ type, command, default: type === "web" })),
  };
  if (manifest.springBootVersion) {
    ctx.log.step(`Spring Boot ${manifest.springBootVersion}`);
    result.labels = [{ key: "org.springframework.boot.version", value: manifest.springBootVersion }];
    const index = manifest.springBootLayersIndex;
    const text = index ? await ctx.app.readText(index, { optional: true }) : undefined;
    if (index && text !== undefined) {
      const layers = parseLayersIndex(text, index);
      result.slices = layersToSlices(layers);
      ctx.log.detail(`Image layers from ${index}: ${layers.map((l) => l.name).join(", ")}`);
    }
  }
  // The framework logs the processes ("Process types") as it writes launch.toml.
  return result;
}

/**
 * Step: whether a Maven or Gradle build's output may be shared with the other platforms of a
 * multi-platform build (`ctx.multiPlatform.cached`'s `archNeutral` layers), from the app's
 * build files (arch-neutral-build.ts decides).
 */
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { archDependence, isBuildFile } from "../arch-neutral-build.js";
import type { SourceApp } from "./read-app.js";

/**
 * `true`, or `{ not: reason }` when a build file asks which CPU the build runs on: the value
 * of a build layer's `archNeutral` (`ctx.multiPlatform.cached`), whose reason the framework
 * says in an emulated build.
 */
export async function archNeutrality(app: SourceApp): Promise<true | { not: string }> {
  const files = await Promise.all(
    app.files.filter(isBuildFile).map(async (path) => ({ path, text: await readFile(join(app.dir, path), "utf8") })),
  );
  const why = archDependence(files);
  return why === undefined ? true : { not: `its output may depend on the CPU: ${why}` };
}

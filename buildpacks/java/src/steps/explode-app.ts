/**
 * Step: the app dir becomes the exploded jar. A prebuilt jar at the app root, or the jar a
 * build produced, is unpacked into the app dir (the build's sources are removed first, as
 * Paketo does: the image carries what runs, not what built it). An exploded app is left as
 * it is. Returns the manifest the app now has, and the jar's sha256 (what the app dir now
 * is made of: the app scan is keyed on it).
 */
import { createHash } from "node:crypto";
import { createReadStream, createWriteStream } from "node:fs";
import { mkdtemp, readdir, rename, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pipeline } from "node:stream/promises";
import { extract } from "@cnbkit/framework/dependencies";
import { type JarManifest, parseJarManifest } from "../jar-manifest.js";
import type { StepContext } from "./step-context.js";

/** The exploded app. */
export interface ExplodedApp {
  manifest: JarManifest;
  /** The sha256 of the jar the app dir was unpacked from; undefined for an app given exploded. */
  jarSha256?: string;
}

/** Unpacks `jar` (absolute; may lie inside the app dir) into the app dir; undefined leaves the app as it is. */
export async function explodeApp(ctx: StepContext<"app" | "log">, jar: string | undefined): Promise<ExplodedApp> {
  const appDir = ctx.app.path;
  let jarSha256: string | undefined;
  if (jar !== undefined) {
    ctx.log.step("Application");
    const tmp = await mkdtemp(join(tmpdir(), "cnbkit-java-jar-"));
    try {
      const kept = join(tmp, "app.jar");
      const hash = createHash("sha256");
      await pipeline(
        createReadStream(jar),
        async function* (chunks: AsyncIterable<Buffer>) {
          for await (const chunk of chunks) {
            hash.update(chunk);
            yield chunk;
          }
        },
        createWriteStream(kept),
      );
      jarSha256 = hash.digest("hex");
      for (const name of await readdir(appDir)) await rm(join(appDir, name), { recursive: true, force: true });
      // extract() stages next to its target, and the app dir's parent (/) is not the CNB
      // user's to write under the real lifecycle: unpack into a child of the app dir, then
      // move the entries up (same filesystem, so renames).
      const exploded = join(appDir, ".cnbkit-exploded");
      await extract(kept, exploded, { format: "zip" });
      for (const name of await readdir(exploded)) await rename(join(exploded, name), join(appDir, name));
      await rm(exploded, { recursive: true, force: true });
    } finally {
      await rm(tmp, { recursive: true, force: true });
    }
    ctx.log.detail(`Exploded ${jar.startsWith(appDir) ? jar.slice(appDir.length + 1) : jar} into the app directory`);
  }
  const manifest = parseJarManifest((await ctx.app.readText("META-INF/MANIFEST.MF", { optional: true })) ?? "");
  return jarSha256 === undefined ? { manifest } : { manifest, jarSha256 };
}

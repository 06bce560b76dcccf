/**
 * Step: the app's class count and libraries (app-scan.ts). Reading every jar's entries takes
 * ~1 s for a Spring Boot app, most of what a no-op rebuild spent in this buildpack. An app
 * exploded from a jar is exactly that jar, so its scan is kept in the metadata of the
 * cache-only `app_scan` layer, keyed on the jar's sha256, and taken again only when the jar
 * changes. An app given exploded is scanned on every build.
 */
import type { BuildContext, SbomComponent } from "@cnbkit/framework";
import { type AppScan, scanAppDir } from "../app-scan.js";
import type { JavaMetadata } from "./resolve-jvm.js";

/** Bump when what a scan records changes, so kept scans are taken again. */
const SCAN_FORMAT = 1;

/** Scans the app dir, or reuses the scan of the same jar. */
export async function scanApp(ctx: BuildContext<JavaMetadata>, jarSha256: string | undefined): Promise<AppScan> {
  if (jarSha256 === undefined) return scanAppDir(ctx.app.path);
  const layer = await ctx.layers.cached("app_scan", {
    types: { cache: true },
    key: { jar: jarSha256, format: SCAN_FORMAT },
    async fill(l) {
      const scan = await scanAppDir(ctx.app.path);
      l.metadata.classes = scan.classes;
      l.metadata.libraries = scan.libraries;
    },
  });
  return {
    classes: Number(layer.metadata.classes ?? 0),
    libraries: (layer.metadata.libraries as SbomComponent[] | undefined) ?? [],
  };
}

/**
 * Step: the app's class count and libraries (app-scan.ts). Reading every jar's entries takes
 * ~1 s for a Spring Boot app, most of what a no-op rebuild spent in this buildpack. An app
 * exploded from a jar is exactly that jar, so its scan is kept in the metadata of the
 * cache-only `app_scan` layer with the jar's sha256, and taken again only when the jar
 * changes; then only the jars in it that changed are read again (after an edit of a Spring
 * Boot app's own code, none of its libraries: ~0.5 s of CPU each rebuild). An app given
 * exploded is scanned on every build.
 */
import { metadataSchema, type SbomComponent } from "@cnbkit/framework";
import { type AppScan, type JarScan, scanAppDir } from "../app-scan.js";
import type { LaunchTree } from "./launch-tree.js";
import type { StepContext } from "./step-context.js";

/** Bump when what a scan records changes, so kept scans are taken again. */
const SCAN_FORMAT = 3;

/**
 * A kept scan: the jar it was of, its class count and libraries (SBOM components), and what
 * each jar in it gave, for the next scan of a changed jar to take the unchanged ones from.
 */
const scanMetadata = metadataSchema({ jar: "string", classes: "number", libraries: components, jars: jarScans });

/** An SBOM component list read back from TOML: each a table with a string `name`. */
function components(value: unknown, field: string): SbomComponent[] {
  const ok = (c: unknown): c is SbomComponent =>
    typeof c === "object" && c !== null && typeof (c as { name?: unknown }).name === "string";
  if (!Array.isArray(value) || !value.every(ok)) throw new Error(`${field} is not a list of components`);
  return value;
}

/** Kept jar scans read back from TOML (counts may come back as bigint). */
function jarScans(value: unknown, field: string): JarScan[] {
  if (!Array.isArray(value)) throw new Error(`${field} is not a list of jar scans`);
  return value.map((j, i) => {
    const t = j as Record<string, unknown>;
    if (typeof t.name !== "string" || typeof t.sha256 !== "string" || typeof t.component !== "object")
      throw new Error(`${field}[${i}] is not a jar scan`);
    const [component] = components([t.component], `${field}[${i}].component`);
    return { name: t.name, sha256: t.sha256, classes: Number(t.classes), component: component as SbomComponent };
  });
}

/** Scans the app dir, or reuses the scan of the same jar (and of the same libraries in a changed one). */
export async function scanApp(ctx: StepContext<"layers">, tree: LaunchTree): Promise<AppScan> {
  if (tree.jarSha256 === undefined) return scanAppDir(tree.dir, tree.files, tree.ownJars);
  const layer = await ctx.layers.cached("app_scan", {
    types: { cache: true },
    key: { format: SCAN_FORMAT },
    metadata: scanMetadata,
    fill: () => ({ jar: "", classes: 0, libraries: [], jars: [] }),
  });
  if (layer.metadata.jar !== tree.jarSha256) {
    const { classes, libraries, jars } = await scanAppDir(tree.dir, tree.files, tree.ownJars, layer.metadata.jars);
    layer.metadata = { jar: tree.jarSha256, classes, libraries, jars };
  }
  return { classes: layer.metadata.classes, libraries: layer.metadata.libraries };
}

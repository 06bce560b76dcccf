/**
 * Step: the app's class count and libraries (app-scan.ts). Reading every jar's entries takes
 * ~1 s for a Spring Boot app, most of what a no-op rebuild spent in this buildpack. An app
 * exploded from a jar is exactly that jar, so its scan is kept in the metadata of the
 * cache-only `app_scan` layer, keyed on the jar's sha256, and taken again only when the jar
 * changes. An app given exploded is scanned on every build.
 */
import { metadataSchema, type SbomComponent } from "@cnbkit/framework";
import { type AppScan, scanAppDir } from "../app-scan.js";
import type { LaunchTree } from "./launch-tree.js";
import type { StepContext } from "./step-context.js";

/** Bump when what a scan records changes, so kept scans are taken again. */
const SCAN_FORMAT = 2;

/** A kept scan: its class count and the libraries, as SBOM components. */
const scanMetadata = metadataSchema({ classes: "number", libraries: components });

/** An SBOM component list read back from TOML: each a table with a string `name`. */
function components(value: unknown, field: string): SbomComponent[] {
  const ok = (c: unknown): c is SbomComponent =>
    typeof c === "object" && c !== null && typeof (c as { name?: unknown }).name === "string";
  if (!Array.isArray(value) || !value.every(ok)) throw new Error(`${field} is not a list of components`);
  return value;
}

/** Scans the app dir, or reuses the scan of the same jar. */
export async function scanApp(ctx: StepContext<"layers">, tree: LaunchTree): Promise<AppScan> {
  const scan = () => scanAppDir(tree.dir, tree.files, tree.ownJars);
  if (tree.jarSha256 === undefined) return scan();
  const layer = await ctx.layers.cached("app_scan", {
    types: { cache: true },
    key: { jar: tree.jarSha256, format: SCAN_FORMAT },
    metadata: scanMetadata,
    async fill() {
      const { classes, libraries } = await scan();
      return { classes, libraries };
    },
  });
  return layer.metadata;
}

/**
 * Spring Boot's `BOOT-INF/layers.idx` turned into launch.toml slices: each index layer
 * (dependencies, spring-boot-loader, snapshot-dependencies, application, or the app's own
 * names) becomes one image layer, so a code change leaves the others' digests unchanged.
 *
 * The index is a small YAML subset that Spring Boot writes itself:
 * ```
 * - "dependencies":
 *   - "BOOT-INF/lib/"
 * - "application":
 *   - "BOOT-INF/classes/"
 * ```
 * Paths are relative to the exploded jar's root; a trailing `/` means a directory.
 */
import { CnbError, type BuildResult } from "@cnbkit/framework";

/** One layer of the index, in order. */
export interface BootLayer {
  name: string;
  paths: string[];
}

/**
 * Parses layers.idx text. `where` names the file in errors.
 *
 * @example
 * parseLayersIndex('- "application":\n  - "BOOT-INF/classes/"\n', "BOOT-INF/layers.idx")
 * // [{ name: "application", paths: ["BOOT-INF/classes/"] }]
 */
export function parseLayersIndex(text: string, where: string): BootLayer[] {
  const layers: BootLayer[] = [];
  text.split(/\r?\n/).forEach((line, i) => {
    if (line.trim() === "") return;
    const layer = /^- "([^"]+)":\s*$/.exec(line);
    if (layer) {
      layers.push({ name: layer[1] as string, paths: [] });
      return;
    }
    const path = /^\s+- "([^"]+)"\s*$/.exec(line);
    const current = layers[layers.length - 1];
    if (path && current) {
      current.paths.push(path[1] as string);
      return;
    }
    throw new CnbError(`${where}: line ${i + 1} is not a layer ("- \\"name\\":") or a path ("  - \\"path\\"")`, {
      hint: "The file is written by Spring Boot's Maven or Gradle plugin; rebuild the jar rather than editing it",
    });
  });
  return layers;
}

/**
 * One slice per non-empty index layer, in index order. Directory paths lose their trailing
 * `/`: a slice path that names a directory takes everything under it.
 */
export function layersToSlices(layers: readonly BootLayer[]): NonNullable<BuildResult["slices"]> {
  return layers
    .filter((l) => l.paths.length > 0)
    .map((l) => ({ paths: l.paths.map((p) => (p.endsWith("/") && p.length > 1 ? p.slice(0, -1) : p)) }));
}

/**
 * A verified dependency in its own cached layer: the step nearly every buildpack repeats (a
 * JDK, Maven, Gradle, Tomcat, a runtime), written once, as packit's postal + a layer is. It
 * decides the three things each copy decided on its own, the same way every time:
 * - the key: the dependency's id, version, sha256 and the target arch (plus what the caller
 *   adds, such as a digest of the config it writes), so any change to what is installed makes
 *   a new layer and the log says why;
 * - caching: a launch-only layer is reused from the previous image, not the cache; a build
 *   layer is cached unless the builder carries the dependency (`file://`), where installing
 *   it again costs about what restoring and re-hashing the cache would;
 * - the SBOM: the dependency's component on the layer, on every build, reused or not.
 */
import type { Dependency } from "../dependencies/index.js";
import type { LayerTypes } from "../cnb-files/index.js";
import type { Layer, LayerMetadata, Layers, MetadataTable } from "../layers/index.js";
import type { Logger } from "../log/index.js";
import type { SbomComponent } from "../sbom/index.js";

/** Options of {@link Dependencies.layer}. */
export interface DependencyLayerOptions<M extends object = MetadataTable> {
  /** Where the layer is used: at build, at launch, or both. */
  types: Partial<Pick<LayerTypes, "build" | "launch">>;
  /** More of the key than the dependency itself: a digest of the files `afterInstall` writes, say. */
  key?: Readonly<Record<string, string | number | boolean>>;
  /** Leading path components dropped from an archive (default: the entry's `strip-components`). */
  strip?: number;
  /** Said after "Installing <name> <version>" (e.g. "(build only)"). */
  note?: string;
  /** The type of `[metadata]`, for what `afterInstall` returns. */
  metadata?: LayerMetadata<M>;
  /**
   * Runs in a new layer once the dependency is installed: trim it, write its config, take
   * facts a reused layer will not have files for. What it returns is the layer's metadata.
   */
  afterInstall?: (layer: Layer<M>) => Promise<M | undefined | void> | M | undefined | void;
}

/** What {@link dependencyLayer} needs of the build: its layers, log, and the dependencies' own install. */
export interface DependencyLayerHost {
  /** The build's layers. */
  layers: Layers;
  /** The build's log. */
  log: Logger;
  /** The target architecture, part of every key (a layer never crosses arches). */
  arch: string;
  /** Whether the builder carries `dep` ({@link Dependencies.onBuilder}). */
  onBuilder(dep: Dependency): Promise<boolean>;
  /** Verified download and install ({@link Dependencies.install}). */
  install(dep: Dependency, dest: string, options: { strip?: number }): Promise<unknown>;
}

/** Installs `dep` into the cached layer `name` (see the file's doc), and returns the layer. */
export async function dependencyLayer<M extends object = MetadataTable>(
  host: DependencyLayerHost,
  name: string,
  dep: Dependency & { component(): SbomComponent },
  options: DependencyLayerOptions<M>,
): Promise<Layer<M>> {
  const { build = false, launch = false } = options.types;
  const cache = launch && !build ? false : !(await host.onBuilder(dep));
  const layer = await host.layers.cached<Record<string, unknown>, M>(name, {
    types: { build, launch, cache },
    key: { id: dep.id, version: dep.version, sha256: dep.sha256, arch: host.arch, ...options.key },
    ...(options.metadata ? { metadata: options.metadata } : {}),
    async fill(l) {
      const done = host.log.timer();
      host.log.detail(`Installing ${dep.name ?? dep.id} ${dep.version}${options.note ? ` ${options.note}` : ""}`);
      await host.install(dep, l.path, options.strip === undefined ? {} : { strip: options.strip });
      const metadata = await options.afterInstall?.(l);
      host.log.detail(`Installed in ${done()}`);
      return metadata;
    },
  });
  layer.sbom.add(dep.component());
  return layer;
}

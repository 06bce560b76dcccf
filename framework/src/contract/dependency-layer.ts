/**
 * A verified dependency in its own cached layer: the step nearly every buildpack repeats (a
 * JDK, Maven, Gradle, Tomcat, a runtime), written once, as packit's postal + a layer is. It
 * decides the three things each copy decided on its own, the same way every time:
 * - the key: the dependency's id, version, sha256 and the target arch (plus what the caller
 *   adds, such as a digest of the config it writes), so any change to what is installed makes
 *   a new layer and the log says why;
 * - caching: a launch-only layer is reused from the previous image, not the cache; a build
 *   layer is cached unless the builder carries the dependency (`file://`), where installing
 *   it again costs about what restoring and re-hashing the cache would (a caller that knows
 *   better, such as a runtime whose build and launch use varies, says `types.cache` itself);
 * - the SBOM: the dependency's component on the layer, on every build, reused or not.
 */
import type { Dependency } from "../dependencies/index.js";
import { PATCH_METADATA_KEY, type PatchRule, patchRecord } from "../dependencies/patch-rule.js";
import type { LayerTypes } from "../cnb-files/index.js";
import type { Layer, LayerMetadata, Layers, LayerState, MetadataTable } from "../layers/index.js";
import type { Logger } from "../log/index.js";
import type { SbomComponent } from "../sbom/index.js";

/** Options for {@link Dependencies.install}. */
export interface InstallOptions {
  /** Leading path components to drop from archive entries (default: the inventory's strip-components, else 0). */
  strip?: number;
  /**
   * A directory (e.g. a cache layer's path) that keeps verified downloads by sha256: a later
   * build installs from it without downloading again.
   */
  cacheDir?: string;
  /** Archive paths (after strip) not to install, with everything under them: see `ExtractOptions.exclude`. */
  exclude?: string[];
  /**
   * Keep the verified download in this directory instead of deleting it; `install` then
   * returns its path. For a tool that reads the archive again later (node-gyp takes Node's C
   * headers from the tarball only when an addon compiles), without a second download. A
   * `file://` dependency (an offline buildpackage's own copy) is not copied: its own path,
   * verified, is returned, and it stays there for the whole build.
   */
  keepDownloadIn?: string;
}

/** Options of {@link Dependencies.layer}: the layer's, and how the dependency is installed in it. */
export interface DependencyLayerOptions<M extends object = MetadataTable> extends InstallOptions {
  /**
   * Where the layer is used: at build, at launch, or both. `cache`, when given, is the
   * caller's choice and wins over the rule in this file's doc.
   */
  types: Partial<Pick<LayerTypes, "build" | "launch" | "cache">>;
  /** More of the key than the dependency itself: a digest of the files `afterInstall` writes, say. */
  key?: Readonly<Record<string, string | number | boolean>>;
  /**
   * Whether the dependency's id is part of the key (default true). A layer whose key had no id
   * before it was made here (the Node.js and Python runtimes') says false, so the layers that
   * earlier builds cached or exported still match and are reused.
   */
  idInKey?: boolean;
  /** Said after "Installing <name> <version>" (e.g. "(build only)"). */
  note?: string;
  /** The type of `[metadata]`, for what `afterInstall` returns. */
  metadata?: LayerMetadata<M>;
  /**
   * This layer may be patched in an image without a rebuild, within this rule's release line
   * (`cnbkit fleet patch`). The rule and the exact dependency are recorded in the layer's
   * `[metadata]` under `patch`, so the decision needs only the image. Leave it out for a layer
   * that holds more than the dependency (a compiled config, app-specific files).
   */
  patch?: PatchRule;
  /**
   * Runs in a new layer once the dependency is installed (and "Installed in" said): trim it,
   * write its config, take facts a reused layer will not have files for. `download` is the
   * kept download's path when `keepDownloadIn` was given. What it returns is the layer's
   * metadata. It runs again when a layer reused from the image is filled after all
   * (`layer.ensureContents()`).
   */
  afterInstall?: (
    layer: Layer<M>,
    download: string | undefined,
  ) => Promise<M | undefined | void> | M | undefined | void;
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
  /** Verified download and install ({@link Dependencies.install}); the kept download's path, if kept. */
  install(dep: Dependency, dest: string, options: InstallOptions): Promise<string | undefined>;
}

/** The types and key `dep`'s layer is declared with (the rules in the file's doc). */
async function declaration<M extends object>(
  host: DependencyLayerHost,
  dep: Dependency,
  options: DependencyLayerOptions<M>,
): Promise<{ types: LayerTypes; key: Record<string, string | number | boolean> }> {
  const { build = false, launch = false } = options.types;
  const cache = options.types.cache ?? (launch && !build ? false : !(await host.onBuilder(dep)));
  const id: Record<string, string> = options.idInKey === false ? {} : { id: dep.id };
  return {
    types: { build, launch, cache },
    key: { ...id, version: dep.version, sha256: dep.sha256, arch: host.arch, ...options.key },
  };
}

/**
 * A dependency layer a build may not need (a toolchain, when the app's output is reused), from
 * {@link Dependencies.lazyLayer}. A cached layer whose key matches is kept as it is, with no
 * install, so the next build that needs it still finds it; otherwise nothing is installed or
 * declared until a step calls {@link LazyDependencyLayer.get}.
 */
export interface LazyDependencyLayer<M extends object = MetadataTable> {
  /** What the cache held for this key: `restored` (then {@link kept} is set), `reset` (why) or `new`. */
  readonly state: LayerState;
  /** The layer kept from the cache by its key, declared and with its SBOM; undefined when not restored. */
  readonly kept: Layer<M> | undefined;
  /** The layer with the dependency in it: the kept one, else installed now (once; later calls share it). */
  get(): Promise<Layer<M>>;
}

/**
 * {@link LazyDependencyLayer}: keeps `name` when the cache holds it under the key
 * {@link dependencyLayer} would use, else defers the install to `get()`. A launch layer is
 * installed at once (the image needs it whether a step does or not).
 */
export async function lazyDependencyLayer<M extends object = MetadataTable>(
  host: DependencyLayerHost,
  name: string,
  dep: Dependency & { component(): SbomComponent },
  options: DependencyLayerOptions<M>,
): Promise<LazyDependencyLayer<M>> {
  const { types, key } = await declaration(host, dep, options);
  let installed: Promise<Layer<M>> | undefined;
  const get = () => {
    installed ??= dependencyLayer(host, name, dep, options);
    return installed;
  };
  if (types.launch) {
    const layer = await get();
    return { state: layer.state, kept: layer, get };
  }
  const metadata = options.metadata ? { metadata: options.metadata } : {};
  const kept = await host.layers.keep<Record<string, unknown>, M>(name, { types, key, ...metadata });
  if (kept) {
    host.log.detail(`Reusing ${name} (key unchanged; kept without installing)`);
    kept.sbom.add(dep.component());
    installed = Promise.resolve(kept);
    return { state: kept.state, kept, get };
  }
  const state = await host.layers.peek<Record<string, unknown>, M>(name, { types, key, ...metadata });
  host.log.detail(
    `Not installing ${dep.name ?? dep.id} ${dep.version} yet: ${state.kind === "reset" ? `${state.reason}; ` : ""}only a step that needs it will`,
  );
  return { state, kept: undefined, get };
}

/** Installs `dep` into the cached layer `name` (see the file's doc), and returns the layer. */
export async function dependencyLayer<M extends object = MetadataTable>(
  host: DependencyLayerHost,
  name: string,
  dep: Dependency & { component(): SbomComponent },
  options: DependencyLayerOptions<M>,
): Promise<Layer<M>> {
  const { types, key } = await declaration(host, dep, options);
  const layer = await host.layers.cached<Record<string, unknown>, M>(name, {
    types,
    key,
    ...(options.metadata ? { metadata: options.metadata } : {}),
    async fill(l) {
      const done = host.log.timer();
      host.log.detail(`Installing ${dep.name ?? dep.id} ${dep.version}${options.note ? ` ${options.note}` : ""}`);
      const download = await host.install(dep, l.path, installOptions(options));
      host.log.detail(`Installed in ${done()}`);
      return options.afterInstall?.(l, download);
    },
  });
  layer.sbom.add(dep.component());
  // Written on every build, reused layer or new, so the image always says what it holds.
  if (options.patch)
    (layer.metadata as Record<string, unknown>)[PATCH_METADATA_KEY] = patchRecord(dep, host.arch, options.patch);
  return layer;
}

/** The install options among `options`, without the ones left out (exactOptionalPropertyTypes). */
function installOptions(options: InstallOptions): InstallOptions {
  const { strip, cacheDir, exclude, keepDownloadIn } = options;
  return {
    ...(strip === undefined ? {} : { strip }),
    ...(cacheDir === undefined ? {} : { cacheDir }),
    ...(exclude === undefined ? {} : { exclude }),
    ...(keepDownloadIn === undefined ? {} : { keepDownloadIn }),
  };
}

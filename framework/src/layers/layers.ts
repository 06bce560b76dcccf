/**
 * Layers with explicit state and explicit reuse decisions.
 *
 * A cached layer is declared with the key that decides reuse:
 *
 * ```ts
 * const node = await ctx.layers.cached("node", {
 *   types: { build: true, launch: true, cache: true },
 *   key: { version: dep.version, sha256: dep.sha256 },
 *   async fill(layer) { await ctx.dependencies.install(dep, layer.path, { strip: 1 }); },
 * });
 * switch (node.state.kind) { case "new": ...; case "restored": ...; case "reset": ... }
 * ```
 *
 * The key is stored in `<layer>.toml` as `[metadata.cache-key]`. On the next build the
 * lifecycle restores that TOML (without `[types]`) and, for cache layers, the directory; the
 * layer is reused only when the stored key deep-equals the expected one, and the decision is
 * logged ("Reusing node (key unchanged)", "Rebuilding node: version 24.10.0 → 24.11.1").
 * A launch-only layer (launch, not build, not cache) comes back as TOML only: when its key
 * matches, the directory is not recreated, and the lifecycle reuses the previous image's
 * layer. `[types]` is always rewritten at the end of the build.
 *
 * A cache-only layer (cache, not build, not launch) is kept by reference when the platform
 * offers a layer cache (`LayersOptions.layerCacheRoot`, by-reference.ts): its directory and
 * TOML live under `<root>/<bp>/` instead of `<layers>/<bp>/`, so the lifecycle neither untars
 * nor tars it. Its states, key rules and log lines are the same; only where it lives differs.
 * A layer declared with `byReference: false` (its files are hard-linked into another layer,
 * which needs one mount) stays in `<layers>` whatever the platform offers.
 *
 * Sharing layers between the platforms of one multi-platform build is not here: a buildpack
 * opts into it through `ctx.multiPlatform` (multi-platform.ts). `Layers` gives it one hook,
 * {@link Layers.cachedWith}, and calls its `share` at {@link Layers.finish}.
 */
import { existsSync } from "node:fs";
import { mkdir, readdir, readFile, rm } from "node:fs/promises";
import { join } from "node:path";
import { writeEnvDelta } from "../environment/index.js";
import { CnbError } from "../errors/index.js";
import { selfProgram } from "../environment/index.js";
import type { Logger } from "../log/index.js";
import { type LayerTypes, parseLayerToml, stringifyLayerToml } from "../cnb-files/index.js";
import { validateLayerName } from "../cnb-files/index.js";
import { writeAtomic } from "../fs/index.js";
import { type LayerMetadata, type MetadataTable, readLayerMetadata } from "./metadata.js";
import { CACHE_KEY_FIELD, isTable, keyChanges, type LayerKey } from "./cache-key.js";
import { Layer, type LayerFill, type LayerState } from "./layer.js";
import type { CachedLayerOptions, FreshLayerOptions } from "./layer-options.js";
import type { ArchNeutralStore } from "./arch-neutral-store.js";
import { type AppOutputOptions, type ArchVariants, MultiPlatform, type RestoreStep } from "./multi-platform.js";
import { dropUndefined } from "./toml-table.js";
import { byReferenceDir, goesByReference, isCacheOnly, removeUndeclared } from "./by-reference.js";

export type { LayerTypes } from "../cnb-files/index.js";

/** Options for the {@link Layers} constructor. */
export interface LayersOptions {
  /** Where the reuse decisions ("Reusing", "Rebuilding", "Caching") are said. */
  log: Logger;
  /** Media types from buildpack.toml `sbom-formats`. */
  sbomFormats?: readonly string[];
  /** The running buildpack program, for `execD.addSelf` (default: {@link selfProgram}). */
  self?: () => Promise<string>;
  /**
   * The arch-neutral store the platform bound, if any.
   *
   * @deprecated Give the store to `new MultiPlatform(layers, { store, log })` (multi-platform.ts),
   * as the build entry does. Here it serves only this class's deprecated multi-platform members
   * when no `MultiPlatform` is attached.
   */
  archNeutral?: ArchNeutralStore;
  /**
   * The layer cache's root, where cache-only layers are kept by reference
   * (`<root>/<bp>/<name>`, by-reference.ts), or null / left out for none: every layer lives
   * under `<layers>`, as with a stock platform. The build entry finds it once per build
   * (`findLayerCacheRoot`); a test gives a temporary dir, or null, to play either platform.
   */
  layerCacheRoot?: string | null;
}

/** The layers of one build: `ctx.layers`. */
export class Layers {
  // biome-ignore lint/suspicious/noExplicitAny: layers of every metadata type
  private readonly declared = new Map<string, Layer<any>>();
  /** The build's multi-platform sharing (multi-platform.ts), once one is attached or needed. */
  #sharing?: MultiPlatform;
  private readonly log: Logger;
  private readonly self: () => Promise<string>;
  /** `<root>/<bp>` when cache-only layers go by reference in this build (by-reference.ts). */
  private readonly byReference: string | undefined;

  constructor(
    /** `<layers>`: this buildpack's layers directory. */
    readonly path: string,
    private readonly options: LayersOptions,
  ) {
    this.log = options.log;
    this.self = options.self ?? selfProgram;
    const root = options.layerCacheRoot;
    this.byReference = root ? byReferenceDir(root, path) : undefined;
    if (this.byReference) this.log.debug(`Cache-only layers are kept by reference in ${this.byReference}`);
  }

  /**
   * Where this buildpack's cache-only layers are kept by reference (`<root>/<bp>`), or
   * undefined when the platform offers no layer cache (pack, kpack, `CNBKIT_LAYER_CACHE=off`),
   * so every layer goes through the lifecycle. A buildpack asks it to choose a layout that
   * only pays with one: a large dependency its build layer would reinstall on every build
   * (the builder carries it, so caching it through the lifecycle would cost what installing
   * does) can be kept in a cache-only layer instead, at no cost per build, and linked from a
   * small build layer (the Go buildpack's toolchain does so).
   */
  get keptByReferenceIn(): string | undefined {
    return this.byReference;
  }

  /**
   * The directory a layer with these (effective) types lives in: {@link byReference} for a
   * cache-only layer when there is a layer cache and its author did not opt out
   * (`CachedLayerOptions.byReference: false`), `<layers>` otherwise.
   */
  private homeFor(types: Partial<LayerTypes>, byReference?: boolean): string {
    return this.byReference !== undefined && goesByReference(types, byReference) ? this.byReference : this.path;
  }

  /**
   * A layer reused across builds while `key` is unchanged. `fill` runs only for a new or
   * reset layer; on reset the old contents are deleted first.
   */
  async cached<K extends LayerKey, M extends object = MetadataTable>(
    name: string,
    options: CachedLayerOptions<K, M>,
  ): Promise<Layer<M>> {
    // The deprecated multi-platform options go where they are handled now.
    if (options.archNeutral !== undefined || options.archVariants !== undefined) {
      return this.sharing.cached(name, options);
    }
    return this.cachedWith(name, options, async () => false);
  }

  /**
   * {@link cached}, with a step that may restore a layer the lifecycle did not restore before
   * `fill` runs (true when it did): how `MultiPlatform` (multi-platform.ts) restores a layer
   * the native build shared. Not for buildpacks: they call `ctx.multiPlatform.cached`.
   * A cache-only layer kept by reference goes through the same step: `prepare` empties, and
   * `layer.path` is, its directory in the layer cache, so the store restores into it and
   * shares from it as from `<layers>`; every combination works, none is kept off it.
   */
  async cachedWith<K extends LayerKey, M extends object = MetadataTable>(
    name: string,
    options: CachedLayerOptions<K, M>,
    restore: RestoreStep<M>,
  ): Promise<Layer<M>> {
    this.checkName(name);
    const { home, dir, types, state, metadata, migrated, reusedFromImage } = await this.lookUp(name, options);
    const refill = async (l: Layer<M>) => {
      this.log.detail(`Rebuilding ${name}: ${l.state.kind === "reset" ? l.state.reason : "needed"}`);
      await this.prepare(home, name);
      await this.fill(home, l, options.fill, options.metadata);
    };
    const key = options.key;
    const byReference = home !== this.path;
    const layer = new Layer<M>({
      name,
      path: dir,
      state,
      types,
      key,
      reusedFromImage,
      byReference,
      self: this.self,
      refill,
    });
    if (state.kind === "restored") {
      layer.metadata = metadata as M;
      this.log.detail(`Reusing ${name} (key unchanged${migrated ? ", metadata migrated from an older version" : ""})`);
    } else if (!(await restore(layer, () => this.prepare(home, name)))) {
      if (state.kind === "reset") this.log.detail(`Rebuilding ${name}: ${state.reason}`);
      // The default the author did not write, said where it takes effect (issue 72: a launch
      // layer was cached too, and only the exporter's "Adding cache layer" showed it).
      if (options.types.cache === undefined) {
        this.log.detail(
          `Caching ${name} for the next build too: layers.cached() defaults types.cache to true (write it, or cache: false)`,
        );
      }
      await this.prepare(home, name);
      await this.fill(home, layer, options.fill, options.metadata);
    }
    this.declared.set(name, layer);
    return layer;
  }

  /**
   * Makes `sharing` the multi-platform sharing of this build: {@link finish} shares its layers,
   * and the deprecated members below use it. `new MultiPlatform(layers, …)` calls it.
   */
  attach(sharing: MultiPlatform): void {
    this.#sharing = sharing;
  }

  /**
   * The attached sharing, or (for a `Layers` made without the build entry, as older tests
   * make it) one made from the deprecated `LayersOptions.archNeutral`, which attaches itself.
   */
  private get sharing(): MultiPlatform {
    return this.#sharing ?? new MultiPlatform(this, { store: this.options.archNeutral, log: this.log });
  }

  /**
   * Where the native build stores other architectures' variants of a layer.
   *
   * @deprecated Use `ctx.multiPlatform.variants` (multi-platform.ts): the same value.
   */
  get variants(): ArchVariants | undefined {
    return this.sharing.variants;
  }

  /**
   * Runs a step that writes into the app once per multi-platform build.
   *
   * @deprecated Use `ctx.multiPlatform.appOutput` (multi-platform.ts): the same step.
   */
  async appOutput<K extends LayerKey>(name: string, options: AppOutputOptions<K>): Promise<LayerState | undefined> {
    return this.sharing.appOutput(name, options);
  }

  /**
   * Keeps a cached layer this build did not need, as it is, for a later build that may.
   * The lifecycle drops every layer a build leaves undeclared, so a tool installed only when
   * a lockfile changes would otherwise be lost after one build that did not install. Kept
   * only when its stored key equals `key` and its files were restored; otherwise nothing
   * is declared and the layer goes, as undeclared layers do. Returns the kept layer.
   */
  async keep<K extends LayerKey, M extends object = MetadataTable>(
    name: string,
    options: Pick<CachedLayerOptions<K, M>, "types" | "key" | "metadata" | "byReference">,
  ): Promise<Layer<M> | undefined> {
    this.checkName(name);
    const declared = this.declared.get(name);
    if (declared) return declared;
    const { home, dir, types, state, metadata, reusedFromImage } = await this.lookUp(name, options);
    if (state.kind !== "restored" || reusedFromImage) return undefined;
    const byReference = home !== this.path;
    const layer = new Layer<M>({ name, path: dir, state, types, key: options.key, byReference, self: this.self });
    layer.metadata = metadata as M;
    this.declared.set(name, layer);
    return layer;
  }

  /**
   * The state {@link cached} would find `name` in with these types and key, without declaring
   * or touching it: a step can start work a rebuild will need (a download) before the layer's
   * turn comes.
   */
  async peek<K extends LayerKey, M extends object = MetadataTable>(
    name: string,
    options: Pick<CachedLayerOptions<K, M>, "types" | "key" | "metadata" | "byReference">,
  ): Promise<LayerState> {
    this.checkName(name);
    return (await this.lookUp(name, options)).state;
  }

  /**
   * What the lifecycle left of `name`, against the key a build expects: the layer's state,
   * its stored metadata (the key taken out, validated or migrated by `options.metadata`), and
   * whether a launch-only layer came back as TOML only, for the exporter to reuse from the
   * previous image. Metadata the layer's type refuses resets it. A cache-only layer is looked
   * up where it is kept by reference, when it is (`home`; not with `byReference: false`).
   */
  private async lookUp<K extends LayerKey, M extends object>(
    name: string,
    options: Pick<CachedLayerOptions<K, M>, "types" | "key" | "metadata" | "byReference">,
  ) {
    const types = { ...options.types, cache: options.types.cache ?? true };
    const home = this.homeFor(types, options.byReference);
    const dir = join(home, name);
    const stored = await this.readStored(home, name);
    const launchOnly = !!types.launch && !types.build && !types.cache;
    const { [CACHE_KEY_FIELD]: storedKey, ...raw } = stored ?? {};
    let metadata: unknown = raw;
    let migrated = false;
    let state: LayerState;
    let reusedFromImage = false;
    if (stored === undefined) {
      state = { kind: "new" };
    } else {
      const changes = isTable(storedKey) ? keyChanges(storedKey, options.key) : ["no cache key was stored"];
      if (changes.length > 0) {
        state = { kind: "reset", reason: changes.join(", ") };
      } else if (existsSync(dir)) {
        state = { kind: "restored", key: storedKey as LayerKey };
      } else if (launchOnly) {
        state = { kind: "restored", key: storedKey as LayerKey };
        reusedFromImage = true;
      } else {
        state = { kind: "reset", reason: "contents were not restored" };
      }
      if (state.kind === "restored" && options.metadata) {
        const read = readLayerMetadata(options.metadata, raw);
        if (read.ok) {
          metadata = read.metadata;
          migrated = read.migrated;
        } else {
          state = { kind: "reset", reason: read.reason };
          reusedFromImage = false;
          metadata = {};
        }
      }
    }
    return { home, dir, types, state, metadata, migrated, reusedFromImage };
  }

  /** A layer built from scratch on every build (old contents, if any, are deleted). */
  async fresh<M extends object = MetadataTable>(name: string, options: FreshLayerOptions<M>): Promise<Layer<M>> {
    this.checkName(name);
    const home = this.homeFor(options.types);
    const layer = new Layer<M>({
      name,
      path: join(home, name),
      byReference: home !== this.path,
      state: { kind: "new" },
      types: options.types,
      self: this.self,
    });
    await this.prepare(home, name);
    if (options.fill) await this.fill(home, layer, options.fill, options.metadata);
    this.declared.set(name, layer);
    return layer;
  }

  /** A layer declared earlier in this build, if any (its metadata untyped). */
  get(name: string): Layer | undefined {
    return this.declared.get(name);
  }

  /** Every layer declared in this build, in declaration order. */
  all(): Layer[] {
    return [...this.declared.values()];
  }

  /**
   * Deletes a layer: directory, TOML and SBOM files (e.g. one a previous build left), under
   * `<layers>` and where cache-only layers are kept by reference.
   */
  async remove(name: string): Promise<void> {
    this.checkName(name);
    this.declared.delete(name);
    await this.clear(this.path, name);
    if (this.byReference !== undefined) await this.clear(this.byReference, name);
  }

  /**
   * Writes every declared layer's env files, SBOMs and `<layer>.toml` (types always, the
   * key and metadata in `[metadata]`), each where the layer lives, then removes the
   * by-reference layers this build did not declare (as the lifecycle drops undeclared ones).
   * A layer declared with `byReference: false` lives in `<layers>`, out of that sweep; a copy
   * an earlier build kept of it by reference goes, as nothing reads it any more.
   * The build entry point calls this once build returns.
   */
  async finish(): Promise<void> {
    // Before the env files: each platform's build writes its own.
    await this.#sharing?.share();
    const formats = this.supportedSbomFormats();
    const byReference = new Set<string>();
    for (const layer of this.declared.values()) {
      // A layer is kept by reference only when this build has a layer cache.
      const home = layer.byReference ? (this.byReference as string) : this.path;
      if (layer.byReference) {
        this.checkStillCacheOnly(layer);
        byReference.add(layer.name);
      }
      if (!layer.reusedFromImage && !layer.env.isEmpty) await writeEnvDelta(layer.path, layer.env);
      if (layer.sbom.components.length > 0 && formats.length > 0) {
        const { writeSbomFiles } = await import("../sbom/index.js");
        await writeSbomFiles(join(home, `${layer.name}.sbom`), formats, layer.sbom.components, {
          name: layer.name,
        });
      }
      const metadata: Record<string, unknown> = { ...layer.metadata };
      if (layer.key !== undefined) metadata[CACHE_KEY_FIELD] = layer.key;
      const text = stringifyLayerToml({ types: layer.types, metadata: dropUndefined(metadata) });
      await writeAtomic(join(home, `${layer.name}.toml`), text);
    }
    if (this.byReference !== undefined) await removeUndeclared(this.byReference, byReference);
  }

  /**
   * A layer kept by reference was declared cache-only; a build that makes it a build or
   * launch layer afterwards (`layer.types.launch = true`) would have it written where the
   * lifecycle never looks, so the image would silently lack it. Said instead.
   */
  private checkStillCacheOnly(layer: Layer): void {
    if (isCacheOnly(layer.types)) return;
    throw new CnbError(
      `layer ${layer.name}: declared cache-only, then made a build or launch layer; the layer cache keeps cache-only layers apart from the image`,
      { hint: "declare the layer with the types it ends up with" },
    );
  }

  /** The `sbom-formats` cnbkit can write; others (Syft) are skipped with a warning once. */
  supportedSbomFormats(): string[] {
    const wanted = this.options.sbomFormats ?? [];
    const ok: string[] = wanted.filter((f) => f === "application/vnd.cyclonedx+json" || f === "application/spdx+json");
    for (const f of wanted) if (!ok.includes(f)) this.log.warn(`SBOM format ${f} is not supported; skipped`);
    return ok;
  }

  private checkName(name: string): void {
    validateLayerName(name, "layer name");
  }

  /** The `[metadata]` of `<home>/<name>.toml`, if there is one. */
  private async readStored(home: string, name: string): Promise<Record<string, unknown> | undefined> {
    const file = join(home, `${name}.toml`);
    let text: string;
    try {
      text = await readFile(file, "utf8");
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === "ENOENT") return undefined;
      throw err;
    }
    return parseLayerToml(text, file).metadata;
  }

  /** Empties the layer in `home`: removes its directory, TOML and SBOMs, then creates an empty directory. */
  private async prepare(home: string, name: string): Promise<void> {
    await this.clear(home, name);
    await mkdir(join(home, name), { recursive: true });
  }

  /** Removes the layer's directory, TOML and SBOMs from `home` (`<layers>` or the by-reference dir). */
  private async clear(home: string, name: string): Promise<void> {
    await rm(join(home, name), { recursive: true, force: true });
    await rm(join(home, `${name}.toml`), { force: true });
    let files: string[] = [];
    try {
      files = await readdir(home);
    } catch {
      return;
    }
    for (const f of files) if (f.startsWith(`${name}.sbom.`)) await rm(join(home, f), { force: true });
  }

  private async fill<M extends object>(
    home: string,
    layer: Layer<M>,
    fill: LayerFill<M>,
    spec?: LayerMetadata<M>,
  ): Promise<void> {
    try {
      const returned = await fill(layer);
      if (returned !== undefined) layer.metadata = returned;
      if (spec) {
        try {
          layer.metadata = spec.validate(layer.metadata as MetadataTable);
        } catch (err) {
          throw new CnbError(
            `layer ${layer.name}: the metadata its fill left is not valid: ${(err as Error).message}`,
            {
              cause: err,
            },
          );
        }
      }
    } catch (err) {
      // Leave nothing half-built for the lifecycle (or the layer cache) to export or cache.
      await this.clear(home, layer.name);
      throw err;
    }
  }
}

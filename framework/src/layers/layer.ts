/**
 * One layer's handle (`Layer`): its state, types, env, exec.d, SBOM and metadata, which the
 * build writes when it returns; `Layers` (layers.ts) declares and restores them.
 */
import { EnvDelta, ExecDPrograms } from "../environment/index.js";
import { CnbError } from "../errors/index.js";
import type { SbomComponent } from "../sbom/index.js";
import type { LayerTypes } from "../cnb-files/index.js";
import type { LayerKey } from "./cache-key.js";
import type { LayerMetadata, MetadataTable } from "./metadata.js";

/**
 * Why a layer's contents are what they are. A restored layer with `fromArch` was restored
 * from the arch-neutral store, as that architecture's build stored it (arch-neutral-store.ts);
 * without it, the lifecycle restored it from this platform's cache or previous image.
 */
export type LayerState =
  | { kind: "new" }
  | { kind: "restored"; key: LayerKey; fromArch?: string }
  | { kind: "reset"; reason: string };

/** SBOM components collected for one layer (or for launch/build as a whole). */
export class SbomCollector {
  readonly components: SbomComponent[] = [];

  /** Adds components; they are written in every format of `sbom-formats` at the end of build. */
  add(...components: SbomComponent[]): this {
    this.components.push(...components);
    return this;
  }
}

/**
 * A layer handle. Its env, SBOM, metadata and types are written when build returns. `M` is
 * the type of its `[metadata]`, given by the {@link LayerMetadata} the layer was declared with.
 */
export class Layer<M extends object = MetadataTable> {
  /** Declared types; written as `[types]` at the end of the build. */
  readonly types: LayerTypes;
  /** Environment changes for later buildpacks and the app. */
  readonly env = new EnvDelta();
  /** Components written as `<layers>/<name>.sbom.<ext>`. */
  readonly sbom = new SbomCollector();
  /** Programs in `<layer>/exec.d/`. */
  readonly execD: ExecDPrograms;
  /**
   * `[metadata]` (the cache key is kept apart). A restored layer starts with what was stored,
   * validated (or migrated) by the layer's {@link LayerMetadata}; a new or reset one starts
   * empty, and `fill` sets it (or returns it).
   */
  metadata: M = {} as M;

  /** The layer's name (`<layers>/<name>`). */
  readonly name: string;
  /** The layer's directory. */
  readonly path: string;
  /**
   * True when the layer is kept by reference in the platform's layer cache (a cache-only
   * layer, by-reference.ts), not under `<layers>`. That is another mount than `<layers>`, so
   * hard links and renames between this layer and other layers or the app fail (EXDEV): a
   * tool told to hard-link out of a cache here (uv's `UV_LINK_MODE=hardlink`, a pnpm store)
   * copies instead; such a layer is declared with `byReference: false`
   * (`CachedLayerOptions.byReference`) to stay in `<layers>`.
   */
  readonly byReference: boolean;
  /** Why its contents are what they are; {@link ensureContents} and the arch-neutral store change it. */
  state: LayerState;
  /** The key stored with the layer (cached layers only). */
  readonly key: LayerKey | undefined;
  /** Fills the layer after all (see {@link ensureContents}); set by {@link Layers.cached}. */
  private readonly refill?: (layer: Layer<M>) => Promise<void>;

  constructor(init: LayerInit<M>) {
    this.name = init.name;
    this.path = init.path;
    this.state = init.state;
    this.key = init.key;
    this.refill = init.refill;
    this.byReference = init.byReference ?? false;
    const types = init.types;
    this.types = { build: types.build ?? false, launch: types.launch ?? false, cache: types.cache ?? false };
    this.execD = new ExecDPrograms(init.path, init.self, () => this.assertWritable());
    this.#reusedFromImage = init.reusedFromImage ?? false;
  }

  #reusedFromImage: boolean;

  /** True when the lifecycle will reuse the previous image's layer: the directory must not exist. */
  get reusedFromImage(): boolean {
    return this.#reusedFromImage;
  }

  /**
   * Makes the layer's files exist in this build. A launch-only layer reused from the previous
   * image has none here (the lifecycle restores only its TOML); when the build needs its
   * files after all (say, to run the Node.js it holds because the dependencies changed), this
   * fills it again and `build` becomes true, so later buildpacks see it too. Otherwise a no-op.
   *
   * Why not cache the layer instead: a cached layer is restored (untarred) and exported
   * (tarred and hashed) on every build, hundreds of MB for a runtime, even when nothing runs.
   *
   * @example
   * const node = await ctx.layers.cached("node", { types: { launch: true, cache: false }, key, fill });
   * if (mustInstallDependencies) await node.ensureContents(); // now node/bin/npm exists
   */
  async ensureContents(): Promise<void> {
    if (!this.#reusedFromImage) return;
    if (!this.refill) throw new CnbError(`layer ${this.name}: cannot be filled again here`);
    this.#reusedFromImage = false;
    this.state = { kind: "reset", reason: "its files are needed in this build" };
    this.types.build = true;
    await this.refill(this);
  }

  private assertWritable(): void {
    if (this.reusedFromImage) {
      throw new CnbError(`layer ${this.name}: reused from the previous image, so its contents cannot change`, {
        hint: "change the layer's key to rebuild it",
      });
    }
  }
}

/**
 * What a {@link Layer} is made from: `Layers` makes one per declared layer. An object rather
 * than positional arguments, because most callers leave the last three out and the rest are
 * easy to swap (name and path are both strings).
 */
export interface LayerInit<M extends object = MetadataTable> {
  /** The layer's name, checked by `Layers` (`validateLayerName`). */
  name: string;
  /** `<layers>/<name>`. */
  path: string;
  /** What the lifecycle left of it against the expected key (`Layers` decides). */
  state: LayerState;
  /** Declared types; those left out are false. */
  types: Partial<LayerTypes>;
  /** The key stored with the layer (cached layers only). */
  key?: LayerKey;
  /** Kept by reference in the platform's layer cache (see {@link Layer.byReference}). Default false. */
  byReference?: boolean;
  /** The lifecycle will reuse the previous image's layer (a launch-only layer restored as TOML only). Default false. */
  reusedFromImage?: boolean;
  /** The running buildpack program, for `execD.addSelf`. */
  self: () => Promise<string>;
  /** Fills the layer again when a reused-from-image layer's files are needed (see {@link Layer.ensureContents}). */
  refill?: (layer: Layer<M>) => Promise<void>;
}

/** What fills a layer: it may set `layer.metadata`, or return the metadata. */
// biome-ignore lint/suspicious/noConfusingVoidType: a fill that returns nothing is an async function's Promise<void>
export type LayerFill<M extends object> = (layer: Layer<M>) => Promise<M | undefined | void> | M | undefined | void;

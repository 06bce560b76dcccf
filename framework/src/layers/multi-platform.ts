/**
 * Multi-platform sharing, which a buildpack opts into through `ctx.multiPlatform`: in a
 * multi-platform build (`cnbkit build --platform linux/amd64,linux/arm64`) work that does not
 * depend on the CPU runs once, natively, and the emulated builds reuse it.
 *
 * - {@link MultiPlatform.cached} declares a cached layer that is also shared: `archNeutral`
 *   (its files do not depend on the CPU) or `archVariants` (the native build makes each
 *   architecture's copy, {@link MultiPlatform.variants}).
 * - {@link MultiPlatform.appOutput} runs a step that writes into the app (a build script
 *   writing dist/) once, and replays its changes in the emulated builds.
 *
 * The store they share through is the one the platform binds (arch-neutral-binding.ts,
 * arch-neutral-store.ts). Outside a multi-platform build each member does what the plain
 * `ctx.layers` call would: nothing is stored or looked for.
 *
 * Apart from `Layers` (layers.ts) because an author who builds for one platform never needs
 * it, and a reader of `Layers` should see only layers: it declares its layers through
 * `Layers` with one extra step (restore from the store before filling), and shares them just
 * before `Layers.finish` writes the env files (each build writes its own).
 */
import { existsSync } from "node:fs";
import type { Logger } from "../log/index.js";
import type { ArchNeutralStore } from "./arch-neutral-store.js";
import type { LayerKey } from "./cache-key.js";
import type { Layer, LayerState } from "./layer.js";
import type { CachedLayerOptions } from "./layer-options.js";
import { type MetadataTable, readLayerMetadata } from "./metadata.js";
import { dropUndefined } from "./toml-table.js";

/** Options for {@link MultiPlatform.cached}: a cached layer's, and how it is shared. */
export interface SharedLayerOptions<K extends LayerKey, M extends object = MetadataTable>
  extends Omit<CachedLayerOptions<K, M>, "archNeutral" | "archVariants"> {
  /**
   * The layer's files and metadata do not depend on the CPU and `key` names everything they
   * do depend on (the source digest, the tool versions): in a multi-platform build the native
   * build shares the layer, and an emulated build restores it instead of calling `fill`
   * (arch-neutral-store.ts). Say it only when it is true: never for a layer with native code.
   * A layer holding an ELF file is not shared, whatever this says. `{ not: reason }` is false,
   * with the reason said in an emulated build (which then builds the layer, as without it).
   */
  archNeutral?: boolean | { not: string };
  /**
   * The layer's files depend on the CPU, and the native build's buildpack makes this
   * architecture's copy of it (with {@link MultiPlatform.variants}'s `saveVariant`, e.g. a venv
   * with its one native wheel swapped for the target's): an emulated build restores that copy
   * instead of calling `fill`, when its key matches; otherwise it fills the layer, saying why.
   */
  archVariants?: boolean;
}

/** Options for {@link MultiPlatform.appOutput}. */
export interface AppOutputOptions<K extends LayerKey> {
  /** The tree the step writes into (the app directory, or the part of it the step owns). */
  dir: string;
  /**
   * What the output depends on besides the files under `dir` (the tool versions, the
   * commands): the key also gets the digest of `dir`'s files as they are before the step.
   */
  key: K;
  /** Left out of that digest, as `treeDigest`'s `ignore` (`@cnbkit/framework/fs`) says: what is installed, not written (`node_modules`). */
  ignore?: readonly string[];
  /** As for {@link SharedLayerOptions.archNeutral}: only `true` shares the output. */
  archNeutral: boolean | { not: string };
  /** The step: runs in every build but an emulated one that replays the native build's changes. */
  run: () => Promise<void>;
}

/** Where the native build stores each reusing architecture's variant of an `archVariants` layer. */
export type ArchVariants = Pick<ArchNeutralStore, "reusers" | "saveVariant" | "declineVariant">;

/**
 * A step `Layers.cached` runs instead of `fill` for a layer it did not find restored: true
 * when it restored the layer from elsewhere. `prepare` empties the layer's directory first.
 */
export type RestoreStep<M extends object> = (layer: Layer<M>, prepare: () => Promise<void>) => Promise<boolean>;

/** What {@link MultiPlatform} needs of a build's `Layers`: no more, so it need not import it. */
export interface LayerHost {
  /** `Layers.cached` with a step that may restore the layer before it is filled. */
  cachedWith<K extends LayerKey, M extends object>(
    name: string,
    options: CachedLayerOptions<K, M>,
    restore: RestoreStep<M>,
  ): Promise<Layer<M>>;
  /** The layer declared as `name` now, if any. */
  get(name: string): Layer | undefined;
  /** Tells `Layers` which sharing to share at `finish` (and to use for its deprecated members). */
  attach(sharing: MultiPlatform): void;
}

/** Options for the {@link MultiPlatform} constructor. */
export interface MultiPlatformOptions {
  /** The arch-neutral store the platform bound, if any: none outside a multi-platform build. */
  store?: ArchNeutralStore;
  /** Where the reuse decisions are said. */
  log: Logger;
}

/** Multi-platform sharing of one build's layers and app output: `ctx.multiPlatform`. */
export class MultiPlatform {
  /** The layers declared arch-neutral, as declared: the native build shares them at {@link share}. */
  // biome-ignore lint/suspicious/noExplicitAny: layers of every metadata type
  private readonly neutral = new Map<string, Layer<any>>();
  private readonly store: ArchNeutralStore | undefined;
  private readonly log: Logger;

  constructor(
    private readonly layers: LayerHost,
    options: MultiPlatformOptions,
  ) {
    this.store = options.store;
    this.log = options.log;
    layers.attach(this);
  }

  /**
   * A cached layer (as `ctx.layers.cached`) that a multi-platform build also shares between
   * its platforms' builds, as `archNeutral` or `archVariants` say.
   */
  async cached<K extends LayerKey, M extends object = MetadataTable>(
    name: string,
    options: SharedLayerOptions<K, M>,
  ): Promise<Layer<M>> {
    const layer = await this.layers.cachedWith(name, options, (l, prepare) => this.restore(l, options, prepare));
    if (options.archNeutral === true) this.neutral.set(name, layer);
    else this.neutral.delete(name);
    return layer;
  }

  /**
   * In an emulated build (the store's role is `reuse`): restores `layer` from the arch-neutral
   * store when the native build stored it with the same key, and says so; otherwise one line
   * says why it is built here. True when restored.
   */
  private async restore<K extends LayerKey, M extends object>(
    layer: Layer<M>,
    options: SharedLayerOptions<K, M>,
    prepare: () => Promise<void>,
  ): Promise<boolean> {
    const store = this.store;
    if (store?.role !== "reuse" || !(options.archNeutral || options.archVariants)) return false;
    const declared = options.archNeutral;
    if (typeof declared === "object" && !options.archVariants) {
      this.log.detail(`Building ${layer.name} here: ${declared.not}`);
      return false;
    }
    await prepare();
    const got = await store.restore(layer.name, options.key, layer.path);
    let reason = got.ok ? undefined : got.reason;
    if (got.ok) {
      const read = options.metadata ? readLayerMetadata(options.metadata, got.metadata) : undefined;
      if (read && !read.ok) reason = `its stored metadata is refused: ${read.reason}`;
      else {
        layer.metadata = (read?.ok ? read.metadata : got.metadata) as M;
        layer.state = { kind: "restored", key: options.key, fromArch: got.producer };
        const made = options.archVariants && declared !== true ? `made for ${store.arch} there` : "arch-neutral";
        this.log.detail(`Reusing ${layer.name} from the ${got.producer} build (${made}, key unchanged)`);
        return true;
      }
    }
    this.log.detail(`Building ${layer.name} here: ${reason}`);
    return false;
  }

  /**
   * The arch-neutral store when this is the native build of a multi-platform build and other
   * architectures will reuse (`reusers`): where a buildpack stores each one's variant of a
   * layer declared `archVariants`. Undefined otherwise.
   */
  get variants(): ArchVariants | undefined {
    const store = this.store;
    return store?.role === "produce" && store.reusers.length > 0 ? store : undefined;
  }

  /**
   * Runs `run`, a step that writes into the app (a build script writing dist/), once per
   * multi-platform build when its output is arch-neutral: the native build keeps what `run`
   * changed under `dir` in the scratch layer `name` (not exported, not cached), shared with
   * the other platforms' builds as an `archNeutral` layer is, and an emulated build whose key
   * matches replays those changes onto `dir` instead of running `run` under qemu. Outside a
   * multi-platform build, and in any build of one whose output is not arch-neutral, it only
   * runs `run`: nothing is hashed, snapshotted or copied (an emulated build says why first).
   * Returns the layer's state (`restored` with `fromArch` when replayed), or undefined when
   * nothing is shared.
   */
  async appOutput<K extends LayerKey>(name: string, options: AppOutputOptions<K>): Promise<LayerState | undefined> {
    const store = this.store;
    // Output that is not arch-neutral is neither kept nor looked for: hashing the app's files
    // would only find that no copy can be used. An emulated build says why it runs the step.
    if (!store || options.archNeutral !== true) {
      if (store?.role === "reuse" && typeof options.archNeutral === "object") {
        this.log.detail(`Building ${name} here: ${options.archNeutral.not}`);
      }
      await options.run();
      return undefined;
    }
    const { keepChanges, replayChanges, snapshotTree, treeDigest } = await import("./tree-changes.js");
    const sources = await treeDigest(options.dir, { ignore: options.ignore ?? [] });
    const layer = await this.cached(name, {
      types: { cache: false },
      key: { ...options.key, sources },
      archNeutral: options.archNeutral,
      async fill(l) {
        if (store?.role !== "produce") return options.run();
        const before = await snapshotTree(options.dir);
        await options.run();
        const { removed } = await keepChanges(options.dir, before, l.path);
        return { removed };
      },
    });
    if (layer.state.kind === "restored") {
      const removed = layer.metadata.removed;
      await replayChanges(layer.path, options.dir, Array.isArray(removed) ? removed.map(String) : []);
    }
    return layer.state;
  }

  /**
   * In the native build (the store's role is `produce`): stores each arch-neutral layer for
   * the other platforms' builds, once the build has returned and the layer is final, and
   * before its env files are written (each build writes its own). A layer removed or declared
   * again without `archNeutral` since is not stored. `Layers.finish` calls it.
   */
  async share(): Promise<void> {
    const store = this.store;
    const neutral = [...this.neutral];
    this.neutral.clear();
    if (store?.role !== "produce") return;
    for (const [name, layer] of neutral) {
      if (this.layers.get(name) !== layer) continue;
      if (layer.reusedFromImage || layer.key === undefined || !existsSync(layer.path)) continue;
      await store.save(name, layer.key, dropUndefined({ ...layer.metadata }), layer.path);
    }
  }
}

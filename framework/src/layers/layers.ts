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
 * A cached layer declared `archNeutral` is also shared between the platforms of one
 * multi-platform build, through the store the platform binds (arch-neutral-store.ts).
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
import type { ArchNeutralStore } from "./arch-neutral-store.js";

export type { LayerTypes } from "../cnb-files/index.js";

/** Options for {@link Layers.cached}. */
export interface CachedLayerOptions<K extends LayerKey, M extends object = MetadataTable> {
  /**
   * `cache` defaults to true here (a cached layer is cached, as libcnb.rs's `cached_layer`);
   * `build` and `launch` default to false. When `cache` is left out the build says so when it
   * fills the layer ("Caching node for the next build too: ..."), since a launch layer that is
   * also cached is stored twice, in the image and the cache. Set `{ launch: true, cache: false }`
   * for a launch layer the lifecycle reuses from the previous image instead of the cache.
   * docs/concepts.md has the defaults of every kind of layer in one table.
   */
  types: Partial<LayerTypes>;
  /** Reuse happens only when the stored key deep-equals this one. */
  key: K;
  /**
   * The type of `[metadata]`, checked when a build reads it back: stored metadata it refuses
   * (and cannot migrate) resets the layer. Without it, metadata is an untyped table.
   */
  metadata?: LayerMetadata<M>;
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
   * architecture's copy of it (with {@link Layers.variants}'s `saveVariant`, e.g. a venv with
   * its one native wheel swapped for the target's): an emulated build restores that copy
   * instead of calling `fill`, when its key matches; otherwise it fills the layer, saying why.
   */
  archVariants?: boolean;
  /**
   * Fills a new or reset layer (an empty directory). Not called when the layer is reused.
   * What it returns (or leaves in `layer.metadata`) is the layer's metadata.
   */
  fill: LayerFill<M>;
}

/** Options for {@link Layers.appOutput}. */
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
  /** As for {@link CachedLayerOptions.archNeutral}: only `true` shares the output. */
  archNeutral: boolean | { not: string };
  /** The step: runs in every build but an emulated one that replays the native build's changes. */
  run: () => Promise<void>;
}

/** Options for {@link Layers.fresh}. */
export interface FreshLayerOptions<M extends object = MetadataTable> {
  /**
   * Every type left out is false: a fresh layer is rebuilt on each build, so caching it
   * would only cost a tar and a hash (docs/concepts.md has every kind's defaults).
   */
  types: Partial<LayerTypes>;
  /** The type of `[metadata]`: what `fill` leaves is checked with it. */
  metadata?: LayerMetadata<M>;
  /** Writes the layer's files (and returns its metadata); runs on every build. */
  fill?: LayerFill<M>;
}

/** Options for the {@link Layers} constructor. */
export interface LayersOptions {
  /** Where the reuse decisions ("Reusing", "Rebuilding", "Caching") are said. */
  log: Logger;
  /** Media types from buildpack.toml `sbom-formats`. */
  sbomFormats?: readonly string[];
  /** The running buildpack program, for `execD.addSelf` (default: {@link selfProgram}). */
  self?: () => Promise<string>;
  /** The arch-neutral store the platform bound, if any: where `archNeutral` layers are shared. */
  archNeutral?: ArchNeutralStore;
}

/** The layers of one build: `ctx.layers`. */
export class Layers {
  // biome-ignore lint/suspicious/noExplicitAny: layers of every metadata type
  private readonly declared = new Map<string, Layer<any>>();
  /** The declared layers that are arch-neutral: the native build shares them at {@link finish}. */
  private readonly neutral = new Set<string>();
  private readonly log: Logger;
  private readonly self: () => Promise<string>;

  constructor(
    /** `<layers>`: this buildpack's layers directory. */
    readonly path: string,
    private readonly options: LayersOptions,
  ) {
    this.log = options.log;
    this.self = options.self ?? selfProgram;
  }

  /**
   * A layer reused across builds while `key` is unchanged. `fill` runs only for a new or
   * reset layer; on reset the old contents are deleted first.
   */
  async cached<K extends LayerKey, M extends object = MetadataTable>(
    name: string,
    options: CachedLayerOptions<K, M>,
  ): Promise<Layer<M>> {
    this.checkName(name);
    const { dir, types, state, metadata, migrated, reusedFromImage } = await this.lookUp(name, options);
    const refill = async (l: Layer<M>) => {
      this.log.detail(`Rebuilding ${name}: ${l.state.kind === "reset" ? l.state.reason : "needed"}`);
      await this.prepare(name);
      await this.fill(l, options.fill, options.metadata);
    };
    const layer = new Layer<M>(name, dir, state, types, options.key, reusedFromImage, this.self, refill);
    if (state.kind === "restored") {
      layer.metadata = metadata as M;
      this.log.detail(`Reusing ${name} (key unchanged${migrated ? ", metadata migrated from an older version" : ""})`);
    } else if (!(await this.restoreNeutral(layer, options))) {
      if (state.kind === "reset") this.log.detail(`Rebuilding ${name}: ${state.reason}`);
      // The default the author did not write, said where it takes effect (issue 72: a launch
      // layer was cached too, and only the exporter's "Adding cache layer" showed it).
      if (options.types.cache === undefined) {
        this.log.detail(
          `Caching ${name} for the next build too: layers.cached() defaults types.cache to true (write it, or cache: false)`,
        );
      }
      await this.prepare(name);
      await this.fill(layer, options.fill, options.metadata);
    }
    this.declared.set(name, layer);
    if (options.archNeutral === true) this.neutral.add(name);
    else this.neutral.delete(name);
    return layer;
  }

  /**
   * In an emulated build (the store's role is `reuse`): restores `layer` from the arch-neutral
   * store when the native build stored it with the same key, and says so; otherwise one line
   * says why it is built here. True when restored.
   */
  private async restoreNeutral<K extends LayerKey, M extends object>(
    layer: Layer<M>,
    options: CachedLayerOptions<K, M>,
  ): Promise<boolean> {
    const store = this.options.archNeutral;
    if (store?.role !== "reuse" || !(options.archNeutral || options.archVariants)) return false;
    const declared = options.archNeutral;
    if (typeof declared === "object" && !options.archVariants) {
      this.log.detail(`Building ${layer.name} here: ${declared.not}`);
      return false;
    }
    await this.prepare(layer.name);
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
  get variants(): Pick<ArchNeutralStore, "reusers" | "saveVariant" | "declineVariant"> | undefined {
    const store = this.options.archNeutral;
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
    const store = this.options.archNeutral;
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
   * Keeps a cached layer this build did not need, as it is, for a later build that may.
   * The lifecycle drops every layer a build leaves undeclared, so a tool installed only when
   * a lockfile changes would otherwise be lost after one build that did not install. Kept
   * only when its stored key equals `key` and its files were restored; otherwise nothing
   * is declared and the layer goes, as undeclared layers do. Returns the kept layer.
   */
  async keep<K extends LayerKey, M extends object = MetadataTable>(
    name: string,
    options: Pick<CachedLayerOptions<K, M>, "types" | "key" | "metadata">,
  ): Promise<Layer<M> | undefined> {
    this.checkName(name);
    const declared = this.declared.get(name);
    if (declared) return declared;
    const { dir, types, state, metadata, reusedFromImage } = await this.lookUp(name, options);
    if (state.kind !== "restored" || reusedFromImage) return undefined;
    const layer = new Layer<M>(name, dir, state, types, options.key, false, this.self);
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
    options: Pick<CachedLayerOptions<K, M>, "types" | "key" | "metadata">,
  ): Promise<LayerState> {
    this.checkName(name);
    return (await this.lookUp(name, options)).state;
  }

  /**
   * What the lifecycle left of `name`, against the key a build expects: the layer's state,
   * its stored metadata (the key taken out, validated or migrated by `options.metadata`), and
   * whether a launch-only layer came back as TOML only, for the exporter to reuse from the
   * previous image. Metadata the layer's type refuses resets it.
   */
  private async lookUp<K extends LayerKey, M extends object>(
    name: string,
    options: Pick<CachedLayerOptions<K, M>, "types" | "key" | "metadata">,
  ) {
    const dir = join(this.path, name);
    const stored = await this.readStored(name);
    const types = { ...options.types, cache: options.types.cache ?? true };
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
    return { dir, types, state, metadata, migrated, reusedFromImage };
  }

  /** A layer built from scratch on every build (old contents, if any, are deleted). */
  async fresh<M extends object = MetadataTable>(name: string, options: FreshLayerOptions<M>): Promise<Layer<M>> {
    this.checkName(name);
    const layer = new Layer<M>(
      name,
      join(this.path, name),
      { kind: "new" },
      options.types,
      undefined,
      false,
      this.self,
    );
    await this.prepare(name);
    if (options.fill) await this.fill(layer, options.fill, options.metadata);
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

  /** Deletes a layer: directory, TOML and SBOM files (e.g. one a previous build left). */
  async remove(name: string): Promise<void> {
    this.checkName(name);
    this.declared.delete(name);
    this.neutral.delete(name);
    await this.clear(name);
  }

  /**
   * Writes every declared layer's env files, SBOMs and `<layer>.toml` (types always, the
   * key and metadata in `[metadata]`). The build entry point calls this once build returns.
   */
  async finish(): Promise<void> {
    await this.shareNeutral();
    const formats = this.supportedSbomFormats();
    for (const layer of this.declared.values()) {
      if (!layer.reusedFromImage && !layer.env.isEmpty) await writeEnvDelta(layer.path, layer.env);
      if (layer.sbom.components.length > 0 && formats.length > 0) {
        const { writeSbomFiles } = await import("../sbom/index.js");
        await writeSbomFiles(join(this.path, `${layer.name}.sbom`), formats, layer.sbom.components, {
          name: layer.name,
        });
      }
      const metadata: Record<string, unknown> = { ...layer.metadata };
      if (layer.key !== undefined) metadata[CACHE_KEY_FIELD] = layer.key;
      const text = stringifyLayerToml({ types: layer.types, metadata: dropUndefined(metadata) });
      await writeAtomic(join(this.path, `${layer.name}.toml`), text);
    }
  }

  /**
   * In the native build (the store's role is `produce`): stores each arch-neutral layer for
   * the other platforms' builds, once the build has returned and the layer is final, and
   * before its env files are written (each build writes its own).
   */
  private async shareNeutral(): Promise<void> {
    const store = this.options.archNeutral;
    if (store?.role !== "produce") return;
    for (const name of this.neutral) {
      const layer = this.declared.get(name);
      if (!layer || layer.reusedFromImage || layer.key === undefined || !existsSync(layer.path)) continue;
      await store.save(name, layer.key, dropUndefined({ ...layer.metadata }), layer.path);
    }
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

  private async readStored(name: string): Promise<Record<string, unknown> | undefined> {
    const file = join(this.path, `${name}.toml`);
    let text: string;
    try {
      text = await readFile(file, "utf8");
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === "ENOENT") return undefined;
      throw err;
    }
    return parseLayerToml(text, file).metadata;
  }

  /** Empties the layer: removes its directory, TOML and SBOMs, then creates an empty directory. */
  private async prepare(name: string): Promise<void> {
    await this.clear(name);
    await mkdir(join(this.path, name), { recursive: true });
  }

  private async clear(name: string): Promise<void> {
    await rm(join(this.path, name), { recursive: true, force: true });
    await rm(join(this.path, `${name}.toml`), { force: true });
    let files: string[] = [];
    try {
      files = await readdir(this.path);
    } catch {
      return;
    }
    for (const f of files) if (f.startsWith(`${name}.sbom.`)) await rm(join(this.path, f), { force: true });
  }

  private async fill<M extends object>(layer: Layer<M>, fill: LayerFill<M>, spec?: LayerMetadata<M>): Promise<void> {
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
      // Leave nothing half-built for the lifecycle to export or cache.
      await this.clear(layer.name);
      throw err;
    }
  }
}

/** The table without its undefined values, at any depth: TOML has no null. */
function dropUndefined(table: Record<string, unknown>): Record<string, unknown> {
  return normalizeForToml(table) as Record<string, unknown>;
}

function normalizeForToml(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(normalizeForToml);
  if (isTable(value)) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) if (v !== undefined) out[k] = normalizeForToml(v);
    return out;
  }
  return value;
}

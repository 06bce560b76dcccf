/**
 * What an author declares a layer with: the options of `ctx.layers.cached` and
 * `ctx.layers.fresh` (layers.ts). Apart from layers.ts so that the multi-platform sharing
 * (multi-platform.ts), which declares cached layers too, can name them without importing
 * `Layers`.
 */
import type { LayerTypes } from "../cnb-files/index.js";
import type { LayerKey } from "./cache-key.js";
import type { LayerFill } from "./layer.js";
import type { LayerMetadata, MetadataTable } from "./metadata.js";

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
   * `false` keeps a cache-only layer in `<layers>`, cached by the lifecycle, even when the
   * platform offers a layer cache (by-reference.ts). Left out (or true), a cache-only layer
   * goes by reference there, so a warm build neither untars nor tars it; layers of other types
   * are never kept by reference, whatever this says.
   *
   * Set it when the layer's files are hard-linked into (or renamed into) another layer, as uv's
   * cache is into a venv (`UV_LINK_MODE=hardlink`) and pnpm's store into `node_modules`: the
   * layer cache is another mount than `<layers>`, and link(2) or rename(2) across mounts fails
   * with EXDEV even on one file system, so the tool would copy every file instead (slower, and
   * uv prints a warning). Such a cache is restored by the lifecycle as before.
   */
  byReference?: boolean;
  /**
   * The type of `[metadata]`, checked when a build reads it back: stored metadata it refuses
   * (and cannot migrate) resets the layer. Without it, metadata is an untyped table.
   */
  metadata?: LayerMetadata<M>;
  /**
   * Shares the layer between the platforms of a multi-platform build.
   *
   * @deprecated Declare the layer with `ctx.multiPlatform.cached` (`SharedLayerOptions.archNeutral`,
   * multi-platform.ts): multi-platform sharing is its own module now. Still honoured here.
   */
  archNeutral?: boolean | { not: string };
  /**
   * Restores the native build's copy of the layer made for this architecture.
   *
   * @deprecated Declare the layer with `ctx.multiPlatform.cached` (`SharedLayerOptions.archVariants`,
   * multi-platform.ts): multi-platform sharing is its own module now. Still honoured here.
   */
  archVariants?: boolean;
  /**
   * Fills a new or reset layer (an empty directory). Not called when the layer is reused.
   * What it returns (or leaves in `layer.metadata`) is the layer's metadata.
   */
  fill: LayerFill<M>;
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

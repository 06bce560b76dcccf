/** `<layers>/<layer>.toml`: a layer's `[types]` and `[metadata]`. */

/** `[types]`. Each defaults to false. */
export interface LayerTypes {
  build: boolean;
  launch: boolean;
  cache: boolean;
}

/** The whole `<layer>.toml`. */
export interface LayerToml {
  types: LayerTypes;
  metadata: Record<string, unknown>;
}

/** `<layers>/store.toml`: `[metadata]` persisted from one build to the next. */

/** The whole store.toml. */
export interface StoreToml {
  metadata: Record<string, unknown>;
}

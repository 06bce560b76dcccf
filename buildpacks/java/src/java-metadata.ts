/**
 * buildpack.toml `[metadata]` as cnbkit/java reads it. Its own module: detect, build and every
 * step's context type name it, and none of them should have to import a step for it.
 */

/** buildpack.toml `[metadata]` as this buildpack reads it (the inventory is the framework's). */
export interface JavaMetadata {
  defaultVersions: { java: string };
}

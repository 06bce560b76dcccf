/**
 * buildpack.toml: the buildpack descriptor (Buildpack API 0.10–0.12).
 *
 * TypeScript field names are camelCase; the TOML keys are the spec's kebab-case
 * (`clear-env`, `sbom-formats`, `exec-env`). Parsing validates every field once, here at
 * the edge, and a problem is a CnbError naming the file and field.
 */
import type { BuildpackApi } from "./api.js";

/** A license entry of `[[buildpack.licenses]]`. */
export interface License {
  type?: string;
  uri?: string;
}

/** `[buildpack]`. */
export interface BuildpackInfo {
  /** Validated: letters, digits, '.', '/', '-'; not "config" or "app". */
  id: string;
  version: string;
  name?: string;
  homepage?: string;
  description?: string;
  keywords?: string[];
  licenses?: License[];
  /** TOML `clear-env`. */
  clearEnv?: boolean;
  /** TOML `sbom-formats`: media types such as `application/vnd.cyclonedx+json`. */
  sbomFormats?: string[];
  /** TOML `exec-env` (API 0.12): execution environments this buildpack runs in, e.g. ["production"]. */
  execEnv?: string[];
}

/** `[[targets.distros]]`. */
export interface TargetDistro {
  name?: string;
  version?: string;
}

/** `[[targets]]`: where the buildpack can run. Omitted fields match anything. */
export interface Target {
  os?: string;
  arch?: string;
  variant?: string;
  distros?: TargetDistro[];
}

/** One `[[order.group]]` entry of a composite buildpack. */
export interface OrderEntry {
  id: string;
  version?: string;
  optional?: boolean;
}

/** One `[[order]]` of a composite buildpack. */
export interface OrderGroup {
  group: OrderEntry[];
}

/**
 * The whole descriptor. `M` is the type of `[metadata]`, validated by the buildpack's own
 * guard when one is given (see `parseBuildpackToml`).
 */
export interface BuildpackDescriptor<M = Record<string, unknown>> {
  api: BuildpackApi;
  buildpack: BuildpackInfo;
  /** Empty when the file has no `[[targets]]`. */
  targets: Target[];
  /** Non-empty only for composite buildpacks (which have no bin/). */
  order: OrderGroup[];
  metadata: M;
}

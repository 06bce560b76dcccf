/**
 * buildpack.toml's `[metadata]` of the Go buildpack, typed: the default version range. The
 * inventory (`[[metadata.dependencies]]`) is the framework's to read.
 */
import { CnbError } from "@cnbkit/framework";

/** `[metadata]`, checked. */
export interface GoMetadata {
  defaultVersions: { go: string };
}

/** Checks `[metadata]`: `default-versions.go` is required. */
export function parseMetadata(raw: unknown): GoMetadata {
  const go = (raw as { "default-versions"?: { go?: unknown } } | undefined)?.["default-versions"]?.go;
  if (typeof go !== "string" || go.trim() === "") {
    throw new CnbError('buildpack.toml: [metadata.default-versions].go must be a version range such as "1.27.x"');
  }
  return { defaultVersions: { go: go.trim() } };
}

/**
 * buildpack.toml as text: parsing it and writing it. A module apart from buildpack-toml.ts
 * because it needs the TOML library, which a detect should not load (buildpack-toml.ts
 * reads the packager's parsed copy instead).
 */
import { buildpackDescriptor, type BuildpackDescriptor } from "./buildpack-toml.js";
import { describe, fail, isTable } from "./fields.js";
import { parseToml, stringifyToml, type TomlTable } from "./toml.js";

/**
 * Parses and validates buildpack.toml text (see {@link buildpackDescriptor} for the rules).
 * `file` names the file in messages.
 *
 * @example
 * const d = parseBuildpackToml(text, "buildpack.toml", (m) => m as { nodeVersion?: string });
 */
export function parseBuildpackToml<M = Record<string, unknown>>(
  text: string,
  file = "buildpack.toml",
  validateMetadata?: (metadata: unknown) => M,
): BuildpackDescriptor<M> {
  return buildpackDescriptor(parseToml(text, file), file, validateMetadata);
}

/**
 * Writes a descriptor as buildpack.toml (kebab-case keys, empty `[[order]]`, `[[targets]]`
 * and `[metadata]` left out). The result is validated by parsing it back, so an invalid
 * descriptor throws the same CnbError a user would get from the file.
 */
export function stringifyBuildpackToml(d: BuildpackDescriptor<unknown>): string {
  const b = d.buildpack;
  const doc: TomlTable = {
    api: d.api,
    buildpack: {
      id: b.id,
      version: b.version,
      name: b.name,
      homepage: b.homepage,
      description: b.description,
      keywords: b.keywords,
      "clear-env": b.clearEnv,
      "sbom-formats": b.sbomFormats,
      "exec-env": b.execEnv,
      licenses: b.licenses?.map((l) => ({ type: l.type, uri: l.uri })),
    },
  };
  if (d.order.length > 0) {
    doc.order = d.order.map((o) => ({
      group: o.group.map((e) => ({ id: e.id, version: e.version, optional: e.optional, "exec-env": e.execEnv })),
    }));
  }
  if (d.targets.length > 0) {
    doc.targets = d.targets.map((t) => ({
      os: t.os,
      arch: t.arch,
      variant: t.variant,
      distros: t.distros?.map((x) => ({ name: x.name, version: x.version })),
    }));
  }
  if (isTable(d.metadata) && Object.keys(d.metadata).length > 0) doc.metadata = d.metadata;
  else if (d.metadata !== undefined && !isTable(d.metadata)) {
    fail("buildpack.toml", "[metadata]", `must be a table, not ${describe(d.metadata)}`);
  }
  const text = stringifyToml(doc);
  parseBuildpackToml(text, "buildpack.toml");
  return text;
}

/** The buildpack plan the lifecycle hands to build (`<plan>` path, `[[entries]]`). */
import { metadataTable, reqStr, tableArray } from "./fields.js";
import { parseToml, stringifyToml } from "./toml.js";

/** One `[[entries]]`: a requirement this buildpack was chosen to provide. */
export interface BuildpackPlanEntry {
  name: string;
  metadata: Record<string, unknown>;
}

/**
 * Parses the buildpack plan the lifecycle gives build. Missing `metadata` is `{}`; keys the
 * lifecycle may add besides `name` and `metadata` are ignored.
 */
export function parseBuildpackPlan(text: string, file: string): BuildpackPlanEntry[] {
  const doc = parseToml(text, file);
  return tableArray(doc, "entries", file, "[[entries]]").map((e, i) => ({
    name: reqStr(e, "name", file, `[[entries]][${i}].name`),
    metadata: metadataTable(e, "metadata", file, `[[entries]][${i}].metadata`),
  }));
}

/** Writes a buildpack plan as the lifecycle does (`[[entries]]`); the test harness uses it. */
export function stringifyBuildpackPlan(entries: BuildpackPlanEntry[]): string {
  const text = stringifyToml({ entries: entries.map((e) => ({ name: e.name, metadata: e.metadata })) });
  parseBuildpackPlan(text, "plan.toml");
  return text;
}

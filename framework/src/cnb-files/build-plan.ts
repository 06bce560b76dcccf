/**
 * The build plan a buildpack writes in detect (`<plan>` path, build plan TOML):
 * `[[provides]]`, `[[requires]]` and alternatives under `[[or]]`.
 */
import { fail, metadataTable, reqStr, tableArray } from "./fields.js";
import { buildPlanText } from "./build-plan-text.js";
import { parseToml, stringifyToml, type TomlTable } from "./toml.js";
import type { BuildPlan, Require } from "./build-plan-types.js";

export type { BuildPlan, Provide, Require } from "./build-plan-types.js";

/**
 * Writes detect's plan: the first alternative is the top-level `[[provides]]`/`[[requires]]`,
 * the rest are `[[or]]` entries. An empty first alternative is written as `provides = []`
 * so that it survives a round trip; `[]` (no plan at all) is the empty document.
 * The result is validated by parsing it back.
 *
 * @example
 * stringifyBuildPlan([{ provides: [{ name: "node" }], requires: [{ name: "node", metadata: { version: "24.x" } }] }]);
 */
export function stringifyBuildPlan(plans: BuildPlan[]): string {
  const [first, ...rest] = plans;
  if (first === undefined) return "";
  const text = buildPlanText(plans) ?? viaTable(first, rest);
  parseBuildPlan(text, "plan.toml");
  return text;
}

/** The plan through smol-toml, for what {@link buildPlanText} leaves to the general writer. */
function viaTable(first: BuildPlan, rest: BuildPlan[]): string {
  const doc: TomlTable = sections(first);
  if (first.provides.length === 0 && first.requires.length === 0) doc.provides = [];
  if (rest.length > 0) doc.or = rest.map(sections);
  return stringifyToml(doc);
}

/**
 * Parses a build plan (what detect wrote) into its alternatives, first the top level then
 * each `[[or]]`. A document with none of `provides`, `requires` and `or` is `[]`.
 */
export function parseBuildPlan(text: string, file: string): BuildPlan[] {
  const doc = parseToml(text, file);
  if (doc.provides === undefined && doc.requires === undefined && doc.or === undefined) return [];
  const first = parseSections(doc, file, "");
  const rest = tableArray(doc, "or", file, "[[or]]").map((t, i) => parseSections(t, file, `[[or]][${i}].`));
  return [first, ...rest];
}

function sections(plan: BuildPlan): TomlTable {
  const t: TomlTable = {};
  if (plan.provides.length > 0) t.provides = plan.provides.map((p) => ({ name: p.name }));
  if (plan.requires.length > 0) t.requires = plan.requires.map((r) => ({ name: r.name, metadata: r.metadata }));
  return t;
}

function parseSections(t: TomlTable, file: string, prefix: string): BuildPlan {
  const arr = (key: string) => (prefix === "" ? `[[${key}]]` : `${prefix}${key}`);
  const provides = tableArray(t, "provides", file, arr("provides")).map((p, i) => ({
    name: reqStr(p, "name", file, `${arr("provides")}[${i}].name`),
  }));
  const requires = tableArray(t, "requires", file, arr("requires")).map((r, i) => {
    const at = `${arr("requires")}[${i}]`;
    const req: Require = { name: reqStr(r, "name", file, `${at}.name`) };
    if (r.version !== undefined) {
      fail(
        file,
        `${at}.version`,
        "is not supported; put the version in metadata",
        `[requires.metadata] version = "..."`,
      );
    }
    if (r.metadata !== undefined) req.metadata = metadataTable(r, "metadata", file, `${at}.metadata`);
    return req;
  });
  return { provides, requires };
}

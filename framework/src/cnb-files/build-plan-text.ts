/**
 * Detect's plan as TOML text, written line by line without the TOML library: the path a
 * passing detect takes (build-plan.ts's stringifyBuildPlan is the general writer, and the
 * one that names a bad field).
 */
import type { BuildPlan } from "./build-plan-types.js";
import { inlineTomlValue } from "./toml-inline.js";

/**
 * The plan as build plan TOML (first alternative at top level, the rest under `[[or]]`,
 * metadata as inline tables), or undefined when it needs the general writer: a name that
 * is not a non-empty string, or metadata with no inline form (see inlineTomlValue).
 *
 * @example
 * buildPlanText([{ provides: [{ name: "node" }], requires: [{ name: "node", metadata: { launch: true } }] }]);
 * // '[[provides]]\nname = "node"\n\n[[requires]]\nname = "node"\nmetadata = { launch = true }\n'
 */
export function buildPlanText(plans: readonly BuildPlan[]): string | undefined {
  const [first, ...rest] = plans;
  if (first === undefined) return "";
  const lines: string[] = [];
  // An empty first alternative must still be a plan, not the empty document.
  if (first.provides.length === 0 && first.requires.length === 0) lines.push("provides = []", "");
  if (!addSections(lines, first, "")) return undefined;
  for (const plan of rest) {
    lines.push("[[or]]", "");
    if (!addSections(lines, plan, "or.")) return undefined;
  }
  return lines.join("\n");
}

function addSections(lines: string[], plan: BuildPlan, prefix: string): boolean {
  for (const p of plan.provides) {
    const name = nameText(p.name);
    if (name === undefined) return false;
    lines.push(`[[${prefix}provides]]`, `name = ${name}`, "");
  }
  for (const r of plan.requires) {
    const name = nameText(r.name);
    const isTable = typeof r.metadata === "object" && r.metadata !== null && !Array.isArray(r.metadata);
    const metadata = r.metadata === undefined ? "" : isTable ? inlineTomlValue(r.metadata) : undefined;
    if (name === undefined || metadata === undefined) return false;
    lines.push(`[[${prefix}requires]]`, `name = ${name}`, ...(metadata ? [`metadata = ${metadata}`] : []), "");
  }
  return true;
}

function nameText(name: unknown): string | undefined {
  return typeof name === "string" && name !== "" ? inlineTomlValue(name) : undefined;
}

/**
 * A detection order drawn as pack draws it (`Detection Order:` in `pack builder inspect`):
 * groups numbered, branches `├`/`└`, `(optional)` and `[cyclic]` in a column after the ids.
 */
import type { DetectionOrderEntry } from "../package/index.js";
import { alignColumns } from "./columns.js";

const BRANCH = " ├ ";
const LAST = " └ ";
const TRUNK = " │ ";

/**
 * The tree's lines, or `  (none)` for an empty order.
 *
 * @example
 * orderTree([{ buildpacks: [{ id: "acme/node", version: "1.0.0" }] }])
 * // [" └ Group #1:", "    └ acme/node@1.0.0"]
 */
export function orderTree(order: DetectionOrderEntry[]): string[] {
  if (order.length === 0) return ["  (none)"];
  const lines: (string | string[])[] = [];
  writeGroup(order, "", lines);
  return alignColumns(lines, 4);
}

function fullName(e: DetectionOrderEntry): string {
  return e.version ? `${e.id}@${e.version}` : (e.id ?? "");
}

function buildpackRow(e: DetectionOrderEntry, lead: string): string[] {
  return [`${lead}${fullName(e)}`, `${e.optional ? "(optional)" : ""}${e.cyclic ? "[cyclic]" : ""}`];
}

/** pack's writeDetectionOrderGroup: a group's line text is built up from prefixes, then its row. */
function writeGroup(order: DetectionOrderEntry[], prefix: string, lines: (string | string[])[]): void {
  let groupNumber = 0;
  order.forEach((entry, i) => {
    const last = i === order.length - 1;
    let lead = `${prefix}${last ? LAST : BRANCH}`;
    const entryPrefix = `${prefix}${last ? "   " : TRUNK}`;
    if (!entry.buildpacks?.length) {
      lines.push(buildpackRow(entry, lead));
      return;
    }
    let groupPrefix = entryPrefix;
    if (entry.id) {
      // A composite: its own row, then its groups one level in.
      lines.push(buildpackRow(entry, lead));
      lead = `${entryPrefix}${LAST}`;
      groupPrefix = `${entryPrefix}   `;
    }
    groupNumber++;
    lines.push(`${lead}Group #${groupNumber}:`);
    writeGroup(entry.buildpacks, groupPrefix, lines);
  });
}

/**
 * A detection order drawn as pack draws it (`Detection Order:` in `pack builder inspect`):
 * groups numbered, branches `├`/`└`, `(optional)` and `[cyclic]` in a column after the ids.
 */
import type { DetectionOrderEntry, OrderNode } from "../package/index.js";
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

/**
 * A nested order drawn as `pack buildpack inspect` draws it: each composite once, its
 * groups under it.
 *
 * @example
 * nestedOrderTree([{ group: [{ id: "acme/node", version: "1.0.0" }] }])
 * // [" └ Group #1:", "    └ acme/node@1.0.0"]
 */
export function nestedOrderTree(order: { group: OrderNode[] }[]): string[] {
  if (order.length === 0) return ["  (none)"];
  const lines: (string | string[])[] = [];
  writeNested(order, "", lines);
  return alignColumns(lines, 4);
}

function writeNested(order: { group: OrderNode[] }[], prefix: string, lines: (string | string[])[]): void {
  order.forEach((o, g) => {
    const lastGroup = g === order.length - 1;
    lines.push(`${prefix}${lastGroup ? LAST : BRANCH}Group #${g + 1}:`);
    const bpPrefix = `${prefix}${lastGroup ? "   " : TRUNK}`;
    o.group.forEach((bp, i) => {
      const last = i === o.group.length - 1;
      lines.push(buildpackRow(bp, `${bpPrefix}${last ? LAST : BRANCH}`));
      if (bp.order) writeNested(bp.order, `${bpPrefix}${last ? "   " : TRUNK}`, lines);
    });
  });
}

/**
 * A detection order as `pack builder inspect` and `pack buildpack inspect` show it: the
 * order's groups, with every composite buildpack replaced by its own order (from the layers
 * label), and a buildpack met again on its own path marked `cyclic` instead of expanded.
 * Same walk as pack's internal/builder/detection_order_calculator.go.
 */
import type { ModuleLayers, ModuleRefJson, OrderJson } from "./labels.js";

/** pack's `DetectionOrderEntry`: a buildpack, or (with `buildpacks`) a group. */
export interface DetectionOrderEntry {
  id?: string;
  version?: string;
  optional?: boolean;
  cyclic?: boolean;
  buildpacks?: DetectionOrderEntry[];
}

/**
 * Expands `order` through `layers`, `maxDepth` levels of composites deep (negative: all).
 *
 * @example
 * detectionOrder([{ group: [{ id: "acme/node", version: "1.0.0" }] }], layers)
 * // [{ buildpacks: [{ id: "acme/node", version: "1.0.0" }] }]
 */
export function detectionOrder(order: OrderJson[], layers: ModuleLayers, maxDepth = -1): DetectionOrderEntry[] {
  return fromOrder(order, {}, 0, new Set(), { layers, maxDepth });
}

interface Walk {
  layers: ModuleLayers;
  maxDepth: number;
}

function fromOrder(
  order: OrderJson[],
  parent: ModuleRefJson | Record<string, never>,
  depth: number,
  visited: Set<string>,
  walk: Walk,
): DetectionOrderEntry[] {
  return order.map((o) => ({ ...parent, buildpacks: fromGroup(o.group, depth, new Set(visited), walk) }));
}

function fromGroup(group: ModuleRefJson[], depth: number, visited: Set<string>, walk: Walk): DetectionOrderEntry[] {
  const out: DetectionOrderEntry[] = [];
  for (const bp of group) {
    const key = `${bp.id}@${bp.version ?? ""}`;
    const seen = visited.has(key);
    visited.add(key);
    const inner = walk.layers[bp.id]?.[bp.version ?? ""]?.order ?? [];
    const deeper = walk.maxDepth < 0 || depth < walk.maxDepth;
    if (inner.length > 0 && deeper && !seen) out.push(...fromOrder(inner, bp, depth + 1, visited, walk));
    else out.push({ ...bp, ...(seen ? { cyclic: true } : {}) });
  }
  return out;
}

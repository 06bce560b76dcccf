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

/** A buildpack in a {@link nestedOrder}: a composite carries its own groups. */
export interface OrderNode {
  id: string;
  version?: string;
  optional?: boolean;
  /** Met again on its own path: not expanded. */
  cyclic?: boolean;
  order?: { group: OrderNode[] }[];
}

/**
 * `order` as `pack buildpack inspect` walks it: each composite once, with its groups nested
 * under it, `maxDepth` levels of groups deep (negative: all). Same walk as pack's
 * internal/commands/inspect_buildpack.go `orderOutputRecurrence`.
 *
 * @example
 * nestedOrder([{ group: [{ id: "acme/meta", version: "1.0.0" }] }], layers)
 * // [{ group: [{ id: "acme/meta", version: "1.0.0", order: [{ group: [...] }] }] }]
 */
export function nestedOrder(
  order: OrderJson[],
  layers: ModuleLayers,
  maxDepth = -1,
  depth = 0,
  path = new Set<string>(),
): { group: OrderNode[] }[] {
  if (maxDepth >= 0 && maxDepth <= depth) return [];
  return order.map((o) => ({
    group: o.group.map((bp) => {
      const key = `${bp.id}@${bp.version ?? ""}`;
      const node: OrderNode = { ...bp };
      if (path.has(key)) return { ...node, cyclic: true };
      const inner = layers[bp.id]?.[bp.version ?? ""]?.order ?? [];
      path.add(key);
      const nested = nestedOrder(inner, layers, maxDepth, depth + 1, path);
      path.delete(key);
      return nested.length ? { ...node, order: nested } : node;
    }),
  }));
}

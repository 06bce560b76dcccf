/**
 * `ctx.plan`: the buildpack plan entries this buildpack was chosen to provide, and how
 * entries of one name are merged into one decision (packit's planner).
 */
import type { BuildpackPlanEntry } from "../cnb-files/index.js";

/** A plan entry chosen by {@link BuildpackPlan.resolve}, with the layer flags all entries ask for. */
export interface ResolvedPlanEntry {
  name: string;
  /** The chosen entry's metadata. */
  metadata: Record<string, unknown>;
  /** `metadata.version` of the chosen entry, when it is a non-empty string. */
  version?: string;
  /** `metadata["version-source"]` of the chosen entry (e.g. "package.json", "BP_NODE_VERSION"). */
  versionSource?: string;
  /** True when any entry of that name has `metadata.launch = true`. */
  launch: boolean;
  /** True when any entry of that name has `metadata.build = true`. */
  build: boolean;
}

/** The buildpack plan: `ctx.plan`, the requirements this buildpack was chosen to provide. */
export class BuildpackPlan {
  constructor(readonly entries: readonly BuildpackPlanEntry[]) {}

  /** True when some buildpack required `name`. */
  has(name: string): boolean {
    return this.entries.some((e) => e.name === name);
  }

  /** Every entry named `name`, in plan order. */
  all(name: string): BuildpackPlanEntry[] {
    return this.entries.filter((e) => e.name === name);
  }

  /** The first non-empty `metadata.version` string among entries named `name`. */
  version(name: string): string | undefined {
    for (const e of this.all(name)) {
      const v = e.metadata.version;
      if (typeof v === "string" && v.trim() !== "") return v;
    }
    return undefined;
  }

  /**
   * Merges the entries named `name` the way packit's planner does: entries are ranked by
   * the position of their `metadata["version-source"]` in `priorities` (strings compare
   * exactly, RegExps test), unranked entries last, plan order breaking ties; the first wins.
   * `launch`/`build` are true when any entry asks for them.
   *
   * @example
   * ctx.plan.resolve("node", ["BP_NODE_VERSION", "package.json", ".nvmrc", /.*\/)
   */
  resolve(name: string, priorities: readonly (string | RegExp)[] = []): ResolvedPlanEntry | undefined {
    const entries = this.all(name);
    if (entries.length === 0) return undefined;
    const rank = (e: BuildpackPlanEntry) => {
      const source = e.metadata["version-source"];
      if (typeof source !== "string") return priorities.length;
      const i = priorities.findIndex((p) => (typeof p === "string" ? p === source : p.test(source)));
      return i < 0 ? priorities.length : i;
    };
    const chosen = entries.map((e, i) => ({ e, r: rank(e), i })).sort((a, b) => a.r - b.r || a.i - b.i)[0]!.e;
    const out: ResolvedPlanEntry = {
      name,
      metadata: chosen.metadata,
      launch: entries.some((e) => e.metadata.launch === true),
      build: entries.some((e) => e.metadata.build === true),
    };
    const v = chosen.metadata.version;
    if (typeof v === "string" && v.trim() !== "") out.version = v;
    const s = chosen.metadata["version-source"];
    if (typeof s === "string") out.versionSource = s;
    return out;
  }
}

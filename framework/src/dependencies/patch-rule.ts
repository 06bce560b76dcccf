/**
 * Patch rules: which dependency layers of an app image may be swapped for a newer build of the
 * same dependency without rebuilding the app, and why that is safe. The buildpack declares the
 * rule (it knows what its layer holds and what else depends on it); the build records it, with
 * the exact dependency installed, in the layer's `[metadata]` under {@link PATCH_METADATA_KEY}.
 * That record travels in the image's `io.buildpacks.lifecycle.metadata` label, so a tool that
 * patches a fleet (`cnbkit fleet patch`) decides from the image alone, without running (or even
 * having) the buildpack.
 *
 * The rule is a release line: the leading version components that must not change. Node.js
 * keeps its native-addon ABI (`NODE_MODULE_VERSION`) for a whole major; CPython keeps its ABI
 * and `.pyc` magic number for a minor; a JRE keeps class-file and module compatibility for a
 * feature release. Within a line, only patch (security) releases move.
 */
import semver from "semver";

/** The `[metadata]` key of a dependency layer that holds its {@link PatchRecord}. */
export const PATCH_METADATA_KEY = "patch";

/** The leading version components a patch must keep: `major` (24.x.y) or `minor` (3.13.x). */
export type PatchLine = "major" | "minor";

/**
 * What a buildpack declares for a dependency layer that may be patched in place.
 *
 * @example
 * // Node.js: addons built for 24.11.0 load in 24.11.1 (same NODE_MODULE_VERSION).
 * const rule: PatchRule = { same: "major", why: "NODE_MODULE_VERSION is fixed within a major" };
 */
export interface PatchRule {
  /** The release line a newer build must stay on. */
  same: PatchLine;
  /** Why staying on that line is safe, said in a patch plan (one short clause). */
  why: string;
  /**
   * Data in the image's other layers made from this exact build, and what a patch does about
   * it: `keep` says it stays valid within the line (npm addons for a Node.js major, `.pyc`
   * files for a CPython minor); `drop` removes that layer of the same buildpack from the image
   * (what reads it works without it, only slower); `stale` keeps that layer though its data no
   * longer matches, for data the new build ignores but whose layer is still needed (a JVM's CDS
   * archive, trained on the exact JVM, in the layer the process runs from: the app starts,
   * slower, until a rebuild trains a new one); `refuse` leaves an image that has that layer
   * unpatched, for data that would break the app and that only a rebuild remakes. What is made
   * inside the dependency layer itself comes with the new layer. Said in the plan, so an
   * operator sees each decision.
   */
  derived?: readonly DerivedData[];
}

/** Data in another layer made from the exact dependency build (see {@link PatchRule.derived}). */
export interface DerivedData {
  /** What it is, e.g. "native addons in node_modules (*.node)". */
  what: string;
  /**
   * `keep`: valid within the line; `drop`: the layer {@link DerivedData.layer} is removed by a
   * patch; `stale`: that layer stays, ignored by the new build until a rebuild remakes it (the
   * plan says so); `refuse`: an image with that layer is not patched (a rebuild remakes it).
   */
  action: "keep" | "drop" | "stale" | "refuse";
  /** The layer (of the same buildpack) that holds it, required for `drop`, `stale` and `refuse`. */
  layer?: string;
  /** Why, one short clause. */
  why: string;
}

/** A {@link PatchRule} with the dependency it applies to: what the layer's metadata holds. */
export interface PatchRecord extends PatchRule {
  /** The inventory id (e.g. "node"). */
  dependency: string;
  /** The version installed. */
  version: string;
  /** The installed artifact's sha256. */
  sha256: string;
  /** The target architecture it was installed for. */
  arch: string;
  /** The release line of `version` under `same` (e.g. "24" or "3.13"). */
  line: string;
}

/** What {@link patchVerdict} decided for a candidate. */
export type PatchVerdict = { ok: true } | { ok: false; why: string };

/**
 * The release line of `version` under `line` ("24.11.1", "major" → "24"; "3.13.2", "minor" →
 * "3.13"), or undefined when the version does not start with that many numeric components.
 */
export function releaseLine(version: string, line: PatchLine): string | undefined {
  const parts = /^v?(\d+)(?:\.(\d+))?/.exec(version.trim());
  if (!parts) return undefined;
  if (line === "major") return parts[1];
  return parts[2] === undefined ? undefined : `${parts[1]}.${parts[2]}`;
}

/**
 * The record a build stores for `dep` installed under `rule` on `arch`.
 *
 * @example
 * layer.metadata[PATCH_METADATA_KEY] = patchRecord(dep, "amd64", { same: "major", why: "..." });
 */
export function patchRecord(
  dep: { id: string; version: string; sha256: string },
  arch: string,
  rule: PatchRule,
): PatchRecord {
  const line = releaseLine(dep.version, rule.same);
  if (line === undefined)
    throw new Error(`patch rule for ${dep.id}: version "${dep.version}" has no ${rule.same} component`);
  return {
    dependency: dep.id,
    version: dep.version,
    sha256: dep.sha256,
    arch,
    line,
    same: rule.same,
    why: rule.why,
    ...(rule.derived ? { derived: rule.derived.map((d) => ({ ...d })) } : {}),
  };
}

/** The {@link PatchRecord} in a layer's `[metadata]`, or undefined when it has none (or a malformed one). */
export function readPatchRecord(metadata: unknown): PatchRecord | undefined {
  if (typeof metadata !== "object" || metadata === null) return undefined;
  const r = (metadata as Record<string, unknown>)[PATCH_METADATA_KEY];
  if (typeof r !== "object" || r === null) return undefined;
  const o = r as Record<string, unknown>;
  const strings = ["dependency", "version", "sha256", "arch", "line", "why"] as const;
  if (!strings.every((k) => typeof o[k] === "string")) return undefined;
  if (o.same !== "major" && o.same !== "minor") return undefined;
  return o as unknown as PatchRecord;
}

/**
 * Whether a layer recorded as `from` may be replaced by one recorded as `to`: the same
 * dependency, arch and rule, the same release line, and a newer version. The reason is one
 * clause naming both versions.
 *
 * @example
 * patchVerdict(old, candidate); // { ok: false, why: "node 25.1.0 leaves line 24 (same major: ...)" }
 */
export function patchVerdict(from: PatchRecord, to: PatchRecord): PatchVerdict {
  if (to.dependency !== from.dependency)
    return { ok: false, why: `the candidate is ${to.dependency}, not ${from.dependency}` };
  if (to.arch !== from.arch) return { ok: false, why: `the candidate is for ${to.arch}, not ${from.arch}` };
  if (to.same !== from.same)
    return { ok: false, why: `the candidate's rule is same ${to.same}, not same ${from.same}` };
  const line = releaseLine(to.version, from.same);
  if (line !== from.line)
    return {
      ok: false,
      why: `${to.dependency} ${to.version} leaves line ${from.line} (same ${from.same}: ${from.why})`,
    };
  const a = semver.coerce(from.version, { loose: true });
  const b = semver.coerce(to.version, { loose: true });
  const order = a && b ? semver.compare(b, a) : to.version.localeCompare(from.version, "en", { numeric: true });
  if (order < 0 || (order === 0 && to.version === from.version))
    return { ok: false, why: `${to.dependency} ${to.version} is not newer than ${from.version}` };
  return { ok: true };
}

/**
 * `cnbkit fleet query`: which images of an inventory match, and why. Filters of one kind are
 * alternatives (two `--package` flags: either package); filters of different kinds must all
 * hold (a package AND unsigned). Every hit says in words why it matched, so a table of 312
 * hits can be read without opening the inventory.
 */
import { CnbError } from "@cnbkit/framework";
import { type AbiProvides, abiGaps, gapText } from "../abi/index.js";
import type { FleetInventory, ImageRecord, InventoryPackage, RunningContainer } from "./inventory.js";
import type { RunImageAbi } from "./run-image-abi.js";
import type { RunImageNow } from "./run-image-now.js";
import { type Ecosystem, type VersionTest, versionTest } from "./versions/index.js";

/** A `--package [ECOSYSTEM:]NAME[@RANGE]` as parsed. */
export interface PackageFilter {
  ecosystem?: Ecosystem;
  name: string;
  /** The range as given (for messages), and its test in each ecosystem where it parses. */
  range?: { text: string; tests: Partial<Record<Ecosystem, VersionTest>> };
}

/** A `--buildpack ID[@RANGE]` as parsed (ranges in npm semver, as buildpack versions are). */
export interface BuildpackFilter {
  id: string;
  range?: { text: string; test: VersionTest };
}

/** What a query asks; every field optional, all given ones must hold. */
export interface QuerySpec {
  packages?: PackageFilter[];
  buildpacks?: BuildpackFilter[];
  /** Only images on this run image (registry/repository of the reference). */
  runImage?: string;
  /** Only images whose run image has a newer top layer now. */
  behind?: boolean;
  unsigned?: boolean;
  noProvenance?: boolean;
  notRebasable?: boolean;
  builtBefore?: Date;
  /** Only images that pods of the scanned cluster run. */
  running?: boolean;
  /**
   * With `runImage`: weigh every image against what that run image provides (sonames, GLIBC_
   * versions) instead of keeping only the images on it; each hit says whether it could move.
   */
  abi?: boolean;
}

/** One image a query matched, with the reasons in words. */
export interface QueryHit {
  record: ImageRecord;
  why: string[];
  /** With {@link QuerySpec.abi}: whether the image could move onto the run image, and why. */
  abi?: AbiVerdict;
}

/** Whether an image could move onto a run image: its needs met, not met, or not recorded. */
export interface AbiVerdict {
  verdict: "can" | "cannot" | "unknown";
  why: string;
}

/**
 * The {@link AbiVerdict} of `record` against what `provides` offers (`runImage` names it in
 * words). `now`, what the run image the image sits on provides, excuses the needs it did not
 * meet either (a JRE's libjsound.so linking ALSA, which no run image here has): the rebase
 * tolerates those too.
 */
export function abiVerdict(
  record: ImageRecord,
  runImage: string,
  provides: AbiProvides,
  now?: AbiProvides,
): AbiVerdict {
  if (!record.abi) {
    return {
      verdict: "unknown",
      why: "no needs recorded (built before cnbkit recorded them): fleet rebase reads its layers to decide",
    };
  }
  const refused = abiGaps(record.abi, provides, now).filter((g) => !g.alreadyMissing);
  if (refused.length === 0) {
    return { verdict: "can", why: `could move onto ${runImage}${provides.glibc ? ` (glibc ${provides.glibc})` : ""}` };
  }
  const more = refused.length > 1 ? ` (and ${refused.length - 1} more)` : "";
  return { verdict: "cannot", why: `could not move onto ${runImage}: ${gapText(refused[0]!)}${more}` };
}

const ECOSYSTEMS: Ecosystem[] = ["npm", "pypi", "maven", "deb", "other"];

/**
 * Parses `--package` values; one line for a bad ecosystem or a range that parses in no
 * ecosystem the name could be in.
 *
 * @example
 * parsePackageFilter("deb:libssl3t64@<< 3.5.4") // { ecosystem: "deb", name: "libssl3t64", range: ... }
 * parsePackageFilter("@types/node@^20")        // npm's scoped names keep their leading @
 */
export function parsePackageFilter(value: string): PackageFilter {
  const where = `--package ${value}`;
  let rest = value.trim();
  let ecosystem: Ecosystem | undefined;
  const prefix = /^([a-z]+):(?!\/)/.exec(rest);
  if (prefix) {
    if (!ECOSYSTEMS.includes(prefix[1] as Ecosystem)) {
      throw new CnbError(`${where}: unknown ecosystem "${prefix[1]}"`, { hint: `one of ${ECOSYSTEMS.join(", ")}` });
    }
    ecosystem = prefix[1] as Ecosystem;
    rest = rest.slice(prefix[0].length);
  }
  const at = rest.indexOf("@", rest.startsWith("@") ? 1 : 0);
  const name = at < 0 ? rest : rest.slice(0, at);
  const rangeText = at < 0 ? undefined : rest.slice(at + 1);
  if (!name) throw new CnbError(`${where}: no package name`, { hint: "as in --package openssl@<3.0.15" });
  if (rangeText === undefined) return { ...(ecosystem ? { ecosystem } : {}), name };
  const tests: Partial<Record<Ecosystem, VersionTest>> = {};
  let firstError: unknown;
  for (const eco of ecosystem ? [ecosystem] : ECOSYSTEMS) {
    try {
      tests[eco] = versionTest(eco, rangeText, where);
    } catch (err) {
      firstError ??= err;
    }
  }
  if (Object.keys(tests).length === 0) throw firstError;
  return { ...(ecosystem ? { ecosystem } : {}), name, range: { text: rangeText, tests } };
}

/** Parses a `--buildpack ID[@RANGE]` value. */
export function parseBuildpackFilter(value: string): BuildpackFilter {
  const at = value.indexOf("@");
  if (at < 0) return { id: value };
  const text = value.slice(at + 1);
  return { id: value.slice(0, at), range: { text, test: versionTest("npm", text, `--buildpack ${value}`) } };
}

/** PEP 503 names compare without case and with `-`, `_` and `.` alike; others compare as written. */
function sameName(pkg: InventoryPackage, name: string): boolean {
  if (pkg.ecosystem === "pypi") return normalizePypi(pkg.name) === normalizePypi(name);
  if (pkg.name === name) return true;
  // Maven's names are group:artifact; an artifact id alone names it too.
  return pkg.ecosystem === "maven" && pkg.name.endsWith(`:${name}`);
}

const normalizePypi = (n: string) => n.toLowerCase().replace(/[-_.]+/g, "-");

/** The package hits of one record, each as words. */
function packageHits(inv: FleetInventory, r: ImageRecord, filters: PackageFilter[]): string[] {
  const hits: string[] = [];
  for (const id of r.sbom.ids) {
    const sbom = inv.sboms[id];
    if (!sbom) continue;
    for (const p of sbom.packages) {
      for (const f of filters) {
        if (f.ecosystem && f.ecosystem !== p.ecosystem) continue;
        if (!sameName(p, f.name)) continue;
        const test = f.range?.tests[p.ecosystem];
        if (f.range && !test?.(p.version)) continue;
        hits.push(`${p.name} ${p.version} (${p.ecosystem}${sbom.part === "run-image" ? ", run image" : ""})`);
      }
    }
  }
  return [...new Set(hits)];
}

/** Verified, or present when the scan had no key to check with: what counts as signed. */
function isTrusted(state: ImageRecord["signature"], inventory: FleetInventory): boolean {
  return state === "verified" || (state === "present" && !inventory.key);
}

/** The registry/repository part of an image name (`host/repo:tag@digest` → `host/repo`). */
export function repositoryOf(ref: string): string {
  const noDigest = ref.split("@")[0]!;
  const slash = noDigest.lastIndexOf("/");
  const colon = noDigest.lastIndexOf(":");
  return colon > slash ? noDigest.slice(0, colon) : noDigest;
}

/**
 * The hits of `spec` in `inventory`. `now` answers what a run image's top layer is now (for
 * `behind`); it is asked once per run image and platform.
 *
 * @example
 * const hits = await queryFleet(inv, { packages: [parsePackageFilter("deb:libssl3t64@<< 3.5.4")] }, now);
 */
export async function queryFleet(
  inventory: FleetInventory,
  spec: QuerySpec,
  now?: RunImageNow,
  abi?: RunImageAbi,
): Promise<QueryHit[]> {
  const hits: QueryHit[] = [];
  if (spec.abi && (!spec.runImage || !abi)) {
    throw new CnbError("--abi weighs images against a run image: give it with --run-image <ref>");
  }
  // With --abi the run image is where images would go, not a filter on where they are.
  const wantRun = spec.runImage && !spec.abi ? repositoryOf(spec.runImage) : undefined;
  for (const r of inventory.images) {
    const why: string[] = [];
    if (spec.packages?.length) {
      const found = packageHits(inventory, r, spec.packages);
      if (found.length === 0) continue;
      why.push(...found);
    }
    if (spec.buildpacks?.length) {
      const found = r.buildpacks.filter((b) =>
        spec.buildpacks!.some((f) => f.id === b.id && (!f.range || f.range.test(b.version))),
      );
      if (found.length === 0) continue;
      why.push(...found.map((b) => `buildpack ${b.id}@${b.version}`));
    }
    if (wantRun) {
      const name = r.runImage.image ?? r.runImage.reference;
      if (!name || repositoryOf(name) !== wantRun) continue;
      if (!spec.behind) why.push(`run image ${name}`);
    }
    if (spec.behind) {
      if (!now) throw new CnbError("--behind needs the run images' current digests, and none could be asked");
      const target = spec.runImage ?? r.runImage.image;
      if (!target || !r.runImage.topLayer) continue;
      const current = await now.topLayer(target, r.platform);
      if (current.topLayer === r.runImage.topLayer) continue;
      why.push(`run image behind: ${target} is ${current.digest.slice(0, 19)} now`);
    }
    if (spec.unsigned) {
      if (isTrusted(r.signature, inventory)) continue;
      why.push(r.signature === "none" ? "unsigned" : `signature ${r.signature}`);
    }
    if (spec.noProvenance) {
      if (isTrusted(r.provenance, inventory)) continue;
      why.push(r.provenance === "none" ? "no provenance" : `provenance ${r.provenance}`);
    }
    if (spec.notRebasable) {
      if (r.rebasable.ok) continue;
      why.push(`not rebasable: ${r.rebasable.why}`);
    }
    if (spec.builtBefore) {
      if (!r.built || new Date(r.built.at) >= spec.builtBefore) continue;
      why.push(`built ${r.built.at.slice(0, 10)}`);
    }
    if (spec.running) {
      if (!inventory.cluster) {
        throw new CnbError(
          "--running asks which images pods run, and this inventory was not scanned with --kubernetes",
          {
            hint: "scan with `cnbkit fleet scan ... --kubernetes`",
          },
        );
      }
      if (!r.running?.length) continue;
      why.push(`run by ${runningText(r.running)}`);
    }
    if (spec.abi && spec.runImage && abi) {
      const on = r.runImage.reference ?? r.runImage.image;
      // The run image it is on may be gone (a digest since deleted): then nothing is excused.
      const now = on && r.abi ? await abi.provides(on, r.platform).catch(() => undefined) : undefined;
      const verdict = abiVerdict(r, spec.runImage, await abi.provides(spec.runImage, r.platform), now);
      why.push(verdict.why);
      hits.push({ record: r, why, abi: verdict });
      continue;
    }
    hits.push({ record: r, why });
  }
  return hits;
}

/** Containers as people name them: `ns/pod` (with the container when a pod runs several), the first three and a count. */
export function runningText(running: RunningContainer[]): string {
  const pods = new Map<string, string[]>();
  for (const c of running)
    pods.set(`${c.namespace}/${c.pod}`, [...(pods.get(`${c.namespace}/${c.pod}`) ?? []), c.container]);
  const names = [...pods].map(([pod, containers]) =>
    containers.length > 1 ? `${pod} (${containers.join(", ")})` : pod,
  );
  return names.length > 3 ? `${names.slice(0, 3).join(", ")} and ${names.length - 3} more pods` : names.join(", ");
}

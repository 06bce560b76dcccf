/**
 * The fleet at a glance as numbers: an inventory folded into the few counts the HTML report
 * draws (run images and how many images are behind, buildpack versions, signature and
 * provenance shares, rebasable or not and why). One pass over the records, everything sorted
 * with a tie-break, so 10,000 images fold in milliseconds and the same inventory always
 * gives the same figures.
 */
import { COMPARE } from "./versions/index.js";
import type { FleetInventory, ImageRecord, ProofState } from "./inventory.js";

/** A label and how many images carry it. */
export interface Count {
  key: string;
  count: number;
}

/** One run image (a digest, else a top layer) that images of the fleet are on. */
export interface RunImageFigure {
  /** The digest (`sha256:…`), else `top layer sha256:…` when only the top layer was recorded, else `unknown`. */
  id: string;
  images: number;
  /** Whether this is the newest run image of its name: what the others are behind. */
  newest: boolean;
  /** The earliest build time of an image on it: when the fleet started using it, as far as the inventory tells. */
  firstBuilt?: string;
  /** The latest build time of an image on it. */
  lastBuilt?: string;
}

/** The run images of one name (`registry/repo:tag` as the lifecycle recorded it). */
export interface RunImageName {
  name: string;
  /** Newest first, then by images on it. */
  runImages: RunImageFigure[];
  images: number;
  /** Images on a run image of this name other than the newest: what a rebase would move. */
  behind: number;
  /** How the newest was told: given (the registry's answer now) or inferred (the most recent build's). */
  newestFrom: "given" | "latest build";
}

/** One buildpack id's versions across the fleet. */
export interface BuildpackFigure {
  id: string;
  /** Images with this buildpack (at any version). */
  images: number;
  /** Newest first, in semver order. */
  versions: Count[];
}

/** What {@link fleetFigures} folds an inventory into. */
export interface FleetFigures {
  images: number;
  /** Repositories holding at least one CNB image. */
  repositories: number;
  /** Images met that are not CNB app images. */
  others: number;
  errors: number;
  scannedAt: string;
  platforms: Count[];
  /** Run-image names, most images first. */
  runImages: RunImageName[];
  /** Images behind the newest run image of their name, over every name. */
  behind: number;
  /** Most images first. */
  buildpacks: BuildpackFigure[];
  signature: Record<ProofState, number>;
  provenance: Record<ProofState, number>;
  rebasable: number;
  /** Why images are not rebasable, most images first. */
  notRebasable: Count[];
}

/** Options of {@link fleetFigures}. */
export interface FigureOptions {
  /**
   * The digest each run-image name points at now, as `fleet query --run-image REF --behind`
   * resolved it. A name not given here is taken to be newest on the run image of its most
   * recent build, since the inventory holds what images were built on, not what the name
   * points at today.
   */
  latestRunImages?: Record<string, string>;
}

const PROOF_STATES: ProofState[] = ["verified", "present", "none", "invalid"];

/** What one run image's images were seen to be, while the records are read. */
interface RunImageTally {
  images: number;
  first?: string;
  last?: string;
}

/**
 * Folds an inventory into the report's figures.
 *
 * @example
 * fleetFigures(inventory).behind // 12: images not on the newest run image of their name
 */
export function fleetFigures(inventory: FleetInventory, options: FigureOptions = {}): FleetFigures {
  const repositories = new Set<string>();
  const platforms = new Map<string, number>();
  const runNames = new Map<string, Map<string, RunImageTally>>();
  const buildpacks = new Map<string, { images: number; versions: Map<string, number> }>();
  const signature = zeroProofs();
  const provenance = zeroProofs();
  const reasons = new Map<string, number>();
  let rebasable = 0;

  for (const r of inventory.images) {
    repositories.add(r.repository);
    bump(platforms, r.platform);
    signature[r.signature] = (signature[r.signature] ?? 0) + 1;
    provenance[r.provenance] = (provenance[r.provenance] ?? 0) + 1;
    if (r.rebasable.ok) rebasable++;
    else bump(reasons, r.rebasable.why || "no reason recorded");

    const { name, id } = runImageOf(r);
    const ids = getOr(runNames, name, () => new Map<string, RunImageTally>());
    const run = getOr<string, RunImageTally>(ids, id, () => ({ images: 0 }));
    run.images++;
    const at = isoTime(r.built?.at);
    if (at) {
      if (!run.first || at < run.first) run.first = at;
      if (!run.last || at > run.last) run.last = at;
    }

    // An image lists a buildpack once; a repeated id (a malformed label) still counts the image once.
    const seen = new Set<string>();
    for (const bp of r.buildpacks) {
      const b = getOr(buildpacks, bp.id, () => ({ images: 0, versions: new Map<string, number>() }));
      if (!seen.has(bp.id)) b.images++;
      seen.add(bp.id);
      bump(b.versions, bp.version);
    }
  }

  const names = [...runNames].map(([name, ids]) => runImageName(name, ids, options.latestRunImages?.[name]));
  // Unrecorded run images last: they are an exception to look at, not a run image to compare.
  names.sort(
    (a, b) => Number(a.name === UNKNOWN) - Number(b.name === UNKNOWN) || b.images - a.images || cmp(a.name, b.name),
  );
  const bps: BuildpackFigure[] = [...buildpacks].map(([id, b]) => ({
    id,
    images: b.images,
    versions: counts(b.versions).sort((x, y) => compareVersions(y.key, x.key)),
  }));
  bps.sort((a, b) => b.images - a.images || cmp(a.id, b.id));

  return {
    images: inventory.images.length,
    repositories: repositories.size,
    others: inventory.others.length,
    errors: inventory.errors.length,
    scannedAt: inventory.scannedAt,
    platforms: counts(platforms).sort(byCount),
    runImages: names,
    behind: names.reduce((n, x) => n + x.behind, 0),
    buildpacks: bps,
    signature,
    provenance,
    rebasable,
    notRebasable: counts(reasons).sort(byCount),
  };
}

/**
 * The run images of one name, newest first. Given a digest (the name's digest now), that is the
 * newest, even if no image is on it yet (then every image is behind); else the run image of the
 * most recent build is, ties going to the one more images are on.
 */
function runImageName(name: string, ids: Map<string, RunImageTally>, given: string | undefined): RunImageName {
  const runImages: RunImageFigure[] = [...ids].map(([id, v]) => ({
    id,
    images: v.images,
    newest: false,
    ...(v.first ? { firstBuilt: v.first } : {}),
    ...(v.last ? { lastBuilt: v.last } : {}),
  }));
  if (given && !ids.has(given)) runImages.push({ id: given, images: 0, newest: false });
  runImages.sort(
    (a, b) =>
      Number(b.id === given) - Number(a.id === given) ||
      Number(a.id === "unknown") - Number(b.id === "unknown") ||
      cmp(b.lastBuilt ?? "", a.lastBuilt ?? "") ||
      b.images - a.images ||
      cmp(a.id, b.id),
  );
  // Images whose run image is not recorded are neither on the newest nor known to be behind it.
  const newest = name === UNKNOWN || runImages[0]!.id === "unknown" ? undefined : runImages[0]!;
  if (newest) newest.newest = true;
  const behind = newest ? runImages.reduce((n, x) => n + (x === newest || x.id === "unknown" ? 0 : x.images), 0) : 0;
  const images = runImages.reduce((n, x) => n + x.images, 0);
  return { name, runImages, images, behind, newestFrom: given ? "given" : "latest build" };
}

/** The name that stands for images whose run image the lifecycle did not record. */
export const UNKNOWN = "(run image not recorded)";

/**
 * The run image a record is on: its name (as recorded, else the reference's repository) and
 * its id (the reference's digest, else the top layer, which is what a rebase replaces).
 */
export function runImageOf(r: Pick<ImageRecord, "runImage">): { name: string; id: string } {
  const { image, reference, topLayer } = r.runImage;
  const at = reference?.lastIndexOf("@") ?? -1;
  const digest = reference && at >= 0 ? reference.slice(at + 1) : undefined;
  const name = image || (reference && at > 0 ? reference.slice(0, at) : undefined);
  const id = digest || (topLayer ? `top layer ${topLayer}` : "unknown");
  return { name: name ?? UNKNOWN, id };
}

/** A build time in one ISO form (UTC, milliseconds), so times compare as strings; none when it does not parse. */
function isoTime(at: string | undefined): string | undefined {
  const t = at ? Date.parse(at) : Number.NaN;
  return Number.isNaN(t) ? undefined : new Date(t).toISOString();
}

/** Buildpack versions in semver order (CNB asks for semver), then dpkg's, then bytes: a total order. */
function compareVersions(a: string, b: string): number {
  return COMPARE.npm(a, b) || COMPARE.other(a, b) || cmp(a, b);
}

function zeroProofs(): Record<ProofState, number> {
  return Object.fromEntries(PROOF_STATES.map((s) => [s, 0])) as Record<ProofState, number>;
}

function getOr<K, V>(m: Map<K, V>, key: K, make: () => V): V {
  let v = m.get(key);
  if (v === undefined) {
    v = make();
    m.set(key, v);
  }
  return v;
}

function bump(m: Map<string, number>, key: string): void {
  m.set(key, (m.get(key) ?? 0) + 1);
}

function counts(m: Map<string, number>): Count[] {
  return [...m].map(([key, count]) => ({ key, count }));
}

function byCount(a: Count, b: Count): number {
  return b.count - a.count || cmp(a.key, b.key);
}

/** Code-unit order: `localeCompare` would follow the machine's locale, and the page must not. */
function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * `cnbkit fleet scan`: an inventory of every image the targets name, from manifests, configs,
 * SBOMs and cosign artifacts alone, never a layer beyond the SBOM ones.
 *
 * Three things keep it cheap at thousands of images:
 * - content addressing: a config or SBOM layer is read once per scan whatever number of
 *   images share it, and an SBOM the previous inventory already holds is not read again;
 * - a re-scan with the previous inventory asks each tag's digest with HEAD and keeps the
 *   record of every image whose digest (and `.sig`/`.att`) did not change;
 * - one client per registry (one token cache, one connection pool) and one bound on the
 *   requests in flight across all repositories.
 * An image that cannot be read is one error line in the inventory, never the end of the scan;
 * a re-run with the inventory as `previous` reads those again.
 */
import { CnbError } from "@cnbkit/framework";
import { type Digest, type ParsedManifest, RegistryClient } from "../oci/index.js";
import { artifactTag, type VerifyKey } from "../supply-chain/index.js";
import {
  byRepositoryAndDigest,
  type FleetInventory,
  INVENTORY_SCHEMA,
  type ImageRecord,
  type InventorySbom,
  type OtherImage,
  type ScanError,
} from "./inventory.js";
import {
  type FleetRepository,
  layoutRepository,
  limitedRepository,
  type ReadStats,
  readStats,
  registryRepository,
  concurrencyLimit,
} from "./repository.js";
import { type ManifestAtHand, readConfig, type ScanContext, scanManifest } from "./scan-image.js";
import type { ClusterImages } from "./running-images.js";
import type { ScanTarget } from "./targets.js";

/** Options of {@link scanFleet}. */
export interface ScanOptions {
  targets: ScanTarget[];
  /** The targets as the user gave them, kept in the inventory. */
  sources: string[];
  /** The last inventory of the same fleet: unchanged images are kept, not read. */
  previous?: FleetInventory;
  /** The public key signatures and attestations are checked against, and its sha256 (recorded). */
  key?: { verify: VerifyKey; id: string };
  /** Requests in flight at once (default 16: a CI runner's share of a registry). */
  concurrency?: number;
  /** Plain HTTP for registries that are not on loopback. */
  insecure?: boolean;
  /** Called as tags are listed and images read. */
  onProgress?: (phase: "listing" | "reading", done: number, total: number) => void;
  /** What a cluster runs (`--kubernetes`): its images are scanned, and each record says which pods run it. */
  cluster?: ClusterImages;
}

/** What a scan did, for its summary line and the bench. */
export interface ScanSummary {
  repositories: number;
  tags: number;
  /** Images kept from the previous inventory without reading them (digest and proofs unchanged). */
  unchanged: number;
  /** Images read again because their digest or `.sig`/`.att` changed. */
  changed: number;
  /** Images the previous inventory did not have. */
  added: number;
  /** Images of the previous inventory that the targets no longer name. */
  removed: number;
  stats: ReadStats;
  seconds: number;
}

/** The cosign artifact tags (`sha256-<hex>.sig|.att|.sbom`): signatures of images, not images. */
export const ARTIFACT_TAG = /^sha256-[0-9a-f]{64}\.(sig|att|sbom)$/;

/**
 * One repository and what of it to read: every tag (`whole`), and the tags and digests named
 * (a digest is read even when no tag names it any more: a pod may still run it).
 */
interface RepoJob {
  repo: FleetRepository;
  whole: boolean;
  named: Set<string>;
}

/** The state of one scan: what it found so far, and what it reads through. */
interface ScanRun {
  opts: ScanOptions;
  ctx: ScanContext;
  prevImages: Map<string, ImageRecord[]>;
  prevOthers: Map<string, OtherImage>;
  sameKey: boolean;
  images: ImageRecord[];
  others: OtherImage[];
  errors: ScanError[];
  seen: Set<string>;
  counts: { unchanged: number; changed: number; added: number; tags: number };
  progress: { done: number; total: number };
}

/**
 * Scans the targets and returns the inventory with a summary. Listing failures (a registry
 * that cannot be reached, a refused catalog) are one-line errors; a failure reading one image
 * is recorded in `inventory.errors`.
 *
 * @example
 * const { inventory } = await scanFleet({ targets: [parseTarget("127.0.0.1:5000")], sources: ["127.0.0.1:5000"] });
 */
export async function scanFleet(opts: ScanOptions): Promise<{ inventory: FleetInventory; summary: ScanSummary }> {
  const started = performance.now();
  const stats = readStats();
  const clients = new Map<string, RegistryClient>();
  // Every request goes through `run`: a pool of that many sockets (with room for the listing
  // beside it) never queues a request behind another, and never opens a socket it does not use.
  const maxSockets = 2 * (opts.concurrency ?? 16);
  const client = (registry: string) => {
    const c = clients.get(registry) ?? new RegistryClient(registry, { insecure: opts.insecure, maxSockets });
    clients.set(registry, c);
    return c;
  };
  // The bound is on requests (each repository's reads go through it), not on the work around them.
  const run = concurrencyLimit(opts.concurrency ?? 16);
  const jobs = (await listRepositories(opts.targets, client, stats)).map((job) => ({
    ...job,
    repo: limitedRepository(job.repo, run),
  }));
  const previous = opts.previous;
  const s: ScanRun = {
    opts,
    ctx: {
      ...(opts.key ? { key: opts.key.verify } : {}),
      configs: new Map(),
      labels: new Map(),
      sboms: new Map(Object.entries(previous?.sboms ?? {}).map(([id, sb]) => [id, Promise.resolve(sb)])),
    },
    prevImages: groupBy(previous?.images ?? [], (r) => `${r.repository}@${r.digest}`),
    prevOthers: new Map((previous?.others ?? []).map((o) => [`${o.repository}@${o.digest}`, o])),
    sameKey: previous?.key === opts.key?.id,
    images: [],
    others: [],
    errors: [],
    seen: new Set(),
    counts: { unchanged: 0, changed: 0, added: 0, tags: 0 },
    progress: { done: 0, total: 0 },
  };
  // Each repository is read as soon as its tags arrive, not once every repository is listed:
  // the requests in flight never wait on the slowest tag list, and at 1,000 images the
  // pipeline is full from the first answers (the listing of ~100 repositories was a phase of
  // its own). The total to read grows as lists arrive.
  let listed = 0;
  // A bounded number of repositories at a time, so what is held between a tag's manifest and
  // its record stays a few hundred images, not the fleet.
  const repos = concurrencyLimit(Math.max(4, Math.ceil((opts.concurrency ?? 16) / 2)));
  await Promise.all(
    jobs.map(async (job) => {
      const all = await job.repo.tags();
      opts.onProgress?.("listing", ++listed, jobs.length);
      const tags = imageTags(job, all);
      s.progress.total += tags.length;
      await repos(() => scanRepository(s, job, all, tags));
    }),
  );
  const removed = new Set(
    [...(previous?.images ?? []), ...(previous?.others ?? [])].map((r) => `${r.repository}@${r.digest}`),
  );
  for (const k of s.seen) removed.delete(k);
  if (opts.cluster) attachRunning(opts.cluster, s.images, s.others);
  const inventory = await assemble(opts, s.images, s.others, s.errors, s.ctx);
  const { unchanged, changed, added, tags } = s.counts;
  const seconds = (performance.now() - started) / 1000;
  return {
    inventory,
    summary: { repositories: jobs.length, tags, unchanged, changed, added, removed: removed.size, stats, seconds },
  };
}

/**
 * Reads one repository's image tags (`tags`, of its whole tag list `all`): their digests, then
 * each digest once (or keeps its previous record).
 */
async function scanRepository(s: ScanRun, job: RepoJob, all: string[], tags: string[]): Promise<void> {
  const artifactTags = new Set(all.filter((t) => ARTIFACT_TAG.test(t)));
  s.counts.tags += tags.length;
  const byDigest = new Map<Digest, { tags: string[]; manifest?: ParsedManifest }>();
  // Each tag's digest: HEAD when a previous inventory may already know it, else the manifest
  // itself, whose config is asked for at once (read once by digest, so nothing is read twice).
  const read = (names: string[]) =>
    Promise.all(
      names.map(async (tag) => {
        const h = await tagDigest(job.repo, tag, Boolean(s.opts.previous));
        if ("manifest" in h && h.manifest?.kind === "manifest") readConfig(job.repo, h.manifest, s.ctx).catch(() => {});
        return h;
      }),
    );
  const heads = await read(tags.filter((t) => !t.startsWith("sha256:")));
  // Then the digests named alone (pods run them), but only those no tag resolved to: the
  // digest a pod runs is usually the one its tag still names.
  const resolved = new Set<string>(heads.flatMap((h) => ("digest" in h ? [h.digest] : [])));
  const digests = tags.filter((t) => t.startsWith("sha256:"));
  heads.push(
    ...digests.filter((d) => resolved.has(d)).map((d) => ({ tag: d, digest: d as Digest })),
    ...(await read(digests.filter((d) => !resolved.has(d)))),
  );
  for (const h of heads) {
    if ("error" in h) {
      s.errors.push({ ref: `${job.repo.name}:${h.tag}`, error: h.error });
      s.opts.onProgress?.("reading", ++s.progress.done, s.progress.total);
      continue;
    }
    const entry = byDigest.get(h.digest) ?? { tags: [] };
    entry.tags.push(h.tag);
    if (h.manifest) entry.manifest = h.manifest;
    byDigest.set(h.digest, entry);
  }
  await Promise.all([...byDigest].map(([digest, entry]) => scanDigest(s, job.repo, digest, entry, artifactTags)));
}

async function tagDigest(
  repo: FleetRepository,
  tag: string,
  headFirst: boolean,
): Promise<{ tag: string; digest: Digest; manifest?: ParsedManifest } | { tag: string; error: string }> {
  try {
    if (headFirst) {
      const h = await repo.head(tag);
      return h ? { tag, digest: h.digest } : { tag, error: "not found" };
    }
    const m = await repo.manifest(tag);
    return { tag, digest: m.digest as Digest, manifest: m };
  } catch (err) {
    return { tag, error: oneLine(err) };
  }
}

/** One digest of a repository: its previous record when nothing changed, else read. */
async function scanDigest(
  s: ScanRun,
  repo: FleetRepository,
  digest: Digest,
  entry: { tags: string[]; manifest?: ParsedManifest },
  artifactTags: Set<string>,
): Promise<void> {
  const key = `${repo.name}@${digest}`;
  s.seen.add(key);
  // A digest named as a target is not a tag: a record named by digest alone has no tags.
  const tags = entry.tags.filter((t) => !t.startsWith("sha256:")).sort();
  try {
    const prev = s.prevImages.get(key);
    const prevOther = s.prevOthers.get(key);
    if (prevOther) {
      s.others.push({ ...prevOther, tags });
      s.counts.unchanged++;
    } else if (prev && (await proofsUnchanged(repo, prev, digest, artifactTags, s.sameKey, s.opts.key))) {
      for (const r of prev) s.images.push({ ...r, tags });
      s.counts.unchanged++;
    } else {
      const found = await readImage({ repo, digest, known: entry.manifest, tags, artifactTags }, s.ctx);
      for (const f of found) {
        if ("why" in f) s.others.push(f);
        else s.images.push(f);
      }
      if (prev) s.counts.changed++;
      else s.counts.added++;
    }
  } catch (err) {
    s.errors.push({ ref: `${repo.name}:${tags[0] ?? digest}`, error: oneLine(err) });
  }
  s.progress.done += entry.tags.length;
  s.opts.onProgress?.("reading", Math.min(s.progress.done, s.progress.total), s.progress.total);
}

/** The tags (and digests) of a job that name images: every tag but cosign's when whole, and the named ones. */
function imageTags(job: RepoJob, all: string[]): string[] {
  const listed = job.whole ? all.filter((t) => !ARTIFACT_TAG.test(t)) : [];
  return [...new Set([...listed, ...job.named])];
}

/** The repositories the targets name, each once (a catalog is listed page by page). */
async function listRepositories(
  targets: ScanTarget[],
  client: (registry: string) => RegistryClient,
  stats: ReadStats,
): Promise<RepoJob[]> {
  const jobs = new Map<string, RepoJob>();
  const add = (repo: FleetRepository, named?: string) => {
    const job = jobs.get(repo.name) ?? { repo, whole: false, named: new Set<string>() };
    jobs.set(repo.name, job);
    if (named) job.named.add(named);
    else job.whole = true;
  };
  for (const t of targets) {
    if (t.kind === "layout") {
      add(await layoutRepository(t.path, stats), t.reference);
    } else if (t.kind === "catalog") {
      let matched = 0;
      for await (const page of client(t.registry).repositories()) {
        stats.requests++;
        for (const name of page.filter((n) => n.startsWith(t.prefix))) {
          matched++;
          add(registryRepository(client(t.registry), name, stats));
        }
      }
      if (matched === 0) {
        throw new CnbError(`registry ${t.registry} lists no repository${t.prefix ? ` under ${t.prefix}` : ""}`);
      }
    } else {
      add(registryRepository(client(t.registry), t.repository, stats), t.kind === "image" ? t.reference : undefined);
    }
  }
  return [...jobs.values()].sort((a, b) => (a.repo.name < b.repo.name ? -1 : 1));
}

/**
 * True when the previous records of an unchanged digest still say the truth about its
 * signature and attestations: the same tags exist (without a key, presence is all that is
 * recorded), and with the same key the `.sig`/`.att` manifests have the same digests.
 */
async function proofsUnchanged(
  repo: FleetRepository,
  prev: ImageRecord[],
  digest: Digest,
  artifactTags: Set<string>,
  sameKey: boolean,
  key: ScanOptions["key"],
): Promise<boolean> {
  if (!sameKey) return false;
  const r = prev[0]!;
  const sigTag = artifactTag(digest, "sig");
  const attTag = artifactTag(digest, "att");
  if (artifactTags.has(sigTag) !== (r.signature !== "none")) return false;
  if (artifactTags.has(attTag) !== Boolean(r.proofs?.att)) return false;
  if (key && artifactTags.has(sigTag) && (await repo.head(sigTag))?.digest !== r.proofs?.sig) return false;
  if (artifactTags.has(attTag) && (await repo.head(attTag))?.digest !== r.proofs?.att) return false;
  return true;
}

/** One digest to read: where it is, its manifest if the listing already fetched it, and its tags. */
interface DigestToRead {
  repo: FleetRepository;
  digest: Digest;
  known: ParsedManifest | undefined;
  tags: string[];
  /** The repository's tags, to find cosign's artifacts without a request. */
  artifactTags: Set<string>;
}

/** Reads one digest: a manifest, or each platform of an index. */
async function readImage(
  { repo, digest, known, tags, artifactTags }: DigestToRead,
  ctx: ScanContext,
): Promise<(ImageRecord | OtherImage)[]> {
  const top = known ?? (await repo.manifest(digest));
  if (top.kind === "manifest") {
    return [await scanManifest({ repo, manifest: top, tags, artifactTags }, ctx)];
  }
  // Attestation manifests of BuildKit carry the platform unknown/unknown: not images to run.
  const children = top.index.manifests.filter((d) => d.platform?.os !== "unknown");
  return Promise.all(
    children.map(async (d) => {
      const m = await repo.manifest(d.digest);
      if (m.kind !== "manifest") {
        return { repository: repo.name, tags, digest: d.digest, why: "a nested image index" } as OtherImage;
      }
      const at: ManifestAtHand = { repo, manifest: m, tags, index: digest, artifactTags };
      return scanManifest(at, ctx);
    }),
  );
}

/**
 * Says on each record which of the cluster's containers run it (by its digest, or its index's:
 * the kubelet names a multi-platform image by the index), and nothing on the others: what a
 * previous scan saw running is not carried over.
 */
function attachRunning(cluster: ClusterImages, images: ImageRecord[], others: OtherImage[]): void {
  const byRef = new Map(cluster.images.map((i) => [`${i.repository}@${i.digest}`, i.containers]));
  for (const r of [...images, ...others]) {
    const running = [
      ...(byRef.get(`${r.repository}@${r.digest}`) ?? []),
      ...("index" in r && r.index ? (byRef.get(`${r.repository}@${r.index}`) ?? []) : []),
    ];
    if (running.length) r.running = running;
    else delete r.running;
  }
}

/** The inventory, sorted so the same fleet gives the same file; only the SBOMs records name. */
async function assemble(
  opts: ScanOptions,
  images: ImageRecord[],
  others: OtherImage[],
  errors: ScanError[],
  ctx: ScanContext,
): Promise<FleetInventory> {
  images.sort(byRepositoryAndDigest);
  others.sort(byRepositoryAndDigest);
  errors.sort((a, b) => (a.ref < b.ref ? -1 : 1));
  const sboms: Record<string, InventorySbom> = {};
  for (const id of [...new Set(images.flatMap((r) => r.sbom.ids))].sort()) {
    const s = await ctx.sboms.get(id);
    if (s) sboms[id] = s;
  }
  return {
    schema: INVENTORY_SCHEMA,
    scannedAt: new Date().toISOString(),
    sources: opts.sources,
    ...(opts.key ? { key: opts.key.id } : {}),
    ...(opts.cluster
      ? {
          cluster: {
            server: opts.cluster.server,
            pods: opts.cluster.pods,
            images: opts.cluster.images.length,
            unresolved: opts.cluster.unresolved,
          },
        }
      : {}),
    images,
    others,
    errors,
    sboms,
  };
}

function groupBy<T>(items: T[], key: (t: T) => string): Map<string, T[]> {
  const m = new Map<string, T[]>();
  for (const i of items) {
    const k = key(i);
    const list = m.get(k);
    if (list) list.push(i);
    else m.set(k, [i]);
  }
  return m;
}

/** An error as one line (the message's first line). */
export function oneLine(err: unknown): string {
  return (err instanceof Error ? err.message : String(err)).split("\n")[0]!;
}

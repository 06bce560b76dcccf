/**
 * `cnbkit fleet patch`: every image of an inventory whose runtime layer (Node.js, CPython, a
 * JRE) is an older release of the same line than a reference image's gets the reference's
 * layer in its place, without a rebuild (patch-plan.ts says why from a reference image).
 *
 * What keeps a fleet whole, as `fleet rebase`:
 * - the plan comes first and says, per image, patch (which layers, which versions, what is
 *   kept or dropped with them) or why not (no rule recorded, the layer is not what the
 *   buildpack recorded, another line, another shape of layer, another platform);
 * - a tag moves only if it still names the digest the scan saw; one pushed since is skipped;
 * - a patch gives the same digest for the same inputs, so a re-run finds its tags at the
 *   patched digest and counts them done, and a re-scanned fleet plans them as current;
 * - one image failing is one line in the report, not the end of the run.
 */
import {
  type Digest,
  type ImageConfig,
  type ImageSource,
  OciLayout,
  openImageSink,
  openImageSource,
  parseReference,
  RegistryClient,
  type ResolvedImage,
} from "../oci/index.js";
import type { ImageRecord } from "./inventory.js";
import { type PatchedSbom, patchedImage, patchedSbom, writePatchedBlobs } from "./patch-image.js";
import {
  blobBytes,
  type LayerChange,
  type PatchReference,
  type PatchStep,
  planImage,
  versionChange,
} from "./patch-plan.js";
import { oneLine } from "./scan.js";

/** What {@link PatchFleetOptions.seal} gets: the new image, what it was, and what changed. */
export interface PatchSealRequest {
  /** `repository:tag` being moved (the first tag of the image). */
  ref: string;
  digest: Digest;
  previous: { ref: string; digest: Digest };
  reference: { ref: string; digest: Digest };
  changes: { layer: string; dependency: string; from: string; to: string; fromDiffId: string; toDiffId: string }[];
  dropped: string[];
  /** The patched image, to read its SBOM layer. */
  source: ImageSource;
}

/** What happened to one tag. */
export type PatchOutcome =
  | { kind: "patched"; ref: string; from: Digest; to: Digest; bytes: number; seconds: number }
  | { kind: "already"; ref: string; to: Digest }
  | { kind: "skipped"; ref: string; why: string }
  | { kind: "failed"; ref: string; error: string };

/** The report of a fleet patch. */
export interface FleetPatchReport {
  reference: string;
  plan: { patch: number; current: number; unrelated: number; cannot: { ref: string; why: string }[] };
  outcomes: PatchOutcome[];
  seconds: number;
}

/** Options of {@link patchFleet}. */
export interface PatchFleetOptions {
  /** Images in flight at once (default 16). */
  concurrency?: number;
  dryRun?: boolean;
  /** Signs and attests each new digest before its tags move. */
  seal?: (req: PatchSealRequest) => Promise<void>;
  onOutcome?: (o: PatchOutcome, done: number, total: number) => void;
}

/** Runs `fn` over `items`, at most `limit` at once; each call handles its own errors. */
async function eachLimited<T>(items: T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, items.length) }, async () => {
      while (next < items.length) await fn(items[next++]!);
    }),
  );
}

/** A reference to one image by digest (registry or layout). */
function byDigest(r: ImageRecord): string {
  return `${r.repository}@${r.digest}`;
}

/**
 * The plan for `records`: each image's config is read by the digest the scan recorded (one
 * request an image, once per config digest, at `concurrency`; no manifest) and checked
 * against the reference.
 */
export async function planFleetPatch(
  records: ImageRecord[],
  reference: PatchReference,
  clients: Map<string, RegistryClient>,
  concurrency = 16,
): Promise<PatchStep[]> {
  const steps = new Array<PatchStep>(records.length);
  // Configs by digest, read once whatever number of images share one.
  const configs = new Map<string, Promise<ImageConfig>>();
  await eachLimited([...records.keys()], concurrency, async (i) => {
    const record = records[i]!;
    try {
      let config = configs.get(record.config);
      if (!config) {
        config = readConfig(record, clients);
        configs.set(record.config, config);
      }
      steps[i] = planImage(record, await config, reference);
    } catch (err) {
      steps[i] = { kind: "cannot", record, why: `cannot be read: ${oneLine(err)}` };
    }
  });
  return steps;
}

/** An image's config by the digest the scan recorded: whole, as `image()` reads configs (no stream between). */
async function readConfig(record: ImageRecord, clients: Map<string, RegistryClient>): Promise<ImageConfig> {
  const ref = parseReference(byDigest(record));
  let bytes: Buffer;
  if (ref.kind === "registry") {
    const client = clients.get(ref.registry) ?? new RegistryClient(ref.registry);
    clients.set(ref.registry, client);
    bytes = await client.getBlobBytes(ref.repository, record.config);
  } else {
    bytes = await blobBytes(await openImageSource(ref, { clients }), {
      mediaType: "config",
      digest: record.config,
      size: 0,
    });
  }
  return JSON.parse(bytes.toString("utf8")) as ImageConfig;
}

/** The first tag's reference of a record (or its digest's). */
export function recordName(r: ImageRecord): string {
  return r.tags[0] ? `${r.repository}:${r.tags[0]}` : byDigest(r);
}

/** The changes as the seal and the report name them. */
function describeChanges(changes: LayerChange[]): PatchSealRequest["changes"] {
  return changes.map((c) => ({
    layer: c.key,
    dependency: c.from.record.dependency,
    from: c.from.record.version,
    to: c.to.record.version,
    fromDiffId: c.from.entry.sha,
    toDiffId: c.to.entry.sha,
  }));
}

/**
 * Patches every `patch` step of the plan (nothing with `dryRun`) and reports each tag.
 *
 * @example
 * const reference = await readPatchReference("127.0.0.1:5000/ref/node:24.21.0", clients);
 * const plan = await planFleetPatch(inventory.images, reference, clients);
 * const report = await patchFleet(plan, reference, clients, { concurrency: 16 });
 */
export async function patchFleet(
  plan: PatchStep[],
  reference: PatchReference,
  clients: Map<string, RegistryClient>,
  opts: PatchFleetOptions = {},
): Promise<FleetPatchReport> {
  const started = performance.now();
  const todo = plan.filter((s): s is Extract<PatchStep, { kind: "patch" }> => s.kind === "patch");
  const report: FleetPatchReport = {
    reference: reference.ref,
    plan: {
      patch: todo.length,
      current: plan.filter((s) => s.kind === "current").length,
      unrelated: plan.filter((s) => s.kind === "unrelated").length,
      cannot: plan.flatMap((s) => (s.kind === "cannot" ? [{ ref: recordName(s.record), why: s.why }] : [])),
    },
    outcomes: [],
    seconds: 0,
  };
  if (opts.dryRun) return report;
  const shared: Shared = { clients, sboms: new Map(), known: new Map() };
  const total = todo.reduce((n, s) => n + Math.max(1, s.record.tags.length), 0);
  const add = (o: PatchOutcome) => {
    report.outcomes.push(o);
    opts.onOutcome?.(o, report.outcomes.length, total);
  };
  await eachLimited(todo, opts.concurrency ?? 16, async (step) => {
    try {
      for (const o of await patchOne(step, reference, shared, opts.seal)) add(o);
    } catch (err) {
      add({ kind: "failed", ref: recordName(step.record), error: oneLine(err) });
    }
  });
  report.outcomes.sort((a, b) => (a.ref < b.ref ? -1 : a.ref > b.ref ? 1 : 0));
  report.seconds = (performance.now() - started) / 1000;
  return report;
}

/** What concurrent patches share: registry clients, SBOM layers made, blobs placed. */
interface Shared {
  clients: Map<string, RegistryClient>;
  sboms: Map<string, Promise<PatchedSbom>>;
  known: Map<string, Promise<number>>;
}

/** Patches one image and moves its tags; one outcome per tag. */
async function patchOne(
  step: Extract<PatchStep, { kind: "patch" }>,
  reference: PatchReference,
  shared: Shared,
  seal: PatchFleetOptions["seal"],
): Promise<PatchOutcome[]> {
  const t0 = performance.now();
  const { record, changes } = step;
  const where = byDigest(record);
  const src = await openImageSource(where, { clients: shared.clients });
  const manifest = await src.manifestByDigest(record.digest);
  if (manifest.kind !== "manifest" || manifest.manifest.config.digest !== record.config)
    throw new Error(`${where} is not the image the scan read (its config changed)`);
  const image: ResolvedImage = { manifest, config: step.config };
  const sbom = await patchedSbom(image, src, changes, reference, shared.sboms, where);
  const patched = patchedImage(image, changes, sbom, where, reference.image.config);
  const name = recordName(record);
  const refs = record.tags.length ? record.tags.map((t) => `${record.repository}:${t}`) : [];
  const sink = await openImageSink(refs[0] ?? where, { clients: shared.clients });
  // Blobs and a manifest by digest are idempotent: a re-run from a stale inventory writes them
  // again (small) and finds its tags moved already.
  const bytes = (await writePatchedBlobs(sink, patched, reference, shared.known)) + patched.manifest.bytes.length;
  // Signed by digest before any tag names it; unsigned, the tag's PUT writes it.
  if (seal || refs.length === 0) await sink.putManifest(patched.manifest.bytes, patched.manifest.mediaType);
  if (seal) {
    await seal({
      ref: name,
      digest: patched.manifest.digest,
      previous: { ref: name, digest: record.digest },
      reference: { ref: reference.ref, digest: reference.image.manifest.digest },
      changes: describeChanges(changes),
      dropped: patched.dropped,
      source: await openImageSource(`${record.repository}@${patched.manifest.digest}`, { clients: shared.clients }),
    });
  }
  const out: PatchOutcome[] = [];
  for (const ref of refs) {
    // Read right before it moves (after signing, which takes a moment): the registry API has
    // no compare-and-swap.
    const current = await tagDigest(ref, shared.clients);
    if (current === patched.manifest.digest) out.push({ kind: "already", ref, to: current });
    else if (current !== record.digest) out.push({ kind: "skipped", ref, why: movedWhy(ref, current, record.digest) });
    else {
      await sink.putManifest(patched.manifest.bytes, patched.manifest.mediaType, ref.slice(ref.lastIndexOf(":") + 1));
      const seconds = (performance.now() - t0) / 1000;
      out.push({ kind: "patched", ref, from: record.digest, to: patched.manifest.digest, bytes, seconds });
    }
  }
  return out;
}

/** Why a tag was left: it names another digest now, or none. */
function movedWhy(ref: string, current: Digest | undefined, scanned: Digest): string {
  return current
    ? `${ref} names ${current.slice(0, 19)} now, not the scanned ${scanned.slice(0, 19)}: pushed since the scan`
    : `${ref} is gone since the scan`;
}

/** The digest a tag names now (undefined when it names nothing). */
async function tagDigest(ref: string, clients: Map<string, RegistryClient>): Promise<Digest | undefined> {
  const parsed = parseReference(ref);
  if (parsed.kind === "registry") {
    const client = clients.get(parsed.registry) ?? new RegistryClient(parsed.registry);
    clients.set(parsed.registry, client);
    return (await client.headManifest(parsed.repository, parsed.tag ?? "latest"))?.digest;
  }
  const layout = await OciLayout.open(parsed.path);
  return (await layout.descriptor(parsed.tag ?? "latest").catch(() => undefined))?.digest;
}

/** One line per change, for the plan: `cnbkit/nodejs:node: node 24.20.0 → 24.21.0`. */
export function describeStep(step: Extract<PatchStep, { kind: "patch" }>): string[] {
  return step.changes.map((c) => `${c.key}: ${versionChange(c.from.record, c.to.record)}`);
}

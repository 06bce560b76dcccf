/**
 * `cnbkit fleet rebase`: every image of an inventory (or of a query's hits) whose run image is
 * behind goes onto the new one, as `cnbkit rebase` does it (config and manifest rewritten,
 * no layer rebuilt), many at once.
 *
 * What keeps a fleet whole:
 * - the plan comes first and says, per image, rebase or why not (extensions, another
 *   os/arch, no top layer recorded, already current);
 * - a tag moves only if it still names the digest the scan saw; one pushed since is skipped
 *   and reported, never overwritten;
 * - a rebase gives the same digest for the same inputs, so a re-run after an interruption
 *   finds the tags it already moved naming that digest and counts them done: only what is
 *   left is written;
 * - one image failing is one line in the report, not the end of the run.
 */
import { CnbError } from "@cnbkit/framework";
import { type Digest, OciLayout, parseReference, RegistryClient } from "../oci/index.js";
import { AbiRefusal, rebaseImage } from "../platform/index.js";
import type { FleetInventory, ImageRecord } from "./inventory.js";
import { abiVerdict, repositoryOf } from "./query.js";
import type { RunImageAbi } from "./run-image-abi.js";
import type { RunImageNow, RunImageState } from "./run-image-now.js";
import { oneLine } from "./scan.js";

/** What the plan decided for one image. */
export type PlanStep =
  | { kind: "rebase"; record: ImageRecord; to: RunImageState }
  | { kind: "current"; record: ImageRecord }
  | { kind: "cannot"; record: ImageRecord; why: string };

/** What happened to one image. */
export type RebaseOutcome =
  | {
      kind: "rebased";
      ref: string;
      from: Digest;
      to: Digest;
      seconds: number;
      /** The ABI check's part of `seconds`. */
      abiSeconds?: number;
      /** Set when --force let the rebase past what the new run image lacks: the first gap, in words. */
      forcedPast?: string;
    }
  /** The new run image does not provide what the image's layers need (the ABI check): nothing written. */
  | { kind: "refused"; ref: string; why: string }
  | { kind: "already"; ref: string; to: Digest }
  | { kind: "skipped"; ref: string; why: string }
  | { kind: "failed"; ref: string; error: string };

/** The whole report of a fleet rebase. */
export interface FleetRebaseReport {
  runImage: string;
  plan: { rebase: number; current: number; cannot: { ref: string; why: string }[] };
  outcomes: RebaseOutcome[];
  seconds: number;
}

/** Options of {@link rebaseFleet}. */
export interface FleetRebaseOptions {
  /** The new run image (its repository decides which images are on it). */
  runImage: string;
  /** Images (or rebases) in flight at once (default 8). */
  concurrency?: number;
  dryRun?: boolean;
  /** Rebase even where the new run image lacks what an image needs (each such outcome says so). */
  force?: boolean;
  /** Signs and attests each new digest before its tag moves (as `cnbkit rebase --sign-key`). */
  seal?: Parameters<typeof rebaseImage>[0]["seal"];
  onOutcome?: (o: RebaseOutcome, done: number, total: number) => void;
}

/** `repository:tag` of each tag of a record (a record named by digest alone has none to move). */
function tagRefs(r: ImageRecord): string[] {
  return r.tags.map((t) => `${r.repository}:${t}`);
}

/**
 * The plan: each image on `runImage`'s repository is rebased when its top layer is not the
 * run image's current one for its platform, or left with the reason it cannot be.
 */
export async function planFleetRebase(
  inventory: FleetInventory,
  runImage: string,
  now: RunImageNow,
  records: ImageRecord[] = inventory.images,
  abi?: RunImageAbi,
): Promise<PlanStep[]> {
  const want = repositoryOf(runImage);
  const steps: PlanStep[] = [];
  for (const record of records) {
    const on = record.runImage.image ?? record.runImage.reference;
    if (!on || repositoryOf(on) !== want) continue;
    if (!record.rebasable.ok) {
      steps.push({ kind: "cannot", record, why: record.rebasable.why });
      continue;
    }
    if (record.tags.length === 0) {
      steps.push({ kind: "cannot", record, why: "no tag names it (nothing to move)" });
      continue;
    }
    let to: RunImageState;
    try {
      to = await now.topLayer(runImage, record.platform);
    } catch (err) {
      steps.push({
        kind: "cannot",
        record,
        why: `run image ${runImage} has no ${record.platform} image: ${oneLine(err)}`,
      });
      continue;
    }
    if (record.runImage.topLayer === to.topLayer) {
      steps.push({ kind: "current", record });
      continue;
    }
    const refused = abi ? await abiRefused(record, runImage, abi) : undefined;
    steps.push(refused ? { kind: "cannot", record, why: refused } : { kind: "rebase", record, to });
  }
  return steps;
}

/**
 * Why the run image cannot take `record`, from the needs its label recorded (the scan kept
 * them), or undefined: met, or not recorded (the rebase reads its layers then).
 */
async function abiRefused(record: ImageRecord, runImage: string, abi: RunImageAbi): Promise<string | undefined> {
  if (!record.abi) return undefined;
  const on = record.runImage.reference ?? record.runImage.image;
  const now = on ? await abi.provides(on, record.platform).catch(() => undefined) : undefined;
  const verdict = abiVerdict(record, runImage, await abi.provides(runImage, record.platform), now);
  return verdict.verdict === "cannot" ? `ABI: ${verdict.why.replace(/^could not move onto \S+: /, "")}` : undefined;
}

/** Runs `fn` over `items`, at most `limit` at once, never rejecting (each result is a value). */
async function eachLimited<T>(items: T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, items.length) }, async () => {
      while (next < items.length) await fn(items[next++]!);
    }),
  );
}

/**
 * Rebases every `rebase` step of the plan (nothing with `dryRun`) and reports each image.
 *
 * @example
 * const now = runImageNow();
 * const plan = await planFleetRebase(inv, "127.0.0.1:5000/base/run:latest", now);
 * const report = await rebaseFleet(plan, { runImage: "127.0.0.1:5000/base/run:latest" });
 */
export async function rebaseFleet(plan: PlanStep[], opts: FleetRebaseOptions): Promise<FleetRebaseReport> {
  const started = performance.now();
  const todo = plan.filter((s): s is Extract<PlanStep, { kind: "rebase" }> => s.kind === "rebase");
  const report: FleetRebaseReport = {
    runImage: opts.runImage,
    plan: {
      rebase: todo.length,
      current: plan.filter((s) => s.kind === "current").length,
      cannot: plan.flatMap((s) =>
        s.kind === "cannot" ? [{ ref: tagRefs(s.record)[0] ?? s.record.digest, why: s.why }] : [],
      ),
    },
    outcomes: [],
    seconds: 0,
  };
  if (opts.dryRun) return report;
  const clients = new Map<string, RegistryClient>();
  const runImages = new Map();
  const knownBlobs = new Map<string, Promise<void>>();
  const runProvides = new Map();
  const total = todo.reduce((n, s) => n + s.record.tags.length, 0);
  const add = (o: RebaseOutcome) => {
    report.outcomes.push(o);
    opts.onOutcome?.(o, report.outcomes.length, total);
  };
  await eachLimited(todo, opts.concurrency ?? 8, async ({ record }) => {
    const refs = tagRefs(record);
    const image = `${record.repository}@${record.digest}`;
    for (const ref of refs) {
      const t0 = performance.now();
      try {
        const guard = tagGuard(ref, record.digest, clients);
        let already = false;
        const result = await rebaseImage({
          image,
          runImage: opts.runImage,
          output: ref,
          clients,
          runImages,
          knownBlobs,
          runProvides,
          force: opts.force === true,
          ...(opts.seal ? { seal: opts.seal } : {}),
          tagGuard: async (to) => {
            const how = await guard(to);
            already = how === "already";
            return how;
          },
        });
        add(
          already
            ? { kind: "already", ref, to: result.digest }
            : {
                kind: "rebased",
                ref,
                from: record.digest,
                to: result.digest,
                seconds: (performance.now() - t0) / 1000,
                abiSeconds: result.abiSeconds,
                ...(result.abi.kind === "forced" && result.abi.gaps[0]
                  ? { forcedPast: `${result.abi.gaps[0].what} for ${result.abi.gaps[0].file}` }
                  : {}),
              },
        );
      } catch (err) {
        add(
          err instanceof TagMoved
            ? { kind: "skipped", ref, why: err.message }
            : err instanceof AbiRefusal
              ? { kind: "refused", ref, why: err.message }
              : { kind: "failed", ref, error: oneLine(err) },
        );
      }
    }
  });
  report.outcomes.sort((a, b) => (a.ref < b.ref ? -1 : a.ref > b.ref ? 1 : 0));
  report.seconds = (performance.now() - started) / 1000;
  return report;
}

/** The tag was pushed since the scan: not ours to overwrite. */
class TagMoved extends CnbError {}

/**
 * Right before a tag moves: "move" when it still names the scanned digest, "already" when it
 * names the rebased one (a re-run), else {@link TagMoved}.
 */
function tagGuard(
  ref: string,
  scanned: Digest,
  clients: Map<string, RegistryClient>,
): (to: Digest) => Promise<"move" | "already"> {
  return async (to) => {
    const parsed = parseReference(ref);
    let current: Digest | undefined;
    if (parsed.kind === "registry") {
      const client = clients.get(parsed.registry) ?? new RegistryClient(parsed.registry);
      clients.set(parsed.registry, client);
      current = (await client.headManifest(parsed.repository, parsed.tag ?? "latest"))?.digest;
    } else {
      const layout = await OciLayout.open(parsed.path);
      current = (await layout.descriptor(parsed.tag ?? "latest").catch(() => undefined))?.digest;
    }
    if (current === to) return "already";
    if (current === scanned) return "move";
    throw new TagMoved(
      current
        ? `${ref} names ${current.slice(0, 19)} now, not the scanned ${scanned.slice(0, 19)}: pushed since the scan`
        : `${ref} is gone since the scan`,
    );
  };
}

/**
 * What the `cnbkit fleet` commands share when they run: where the inventory comes from (a
 * file, or a scan of targets named on the command line), the query flags read, and a scan's
 * progress and summary lines. Their flags are declared in fleet-options.ts.
 */
import { createHash } from "node:crypto";
import { readFile } from "node:fs/promises";
import { CnbError } from "@cnbkit/framework";
import {
  type FleetInventory,
  type FleetRebaseReport,
  fmtCount,
  parseBuildpackFilter,
  parsePackageFilter,
  parseTarget,
  type QuerySpec,
  readInventory,
  refreshInventory,
  type ScanSummary,
  type ClusterImages,
  type ScanTarget,
  scanFleet,
  targetsFromFile,
  writeInventory,
} from "../../fleet/index.js";
import { loadVerifyKey } from "../../supply-chain/index.js";
import { type Invocation, listOption, stringOption } from "../command.js";
import { formatBytes } from "../progress.js";

/** A positive whole number option, or one line naming it. */
export function countOption(inv: Invocation, name: string, fallback: number): number {
  const v = stringOption(inv, name);
  if (v === undefined) return fallback;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1 || n > 1024)
    throw new CnbError(`--${name} ${v}: expected a whole number from 1 to 1024`);
  return n;
}

/** The parsed targets of an invocation: positionals, `--images-from`, and with `--kubernetes`, what the cluster runs. */
export async function scanTargets(
  inv: Invocation,
): Promise<{ targets: ScanTarget[]; sources: string[]; cluster?: ClusterImages }> {
  const sources = [...inv.positionals];
  const targets = inv.positionals.map(parseTarget);
  const file = stringOption(inv, "images-from");
  if (file) {
    targets.push(...(await targetsFromFile(file)));
    sources.push(`@${file}`);
  }
  const context = stringOption(inv, "kube-context");
  const namespace = stringOption(inv, "kube-namespace");
  if (!inv.values.kubernetes) {
    if (context || namespace) throw new CnbError(`--${context ? "kube-context" : "kube-namespace"} needs --kubernetes`);
    return { targets, sources };
  }
  const { readCluster } = await import("./fleet-cluster.js");
  const { cluster, source } = await readCluster(inv, context, namespace);
  for (const i of cluster.images) targets.push(parseTarget(`${i.repository}@${i.digest}`));
  sources.push(source);
  return { targets, sources, cluster };
}

/** The verify key of `--key` and its id (the sha256 of the file), or undefined. */
export async function scanKey(
  inv: Invocation,
): Promise<{ verify: Awaited<ReturnType<typeof loadVerifyKey>>; id: string } | undefined> {
  const path = stringOption(inv, "key");
  if (!path) return undefined;
  const verify = await loadVerifyKey(path, { flag: "--key" });
  const id = `sha256:${createHash("sha256")
    .update(await readFile(path))
    .digest("hex")}`;
  return { verify, id };
}

/**
 * Scans with progress on stderr (redrawn on a terminal, a line every few seconds otherwise)
 * and returns the inventory and summary.
 */
export async function scanWithProgress(
  inv: Invocation,
  previous: FleetInventory | undefined,
): Promise<{ inventory: FleetInventory; summary: ScanSummary }> {
  const { targets, sources, cluster } = await scanTargets(inv);
  if (targets.length === 0 && cluster) {
    throw new CnbError(`the cluster at ${cluster.server} runs no image pulled from a registry: nothing to scan`);
  }
  if (targets.length === 0) {
    throw new CnbError("nothing to scan: name a registry, a repository prefix, a repository, an image or oci:<dir>", {
      hint: "as in `cnbkit fleet scan 127.0.0.1:5000`, or --images-from images.txt",
    });
  }
  const tty = process.stderr.isTTY === true;
  let lastLine = Number.NEGATIVE_INFINITY;
  const key = await scanKey(inv);
  return scanFleet({
    targets,
    sources,
    ...(previous ? { previous } : {}),
    ...(key ? { key } : {}),
    ...(cluster ? { cluster } : {}),
    concurrency: countOption(inv, "concurrency", 16),
    insecure: inv.values["insecure-registry"] === true,
    // Called once per tag: the line is made and written at most every 100 ms on a terminal
    // (10,000 writes to stderr were a scan's own cost), every 5 s to a log, and at the end.
    onProgress: (phase, done, total) => {
      const now = performance.now();
      if (done !== total && now - lastLine < (tty ? 100 : 5000)) return;
      lastLine = now;
      const text = `${phase === "listing" ? "Listing tags of" : "Reading"} ${done}/${total} ${phase === "listing" ? "repositories" : "tags"}`;
      if (tty) process.stderr.write(`\r\u001b[2K${text}${done === total ? "\n" : ""}`);
      else inv.err(text);
    },
  });
}

/** The summary lines of a scan. */
export function summaryLines(inventory: FleetInventory, s: ScanSummary): string[] {
  const n = fmtCount;
  const read = inventory.images.length + inventory.others.length;
  const perImage = read ? (s.stats.bytes.manifests + s.stats.bytes.configs + s.stats.bytes.proofs) / read : 0;
  const lines = [
    `Scanned ${n(s.tags)} tags in ${n(s.repositories)} repositories in ${s.seconds.toFixed(1)}s (${n(Math.round(read / Math.max(s.seconds, 0.001)))} images/s)`,
    `  ${n(inventory.images.length)} CNB app images, ${n(inventory.others.length)} other images, ${n(inventory.errors.length)} unreadable`,
    `  ${n(s.unchanged)} unchanged since the last scan, ${n(s.changed)} changed, ${n(s.added)} new, ${n(s.removed)} gone`,
    `  read ${formatBytes(Object.values(s.stats.bytes).reduce((a, b) => a + b, 0))} in ${n(s.stats.requests)} requests: ${formatBytes(perImage)} per image beyond SBOMs, ${formatBytes(s.stats.bytes.sboms)} of SBOMs`,
  ];
  for (const o of inventory.others.slice(0, 5))
    lines.push(`  other: ${o.repository}:${o.tags[0] ?? o.digest}: ${o.why}`);
  if (inventory.others.length > 5)
    lines.push(`  other: ... and ${n(inventory.others.length - 5)} more (in the inventory)`);
  for (const e of inventory.errors.slice(0, 10)) lines.push(`  unreadable: ${e.ref}: ${e.error}`);
  if (inventory.errors.length > 10)
    lines.push(`  unreadable: ... and ${n(inventory.errors.length - 10)} more (in the inventory)`);
  return lines;
}

/** The inventory an invocation names: `--inventory FILE`, else a scan of its targets. */
export async function inventoryFor(inv: Invocation): Promise<FleetInventory> {
  const file = stringOption(inv, "inventory");
  if (file) {
    if (inv.positionals.length || stringOption(inv, "images-from") || inv.values.kubernetes) {
      throw new CnbError("give either --inventory or targets to scan, not both");
    }
    return readInventory(file);
  }
  const { inventory, summary } = await scanWithProgress(inv, undefined);
  for (const line of summaryLines(inventory, summary)) inv.err(line);
  return inventory;
}

/**
 * With --inventory, the repositories a fleet command moved (`rebased` or `already` outcomes of
 * `fleet rebase`, or of `fleet patch` put in that shape) re-scanned into the file. An inventory
 * scanned with a key is left as it was unless the same --key is given, with a note.
 */
export async function refreshInventoryFile(
  inv: Invocation,
  inventory: FleetInventory,
  report: FleetRebaseReport,
): Promise<void> {
  const file = stringOption(inv, "inventory");
  if (!file || !report.outcomes.some((o) => o.kind === "rebased" || o.kind === "already")) return;
  const key = await scanKey(inv);
  if (inventory.key && inventory.key !== key?.id) {
    inv.err(`note: ${file} was scanned with a key; pass the same --key to bring it up to date (left as it was)`);
    return;
  }
  await writeInventory(file, await refreshInventory(inventory, report, key));
  inv.out(`Updated ${file}`);
}

/** The query an invocation asks, parsed and checked (one line for a bad range or date). */
export function querySpec(inv: Invocation): QuerySpec {
  const before = stringOption(inv, "built-before");
  let builtBefore: Date | undefined;
  if (before !== undefined) {
    builtBefore = new Date(before);
    if (!/^\d{4}-\d{2}-\d{2}/.test(before) || Number.isNaN(builtBefore.getTime())) {
      throw new CnbError(`--built-before ${before}: expected a date as YYYY-MM-DD (or an ISO 8601 time)`);
    }
  }
  const runImage = stringOption(inv, "run-image");
  return {
    packages: listOption(inv, "package").map(parsePackageFilter),
    buildpacks: listOption(inv, "buildpack").map(parseBuildpackFilter),
    ...(runImage ? { runImage } : {}),
    behind: inv.values.behind === true,
    unsigned: inv.values.unsigned === true,
    noProvenance: inv.values["no-provenance"] === true,
    notRebasable: inv.values["not-rebasable"] === true,
    running: inv.values.running === true,
    ...(builtBefore ? { builtBefore } : {}),
  };
}

/** True when the spec filters anything (else every image is a hit). */
export function filters(spec: QuerySpec): boolean {
  return Boolean(
    spec.packages?.length ||
      spec.buildpacks?.length ||
      spec.runImage ||
      spec.behind ||
      spec.unsigned ||
      spec.noProvenance ||
      spec.notRebasable ||
      spec.running ||
      spec.builtBefore,
  );
}

/**
 * An inventory brought up to date after a fleet rebase: the repositories whose tags moved are
 * scanned again with the inventory as the previous one, so only the rebased images are read
 * (their app SBOM layers are already known; the new run image's SBOM is read once).
 */
import type { VerifyKey } from "../supply-chain/index.js";
import type { FleetInventory } from "./inventory.js";
import type { FleetRebaseReport } from "./rebase-fleet.js";
import { scanFleet } from "./scan.js";
import { parseTarget } from "./targets.js";
import { repositoryOf } from "./query.js";

/**
 * The inventory with the records of every repository the report moved a tag in read again.
 * `key` must be the one the inventory was scanned with (its states depend on it).
 */
export async function refreshInventory(
  inventory: FleetInventory,
  report: FleetRebaseReport,
  key?: { verify: VerifyKey; id: string },
): Promise<FleetInventory> {
  const repos = [
    ...new Set(
      report.outcomes.filter((o) => o.kind === "rebased" || o.kind === "already").map((o) => repositoryOf(o.ref)),
    ),
  ].sort();
  if (repos.length === 0) return inventory;
  const { inventory: fresh } = await scanFleet({
    targets: repos.map(parseTarget),
    sources: inventory.sources,
    previous: inventory,
    ...(key ? { key } : {}),
  });
  const touched = new Set(repos);
  const keep = <T extends { repository: string }>(list: T[]) => list.filter((r) => !touched.has(r.repository));
  const images = [...keep(inventory.images), ...fresh.images].sort(byRepoDigest);
  const sboms = { ...inventory.sboms, ...fresh.sboms };
  const used = new Set(images.flatMap((r) => r.sbom.ids));
  return {
    ...inventory,
    scannedAt: fresh.scannedAt,
    images,
    others: [...keep(inventory.others), ...fresh.others].sort(byRepoDigest),
    errors: [...inventory.errors.filter((e) => !touched.has(repositoryOf(e.ref))), ...fresh.errors],
    sboms: Object.fromEntries(
      Object.entries(sboms)
        .filter(([id]) => used.has(id))
        .sort(([a], [b]) => (a < b ? -1 : 1)),
    ),
  };
}

function byRepoDigest(a: { repository: string; digest: string }, b: { repository: string; digest: string }): number {
  return a.repository < b.repository
    ? -1
    : a.repository > b.repository
      ? 1
      : a.digest < b.digest
        ? -1
        : a.digest > b.digest
          ? 1
          : 0;
}

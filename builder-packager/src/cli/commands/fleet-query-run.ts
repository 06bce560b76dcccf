/** What `cnbkit fleet query` does, loaded only when it runs (fleet-query.ts declares its usage and options). */
import { writeFile } from "node:fs/promises";
import { CnbError } from "@cnbkit/framework";
import {
  type FleetInventory,
  fmtCount,
  htmlReport,
  type QueryHit,
  queryFleet,
  recordRef,
  runImageAbi,
  runImageNow,
  runningText,
} from "../../fleet/index.js";
import { stringOption, type Invocation } from "../command.js";
import { alignColumns } from "../columns.js";
import { filters, inventoryFor, querySpec } from "./fleet-input.js";
import { QUERY_OPTIONS } from "./fleet-options.js";

/** Runs `cnbkit fleet query`. */
export async function run(inv: Invocation): Promise<number | undefined> {
  if (inv.values.json && inv.values.csv) throw new CnbError("give --json or --csv, not both");
  const spec = { ...querySpec(inv), abi: inv.values.abi === true };
  const inventory = await inventoryFor(inv);
  const now = runImageNow();
  const hits = await queryFleet(inventory, spec, now, runImageAbi());
  const html = stringOption(inv, "html");
  if (html) {
    const description = queryText(inv.values);
    const page = htmlReport(inventory, filters(spec) ? { query: { description, hits } } : {});
    await writeFile(html, page);
    inv.err(`Wrote ${html}`);
  }
  if (inv.values.json) inv.out(JSON.stringify({ matched: hits.length, of: inventory.images.length, hits }, null, 2));
  else if (inv.values.csv) for (const line of csvLines(hits)) inv.out(line);
  else printTable(inv, hits, inventory, filters(spec));
  return 0;
}

function printTable(inv: Invocation, hits: QueryHit[], inventory: FleetInventory, filtered: boolean): void {
  // Scanned with --kubernetes: which pods run each hit is what the question is about.
  const pods = inventory.cluster !== undefined;
  const rows = hits.map((h) => [
    recordRef(h.record),
    h.record.platform,
    ...(pods ? [h.record.running?.length ? runningText(h.record.running) : "-"] : []),
    h.why.join("; ") || "-",
  ]);
  const header = ["IMAGE", "PLATFORM", ...(pods ? ["RUN BY"] : []), filtered ? "WHY" : ""];
  if (rows.length) for (const line of alignColumns([header, ...rows], 2)) inv.out(line);
  inv.out(`${fmtCount(hits.length)} of ${fmtCount(inventory.images.length)} images match`);
}

/** RFC 4180 CSV: one row per hit, every field quoted when it needs to be. */
export function csvLines(hits: QueryHit[]): string[] {
  const q = (v: string) => (/[",\n]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v);
  const header = [
    "image",
    "digest",
    "platform",
    "run_image",
    "signature",
    "provenance",
    "rebasable",
    "built",
    "why",
    // Last, so scripts that read the columns before it by position keep working.
    "running",
  ];
  return [
    header.join(","),
    ...hits.map((h) =>
      [
        recordRef(h.record),
        h.record.digest,
        h.record.platform,
        h.record.runImage.reference ?? h.record.runImage.image ?? "",
        h.record.signature,
        h.record.provenance,
        h.record.rebasable.ok ? "yes" : `no: ${h.record.rebasable.why}`,
        h.record.built?.at ?? "",
        h.why.join("; "),
        (h.record.running ?? []).map((c) => `${c.namespace}/${c.pod}/${c.container}`).join(" "),
      ]
        .map(q)
        .join(","),
    ),
  ];
}

/** The query's flags as typed, for the page's headline (`--package openssl@<3 --unsigned`). */
function queryText(values: Invocation["values"]): string {
  const parts: string[] = [];
  for (const name of Object.keys(QUERY_OPTIONS)) {
    const v = values[name];
    if (v === true) parts.push(`--${name}`);
    else for (const one of Array.isArray(v) ? v : typeof v === "string" ? [v] : []) parts.push(`--${name} ${one}`);
  }
  return parts.join(" ");
}

/** `cnbkit fleet query`: which images of a fleet match, and why, as a table, JSON or CSV. */
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
import { type Command, type Invocation, stringOption } from "../command.js";
import { alignColumns } from "../columns.js";
import { filters, inventoryFor, QUERY_OPTIONS, querySpec, TARGET_OPTIONS } from "./fleet-input.js";

/** `cnbkit fleet query [--inventory fleet.json | <target>...] [filters] [--json|--csv]`. */
export const fleetQueryCommand: Command = {
  name: "fleet query",
  summary: "Find the images of a fleet by package, buildpack, run image, signature, provenance or age",
  usage:
    "cnbkit fleet query [--inventory <fleet.json> | <target>...] [--package <p>]... [--buildpack <b>]... [--run-image <ref> --behind | --run-image <ref> --abi] [--unsigned] [--no-provenance] [--not-rebasable] [--built-before <date>] [--running] [--kubernetes] [--json | --csv]",
  description: [
    "Flags of one kind are alternatives (two --package: either); flags of different kinds must all hold.",
    "Package ranges are read in their ecosystem's syntax: npm semver, PEP 440, Maven ranges, Debian",
    "relations. A name without eco: matches in every ecosystem.",
    "--abi with --run-image weighs every image against what that run image provides (sonames, GLIBC_",
    "versions): each says it could move onto it, could not (what is missing, the file that needs it), or",
    "has no needs recorded (built before cnbkit recorded them).",
  ].join("\n"),
  positionals: { min: 0, max: 1000, names: "<target>..." },
  options: {
    inventory: {
      type: "string",
      short: "i",
      value: "<file>",
      help: "the inventory to query (else the targets are scanned first)",
    },
    ...QUERY_OPTIONS,
    abi: {
      type: "boolean",
      help: "with --run-image: which images could move onto that run image (ABI: sonames, GLIBC_ versions) and which could not, and why",
    },
    json: { type: "boolean", help: "print the hits as JSON (records and reasons)" },
    csv: { type: "boolean", help: "print the hits as CSV" },
    html: {
      type: "string",
      value: "<file>",
      help: "also write one self-contained page: the fleet at a glance as charts, and the hits",
    },
    ...TARGET_OPTIONS,
  },
  examples: [
    "cnbkit fleet query -i fleet.json --package deb:libssl3t64@'<< 3.5.4-1'",
    "cnbkit fleet query -i fleet.json --package lodash@'<4.17.21' --package requests@'<2.32' --csv",
    "cnbkit fleet query -i fleet.json --run-image registry.example.com/base/run:latest --behind --json",
    "cnbkit fleet query -i fleet.json --run-image registry.example.com/base/run:13 --abi",
    "cnbkit fleet query 127.0.0.1:5000/team-a/ --unsigned --no-provenance --not-rebasable --built-before 2026-06-01",
    "cnbkit fleet query 10.0.0.5:5000/apps/ --images-from images.txt --key cosign.pub --concurrency 32 --insecure-registry --unsigned",
    "cnbkit fleet query -i fleet.json --buildpack cnbkit/nodejs@'<1.4.0' --html fleet.html",
    "cnbkit fleet query 127.0.0.1:5000/apps/ --kubernetes --kube-context prod --kube-namespace shop --running --run-image 127.0.0.1:5000/base/run:latest --behind",
  ],
  async run(inv) {
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
  },
};

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

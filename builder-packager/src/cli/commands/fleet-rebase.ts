/** `cnbkit fleet rebase`: every image whose run image is behind, onto the new one, many at once. */
import { writeFile } from "node:fs/promises";
import { CnbError } from "@cnbkit/framework";
import {
  planFleetRebase,
  queryFleet,
  type RebaseOutcome,
  rebaseFleet,
  recordRef,
  runImageAbi,
  runImageNow,
} from "../../fleet/index.js";
import { parseReference } from "../../oci/index.js";
import { loadSigningKey, markSignedImage, sealRebase } from "../../supply-chain/index.js";
import { type Command, stringOption } from "../command.js";
import {
  countOption,
  filters,
  inventoryFor,
  QUERY_OPTIONS,
  querySpec,
  refreshInventoryFile,
  TARGET_OPTIONS,
} from "./fleet-input.js";

const { "run-image": _runImageFilter, behind: _behind, ...QUERY_FILTERS } = QUERY_OPTIONS;

/** `cnbkit fleet rebase --run-image <ref> [--inventory fleet.json | <target>...] [--dry-run] [--sign-key k]`. */
export const fleetRebaseCommand: Command = {
  name: "fleet rebase",
  summary: "Rebase every image of a fleet whose run image is behind onto the new run image",
  usage:
    "cnbkit fleet rebase --run-image <ref> [--inventory <fleet.json> | <target>...] [query flags] [--dry-run] [--sign-key <file>] [--concurrency <n>] [--report <file>]",
  description: [
    "Images on the run image's repository whose top layer is not its current one are rebased (config and",
    "manifest only). A tag moves only if it still names the digest the scan saw; one pushed since is",
    "skipped. A re-run after an interruption does only what is left. Query flags narrow the images.",
    "Each image's needs (sonames, GLIBC_ versions) are checked against the new run image first: an image it",
    "does not meet is refused, one line each, and nothing of it is written (--force rebases it anyway).",
    "With --inventory, the inventory is brought up to date afterwards. Exits 1 when a rebase failed or was refused.",
  ].join("\n"),
  positionals: { min: 0, max: 1000, names: "<target>..." },
  options: {
    "run-image": { type: "string", value: "<ref>", help: "the new run image (required)" },
    inventory: {
      type: "string",
      short: "i",
      value: "<file>",
      help: "the inventory (else the targets are scanned first)",
    },
    "dry-run": { type: "boolean", help: "print the plan and change nothing" },
    force: {
      type: "boolean",
      help: "rebase images even where the new run image lacks a soname or symbol version their layers need (each is reported)",
    },
    "sign-key": {
      type: "string",
      value: "<file>",
      help: "sign each new digest and attest its provenance, as cnbkit rebase does",
    },
    report: { type: "string", value: "<file>", help: "write the report (every image and what happened) as JSON" },
    ...QUERY_FILTERS,
    ...TARGET_OPTIONS,
  },
  examples: [
    "cnbkit fleet rebase -i fleet.json --run-image registry.example.com/base/run:latest --dry-run",
    "cnbkit fleet rebase -i fleet.json --run-image registry.example.com/base/run:12 --force --report rebase.json",
    "cnbkit fleet rebase -i fleet.json --run-image registry.example.com/base/run:latest --sign-key cosign.key --report rebase.json",
    "cnbkit fleet rebase 127.0.0.1:5000/team-a/ --run-image 127.0.0.1:5000/base/run:2 --package deb:libssl3t64 --concurrency 16",
    "cnbkit fleet rebase 10.0.0.5:5000/apps/ --images-from images.txt --insecure-registry --key cosign.pub --run-image 10.0.0.5:5000/base/run:2 --buildpack cnbkit/nodejs --unsigned --no-provenance --not-rebasable --built-before 2026-06-01",
    "cnbkit fleet rebase 127.0.0.1:5000/apps/ --kubernetes --kube-context prod --kube-namespace shop --running --run-image 127.0.0.1:5000/base/run:2",
  ],
  async run(inv) {
    const runImage = stringOption(inv, "run-image", true);
    const signKeyFile = stringOption(inv, "sign-key");
    const signKey = signKeyFile ? await loadSigningKey(signKeyFile, { flag: "--sign-key" }) : undefined;
    const spec = querySpec(inv);
    const inventory = await inventoryFor(inv);
    const now = runImageNow();
    const records = filters(spec) ? (await queryFleet(inventory, spec, now)).map((h) => h.record) : inventory.images;
    // Images whose recorded needs the run image does not meet are refused in the plan (unless --force).
    const abi = inv.values.force === true ? undefined : runImageAbi();
    const plan = await planFleetRebase(inventory, runImage, now, records, abi).catch((err: Error) => {
      throw new CnbError(`cannot read run image ${runImage}: ${err.message}`);
    });
    const todo = plan.filter((s) => s.kind === "rebase");
    inv.out(
      `Plan: ${todo.length} to rebase onto ${runImage}, ${plan.filter((s) => s.kind === "current").length} already on it, ${plan.filter((s) => s.kind === "cannot").length} cannot be rebased`,
    );
    for (const s of plan) {
      if (s.kind === "cannot") inv.out(`  cannot: ${recordRef(s.record)} (${s.record.platform}): ${s.why}`);
      if (s.kind === "rebase" && inv.values["dry-run"])
        inv.out(`  rebase: ${s.record.tags.map((t) => `${s.record.repository}:${t}`).join(", ")}`);
    }
    if (inv.values["dry-run"]) return 0;
    const startedOn = new Date();
    const tty = process.stderr.isTTY === true;
    const report = await rebaseFleet(plan, {
      runImage,
      concurrency: countOption(inv, "concurrency", 8),
      force: inv.values.force === true,
      ...(signKey
        ? {
            seal: async (r) => {
              await sealRebase(
                parseReference(r.ref),
                r.digest,
                signKey,
                { ...r, output: r.ref, startedOn, finishedOn: new Date() },
                r.source,
              );
              await markSignedImage(parseReference(r.ref), r.digest);
            },
          }
        : {}),
      onOutcome: (o, done, total) => {
        if (o.kind !== "rebased" && o.kind !== "already")
          inv.err(`${o.kind}: ${o.ref}: ${"why" in o ? o.why : "error" in o ? o.error : ""}`);
        if (o.kind === "rebased" && o.forcedPast)
          inv.err(`forced: ${o.ref}: rebased although it needs ${o.forcedPast}`);
        if (tty) process.stderr.write(`\r\u001b[2KRebasing ${done}/${total}${done === total ? "\n" : ""}`);
      },
    });
    const count = (kind: RebaseOutcome["kind"]) => report.outcomes.filter((o) => o.kind === kind).length;
    const rate = count("rebased") / Math.max(report.seconds, 0.001);
    inv.out(
      `Rebased ${count("rebased")} tags in ${report.seconds.toFixed(1)}s (${rate.toFixed(1)}/s), ${count("already")} already done, ${count("skipped")} skipped, ${count("refused")} refused (ABI), ${count("failed")} failed`,
    );
    const file = stringOption(inv, "report");
    if (file) await writeFile(file, `${JSON.stringify(report, null, 2)}\n`);
    await refreshInventoryFile(inv, inventory, report);
    return count("failed") + count("refused") ? 1 : 0;
  },
};

/** What `cnbkit fleet rebase` does, loaded only when it runs (fleet-rebase.ts declares its usage and options). */
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
import { stringOption, type Invocation } from "../command.js";
import { countOption, filters, inventoryFor, querySpec, refreshInventoryFile } from "./fleet-input.js";

/** Runs `cnbkit fleet rebase`. */
export async function run(inv: Invocation): Promise<number | undefined> {
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
      if (o.kind === "rebased" && o.forcedPast) inv.err(`forced: ${o.ref}: rebased although it needs ${o.forcedPast}`);
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
}

/** What `cnbkit fleet patch` does, loaded only when it runs (fleet-patch.ts declares its usage and options). */
import { writeFile } from "node:fs/promises";
import {
  describeStep,
  type PatchOutcome,
  patchFleet,
  planFleetPatch,
  queryFleet,
  readPatchReference,
  recordName,
  runImageNow,
} from "../../fleet/index.js";
import { parseReference, type RegistryClient } from "../../oci/index.js";
import { loadSigningKey, markSignedImage, sealPatch } from "../../supply-chain/index.js";
import { stringOption, type Invocation } from "../command.js";
import { countOption, filters, inventoryFor, querySpec, refreshInventoryFile } from "./fleet-input.js";

/** Runs `cnbkit fleet patch`. */
export async function run(inv: Invocation): Promise<number | undefined> {
  const from = stringOption(inv, "from", true);
  const signKeyFile = stringOption(inv, "sign-key");
  const signKey = signKeyFile ? await loadSigningKey(signKeyFile, { flag: "--sign-key" }) : undefined;
  const spec = querySpec(inv);
  const inventory = await inventoryFor(inv);
  const records = filters(spec)
    ? (await queryFleet(inventory, spec, runImageNow())).map((h) => h.record)
    : inventory.images;
  const clients = new Map<string, RegistryClient>();
  const reference = await readPatchReference(from, clients);
  const concurrency = countOption(inv, "concurrency", 16);
  const planStarted = performance.now();
  const plan = await planFleetPatch(records, reference, clients, concurrency);
  const planSeconds = (performance.now() - planStarted) / 1000;
  const count = (k: string) => plan.filter((s) => s.kind === k).length;
  const offers = [...reference.layers.values()].map((l) => `${l.key} (${l.record.dependency} ${l.record.version})`);
  inv.out(`Reference ${from} offers ${offers.join(", ")}`);
  inv.out(
    `Plan: ${count("patch")} to patch, ${count("current")} already current, ${count("cannot")} cannot be patched, ${count("unrelated")} without these layers (${plan.length} configs read in ${planSeconds.toFixed(1)}s)`,
  );
  const notes = new Map<string, number>();
  for (const s of plan) {
    if (s.kind === "cannot") inv.out(`  cannot: ${recordName(s.record)} (${s.record.platform}): ${s.why}`);
    if (s.kind === "patch" && !inv.values["dry-run"])
      for (const line of s.notes) notes.set(line, (notes.get(line) ?? 0) + 1);
    if (s.kind === "patch" && inv.values["dry-run"]) {
      inv.out(`  patch: ${s.record.tags.map((t) => `${s.record.repository}:${t}`).join(", ") || recordName(s.record)}`);
      for (const line of [...describeStep(s), ...s.notes]) inv.out(`    ${line}`);
    }
  }
  // Without --dry-run each derived-data decision (a stale startup cache kept) is said once, with its count.
  for (const [line, count] of notes) inv.out(`  note: ${line} (${count} image${count === 1 ? "" : "s"})`);
  if (inv.values["dry-run"]) return 0;
  const startedOn = new Date();
  const tty = process.stderr.isTTY === true;
  const report = await patchFleet(plan, reference, clients, {
    concurrency,
    ...(signKey
      ? {
          seal: async (r) => {
            const ref = parseReference(r.ref);
            const { source, ...facts } = r;
            await sealPatch(
              ref,
              r.digest,
              signKey,
              { ...facts, output: r.ref, startedOn, finishedOn: new Date() },
              source,
              clients,
            );
            await markSignedImage(ref, r.digest);
          },
        }
      : {}),
    onOutcome: (o, done, total) => {
      if (o.kind === "skipped" || o.kind === "failed")
        inv.err(`${o.kind}: ${o.ref}: ${o.kind === "skipped" ? o.why : o.error}`);
      if (tty) process.stderr.write(`\r\u001b[2KPatching ${done}/${total}${done === total ? "\n" : ""}`);
    },
  });
  const n = (kind: PatchOutcome["kind"]) => report.outcomes.filter((o) => o.kind === kind).length;
  const pushed = report.outcomes.reduce((sum, o) => sum + (o.kind === "patched" ? o.bytes : 0), 0);
  const rate = n("patched") / Math.max(report.seconds, 0.001);
  inv.out(
    `Patched ${n("patched")} tags in ${report.seconds.toFixed(1)}s (${rate.toFixed(1)}/s, ${Math.round(pushed / Math.max(n("patched"), 1))} bytes pushed per image), ${n("already")} already done, ${n("skipped")} skipped, ${n("failed")} failed`,
  );
  const file = stringOption(inv, "report");
  if (file) await writeFile(file, `${JSON.stringify(report, null, 2)}\n`);
  // refreshInventory re-scans the repositories of the outcomes it is given, whatever moved them.
  const moved = report.outcomes.flatMap((o) =>
    o.kind === "patched" || o.kind === "already" ? [{ kind: "already" as const, ref: o.ref, to: o.to }] : [],
  );
  const asRebase = { runImage: "", plan: { rebase: 0, current: 0, cannot: [] }, outcomes: moved, seconds: 0 };
  await refreshInventoryFile(inv, inventory, asRebase);
  return n("failed") ? 1 : 0;
}

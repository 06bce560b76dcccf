/** `cnbkit fleet patch`: runtime layers (Node.js, CPython, a JRE) of a fleet moved to a newer patch release without rebuilds. */
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

/** `cnbkit fleet patch --from <reference image> [--inventory fleet.json | <target>...] [--dry-run] [--sign-key k]`. */
export const fleetPatchCommand: Command = {
  name: "fleet patch",
  summary:
    "Patch the runtime layers (Node.js, CPython, JRE) of a fleet to a newer release of the same line, without rebuilds",
  usage:
    "cnbkit fleet patch --from <reference image> [--inventory <fleet.json> | <target>...] [query flags] [--dry-run] [--sign-key <file>] [--concurrency <n>] [--report <file>]",
  description: [
    "The reference image is any app image built with the newer runtime (e.g. one app rebuilt after the fix).",
    "Each image whose runtime layer records a patch rule (the buildpack's: Node.js same major, CPython same",
    "minor, a JRE same feature release), whose layer is still what the buildpack recorded, and whose layer",
    "has the reference's shape, gets the reference's layer in its place: config, manifest, the lifecycle",
    "label and the SBOM layer are rewritten; app layers are untouched. A tag moves only if it still names",
    "the digest the scan saw; a re-run does only what is left. Exits 1 when a patch failed.",
  ].join("\n"),
  positionals: { min: 0, max: 1000, names: "<target>..." },
  options: {
    from: { type: "string", value: "<image>", help: "the reference image whose layers replace older ones (required)" },
    inventory: {
      type: "string",
      short: "i",
      value: "<file>",
      help: "the inventory (else the targets are scanned first)",
    },
    "dry-run": { type: "boolean", help: "print the plan and change nothing" },
    "sign-key": {
      type: "string",
      value: "<file>",
      help: "sign each new digest and attest its provenance (the patch) and its new SBOMs",
    },
    report: { type: "string", value: "<file>", help: "write the report (every image and what happened) as JSON" },
    ...QUERY_OPTIONS,
    ...TARGET_OPTIONS,
  },
  examples: [
    "cnbkit fleet patch -i fleet.json --from registry.example.com/shop/cart:2026-11-28 --dry-run",
    "cnbkit fleet patch -i fleet.json --from registry.example.com/shop/cart:2026-11-28 --package npm:node@'<24.21.0' --sign-key cosign.key",
    "cnbkit fleet patch 127.0.0.1:5000/apps/ --from 127.0.0.1:5000/apps/ref:node-24.21.0 --concurrency 32 --report patch.json",
    "cnbkit fleet patch 10.0.0.5:5000/apps/ --images-from images.txt --insecure-registry --key cosign.pub --from 10.0.0.5:5000/apps/ref:node-24.21.0 --buildpack cnbkit/nodejs --unsigned --no-provenance --not-rebasable --built-before 2026-11-01",
    "cnbkit fleet patch 127.0.0.1:5000/apps/ --kubernetes --kube-context prod --kube-namespace shop --running --run-image 127.0.0.1:5000/base/run:2 --behind --from 127.0.0.1:5000/apps/ref:node-24.21.0",
  ],
  async run(inv) {
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
        inv.out(
          `  patch: ${s.record.tags.map((t) => `${s.record.repository}:${t}`).join(", ") || recordName(s.record)}`,
        );
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
  },
};

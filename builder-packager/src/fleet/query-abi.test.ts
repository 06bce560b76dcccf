import { expect, test } from "vitest";
import type { AbiProvides } from "../abi/index.js";
import { type FleetInventory, type ImageRecord, INVENTORY_SCHEMA } from "./inventory.js";
import { queryFleet } from "./query.js";
import { planFleetRebase } from "./rebase-fleet.js";
import type { RunImageAbi } from "./run-image-abi.js";

const D = (c: string) => `sha256:${c.repeat(64)}` as ImageRecord["digest"];

/** An image on Debian 13's run image whose layers need GLIBC_`glibc` (none recorded when undefined). */
function record(name: string, glibc?: string): ImageRecord {
  return {
    repository: `reg.io/team/${name}`,
    tags: ["1"],
    digest: D("1"),
    platform: "linux/amd64",
    config: D("c"),
    buildpacks: [],
    processes: [],
    runImage: { image: "reg.io/base/run:13", topLayer: D("a") },
    rebasable: { ok: true },
    ...(glibc
      ? {
          abi: {
            schema: 1,
            sonames: { "libc.so.6": `/layers/${name}/bin/app` },
            versions: { "libc.so.6": { GLIBC: { version: glibc, file: `/layers/${name}/bin/app` } } },
          },
        }
      : {}),
    sbom: { source: "none", ids: [] },
    signature: "none",
    provenance: "none",
  } as ImageRecord;
}

const inventory: FleetInventory = {
  schema: INVENTORY_SCHEMA,
  scannedAt: "2026-11-28T00:00:00Z",
  sources: ["reg.io/team/"],
  images: [record("old-glibc", "2.34"), record("trixie-built", "2.38"), record("unrecorded")],
  others: [],
  errors: [],
  sboms: {},
} as FleetInventory;

/** What a run image with glibc `glibc` provides, for every ref but the images' own run image (Debian 13's, glibc 2.41). */
function runWith(glibc: string): RunImageAbi {
  const libc = (v: string): AbiProvides => ({ schema: 1, glibc: v, libraries: { "libc.so.6": { GLIBC: v } } });
  return {
    async provides(ref) {
      return libc(ref === "reg.io/base/run:13" ? "2.41" : glibc);
    },
  };
}

test("--run-image --abi weighs every image against the run image: could move, could not (what and which file), not recorded", async () => {
  const abi = runWith("2.36");
  const hits = await queryFleet(inventory, { runImage: "reg.io/base/run:12.9", abi: true }, undefined, abi);
  expect(hits.map((h) => [h.record.repository, h.abi?.verdict, h.why.join("; ")])).toEqual([
    ["reg.io/team/old-glibc", "can", "could move onto reg.io/base/run:12.9 (glibc 2.36)"],
    [
      "reg.io/team/trixie-built",
      "cannot",
      "could not move onto reg.io/base/run:12.9: needs GLIBC_2.38 (libc.so.6), the run image has GLIBC_2.36, for /layers/trixie-built/bin/app",
    ],
    [
      "reg.io/team/unrecorded",
      "unknown",
      "no needs recorded (built before cnbkit recorded them): fleet rebase reads its layers to decide",
    ],
  ]);
  // With --abi the run image is the destination, not a filter: images on another repository count too.
  const other = await queryFleet(
    inventory,
    { runImage: "reg.io/base/run-13:latest", abi: true },
    undefined,
    runWith("2.41"),
  );
  expect(other.map((h) => h.abi?.verdict)).toEqual(["can", "can", "unknown"]);
});

test("a soname the image's current run image lacks too is not held against the new one", async () => {
  const java = record("java", "2.34");
  java.abi!.sonames["libasound.so.2"] = "/layers/cnbkit_java/jre/lib/libjsound.so";
  const inv = { ...inventory, images: [java] };
  const hits = await queryFleet(inv, { runImage: "reg.io/base/run:13.1", abi: true }, undefined, runWith("2.41"));
  expect(hits.map((h) => h.why.join("; "))).toEqual(["could move onto reg.io/base/run:13.1 (glibc 2.41)"]);
});

test("--abi without --run-image is one line", async () => {
  await expect(queryFleet(inventory, { abi: true }, undefined, runWith("2.36"))).rejects.toThrow(
    /^--abi weighs images against a run image: give it with --run-image <ref>$/,
  );
});

test("fleet rebase's plan refuses the images whose recorded needs the run image does not meet; unrecorded ones are checked as they rebase", async () => {
  const now = { topLayer: async () => ({ digest: D("9"), topLayer: D("b") }) };
  const plan = await planFleetRebase(inventory, "reg.io/base/run:12.9", now, inventory.images, runWith("2.36"));
  expect(plan.map((p) => [p.record.repository, p.kind, "why" in p ? p.why : ""])).toEqual([
    ["reg.io/team/old-glibc", "rebase", ""],
    [
      "reg.io/team/trixie-built",
      "cannot",
      "ABI: needs GLIBC_2.38 (libc.so.6), the run image has GLIBC_2.36, for /layers/trixie-built/bin/app",
    ],
    ["reg.io/team/unrecorded", "rebase", ""],
  ]);
  // --force: no ABI in the plan.
  const forced = await planFleetRebase(inventory, "reg.io/base/run:12.9", now);
  expect(forced.map((p) => p.kind)).toEqual(["rebase", "rebase", "rebase"]);
});

import { mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, test } from "vitest";
import { type FleetInventory, INVENTORY_SCHEMA, inventoryChunks, writeInventory } from "./inventory.js";

/** A small inventory with the optional parts present and absent, records alike but for their names. */
function inventory(images: number): FleetInventory {
  const digest = `sha256:${"ab".repeat(32)}` as const;
  return {
    schema: INVENTORY_SCHEMA,
    scannedAt: "2026-11-29T01:00:00.000Z",
    sources: ["127.0.0.1:5000"],
    key: undefined,
    images: Array.from({ length: images }, (_, i) => ({
      repository: `127.0.0.1:5000/apps/app-${i}`,
      tags: ["1", "latest"],
      digest,
      platform: "linux/amd64",
      config: digest,
      buildpacks: [{ id: "cnbkit/nodejs", version: "1.0.0" }],
      processes: [{ type: "web", command: ["node", "é.js"], default: true }],
      runImage: { image: "127.0.0.1:5000/base/run", topLayer: digest },
      rebasable: { ok: true },
      sbom: { source: "layer", ids: [`layer:${digest}`] },
      signature: "none",
      provenance: "none",
    })),
    others: [],
    errors: [{ ref: "127.0.0.1:5000/x:1", error: "not found" }],
    sboms: {},
  } as unknown as FleetInventory;
}

describe("inventoryChunks", () => {
  test.each([0, 1, 3, 50])("%i images: the same text as JSON.stringify, whatever the chunk size", (n) => {
    const inv = inventory(n);
    const whole = `${JSON.stringify(inv)}\n`;
    for (const size of [1, 100, 1 << 20]) {
      const chunks = [...inventoryChunks(inv, size)];
      expect(chunks.join("")).toBe(whole);
      if (size === 100 && n === 50) expect(chunks.length).toBeGreaterThan(10);
    }
  });
});

describe("writeInventory", () => {
  test("writes the file whole and leaves no temporary file", async () => {
    const dir = await mkdtemp(join(tmpdir(), "cnbkit-inventory-"));
    try {
      const inv = inventory(20);
      await writeInventory(join(dir, "fleet.json"), inv);
      expect(await readFile(join(dir, "fleet.json"), "utf8")).toBe(`${JSON.stringify(inv)}\n`);
      expect(await readdir(dir)).toEqual(["fleet.json"]);
      await expect(writeInventory(join(dir, "missing", "fleet.json"), inv)).rejects.toThrow();
      expect(await readdir(dir)).toEqual(["fleet.json"]);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

import { describe, expect, test } from "vitest";
import { maxOldSpaceSizeMb, memoryEnv, memoryLimitBytes, webConcurrency } from "./memory.js";

const MiB = 1024 * 1024;

describe("memory limits", () => {
  test("cgroup v2 and v1 values; max and huge mean unlimited", () => {
    expect(memoryLimitBytes({ v2: "536870912\n" })).toBe(512 * MiB);
    expect(memoryLimitBytes({ v2: "max\n", v1: "1073741824" })).toBeUndefined();
    expect(memoryLimitBytes({ v1: "1073741824\n" })).toBe(1024 * MiB);
    expect(memoryLimitBytes({ v1: "9223372036854771712\n" })).toBeUndefined();
    expect(memoryLimitBytes({})).toBeUndefined();
  });
  test("heap is 75% of the limit; workers one per 512 MiB, min 1", () => {
    expect(maxOldSpaceSizeMb(1024 * MiB)).toBe(768);
    expect(webConcurrency(256 * MiB)).toBe(1);
    expect(webConcurrency(2048 * MiB)).toBe(4);
  });
  test("NODE_OPTIONS is extended only when the user has no heap flag", () => {
    expect(memoryEnv(1024 * MiB, { NODE_OPTIONS: "--enable-source-maps" })).toEqual({
      NODE_OPTIONS: "--enable-source-maps --max-old-space-size=768",
      WEB_CONCURRENCY: "2",
    });
    expect(memoryEnv(1024 * MiB, { NODE_OPTIONS: "--max-old-space-size=100", WEB_CONCURRENCY: "8" })).toEqual({});
    expect(memoryEnv(undefined, {})).toEqual({});
  });
});

describe("readCgroupMemoryLimit", () => {
  test("reads v2 memory.max, then v1 memory.limit_in_bytes, under a root", async () => {
    const { mkdtempSync, mkdirSync, writeFileSync } = await import("node:fs");
    const { tmpdir } = await import("node:os");
    const { join } = await import("node:path");
    const { readCgroupMemoryLimit } = await import("./memory.js");
    const v2 = mkdtempSync(join(tmpdir(), "cg2-"));
    writeFileSync(join(v2, "memory.max"), "1073741824\n");
    expect(readCgroupMemoryLimit(v2)).toBe(1024 * MiB);
    const v1 = mkdtempSync(join(tmpdir(), "cg1-"));
    mkdirSync(join(v1, "memory"));
    writeFileSync(join(v1, "memory", "memory.limit_in_bytes"), "536870912\n");
    expect(readCgroupMemoryLimit(v1)).toBe(512 * MiB);
    expect(readCgroupMemoryLimit(join(v1, "missing"))).toBeUndefined();
  });
});

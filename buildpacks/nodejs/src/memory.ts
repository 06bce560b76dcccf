/**
 * Memory-aware Node defaults from the container's cgroup limit: a V8 heap cap
 * (`--max-old-space-size`, 75% of the limit) and a WEB_CONCURRENCY hint (one worker per
 * 512 MB, at least 1), as Heroku does. Works for cgroup v2 (`memory.max`) and v1
 * (`memory.limit_in_bytes`); "max" or a huge v1 value means no limit.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";

/** Limits at or above this (1 PiB) are treated as "no limit" (cgroup v1 writes ~2^63). */
export const UNLIMITED_BYTES = 2 ** 50;

/** Memory per web worker for the WEB_CONCURRENCY hint. */
export const MEMORY_PER_WORKER_BYTES = 512 * 1024 * 1024;

/**
 * Reads a memory limit in bytes from cgroup file contents (v2 first); undefined when unlimited
 * or unreadable.
 *
 * @example
 * memoryLimitBytes({ v2: "536870912\n" }) // 536870912
 * memoryLimitBytes({ v2: "max\n" })       // undefined
 */
export function memoryLimitBytes(files: { v2?: string; v1?: string }): number | undefined {
  for (const text of [files.v2, files.v1]) {
    if (text === undefined) continue;
    const t = text.trim();
    if (t === "max" || t === "") return undefined;
    if (!/^\d+$/.test(t)) continue;
    const n = Number(t);
    if (n <= 0 || n >= UNLIMITED_BYTES) return undefined;
    return n;
  }
  return undefined;
}

/** 75% of the limit in whole MiB, the heap size Node should use. */
export function maxOldSpaceSizeMb(limitBytes: number): number {
  return Math.max(1, Math.floor((limitBytes * 0.75) / (1024 * 1024)));
}

/** One worker per 512 MiB, at least 1. */
export function webConcurrency(limitBytes: number): number {
  return Math.max(1, Math.floor(limitBytes / MEMORY_PER_WORKER_BYTES));
}

/**
 * The environment the exec.d program sets at launch: NODE_OPTIONS gains
 * `--max-old-space-size` only when the user did not set one, WEB_CONCURRENCY only when unset.
 * Returns only the variables to change.
 *
 * @example
 * memoryEnv(1073741824, { NODE_OPTIONS: "--enable-source-maps" })
 * // { NODE_OPTIONS: "--enable-source-maps --max-old-space-size=768", WEB_CONCURRENCY: "2" }
 */
export function memoryEnv(
  limitBytes: number | undefined,
  env: Record<string, string | undefined>,
): Record<string, string> {
  const out: Record<string, string> = {};
  if (limitBytes === undefined) return out;
  const current = env.NODE_OPTIONS ?? "";
  if (!/--max-old-space-size\b/.test(current) && !/--max_old_space_size\b/.test(current)) {
    out.NODE_OPTIONS = `${current} --max-old-space-size=${maxOldSpaceSizeMb(limitBytes)}`.trim();
  }
  if (!env.WEB_CONCURRENCY) out.WEB_CONCURRENCY = String(webConcurrency(limitBytes));
  return out;
}

/**
 * Reads the memory limit of the cgroup this process runs in (v2 `memory.max`, then v1
 * `memory.limit_in_bytes`) under `root` (default /sys/fs/cgroup).
 */
export function readCgroupMemoryLimit(root = "/sys/fs/cgroup"): number | undefined {
  const read = (p: string): string | undefined => {
    try {
      return readFileSync(p, "utf8");
    } catch {
      return undefined;
    }
  };
  const files: { v2?: string; v1?: string } = {};
  const v2 = read(join(root, "memory.max"));
  const v1 = read(join(root, "memory", "memory.limit_in_bytes"));
  if (v2 !== undefined) files.v2 = v2;
  if (v1 !== undefined) files.v1 = v1;
  return memoryLimitBytes(files);
}

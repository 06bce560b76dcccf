/** The block a build ends with: each lifecycle phase's time and the total. */
import { formatDuration } from "@cnbkit/framework/log";
import type { PhaseTime } from "../platform/index.js";

/**
 * The lines of the timing block, phases in the order they ran, times aligned.
 *
 * @example
 * buildTimes([{ phase: "detect", ms: 1100 }, { phase: "build", ms: 35000 }], 37200)
 * // ["Timing", "  detect   1.1s", "  build   35.0s", "  total   37.2s"]
 */
export function buildTimes(phases: PhaseTime[], totalMs: number): string[] {
  const rows = [...phases.map((p) => [p.phase, formatDuration(p.ms)]), ["total", formatDuration(totalMs)]];
  const names = Math.max(...rows.map(([n]) => n!.length));
  const times = Math.max(...rows.map(([, t]) => t!.length));
  return ["Timing", ...rows.map(([n, t]) => `  ${n!.padEnd(names)}  ${t!.padStart(times)}`)];
}

/** How a byte count reads in output. */

/**
 * Formats a byte count with binary (IEC) units: "10 B", "12 KiB", "85.0 MiB", "1.2 GiB".
 * KiB are whole numbers; larger units carry one decimal.
 */
export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  let v = n;
  let unit = "B";
  for (const u of ["KiB", "MiB", "GiB", "TiB"]) {
    if (v < 1024) break;
    v /= 1024;
    unit = u;
  }
  return unit === "KiB" ? `${Math.round(v)} ${unit}` : `${v.toFixed(1)} ${unit}`;
}

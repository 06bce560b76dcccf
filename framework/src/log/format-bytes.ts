/** How a byte count reads in output, and how a size a user typed ("512m", "10GiB") reads back. */

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

/**
 * Reads a size as Docker's `--memory` and cnbkit's cache bounds take it: a number with an
 * optional binary unit (`k`, `m`, `g`, `t`, case-insensitive, optionally followed by `iB` or
 * `B`). `512m` and `512MiB` are both 512 × 1024²; a bare number is bytes. Undefined when the
 * text is not a size, so each caller can say in its own words where the bad value came from.
 */
export function parseBytes(text: string): number | undefined {
  const m = /^(\d+(?:\.\d+)?)\s*([KMGT]?)(?:i?B)?$/i.exec(text.trim());
  if (!m) return undefined;
  const power = " KMGT".indexOf((m[2] || " ").toUpperCase());
  return Math.floor(Number(m[1]) * 1024 ** power);
}

/** Small statistics helpers every benchmark prints with. */

/** The median of a list of numbers. */
export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

/** Formats milliseconds with one decimal. */
export function ms(x: number): string {
  return `${x.toFixed(1)} ms`;
}

/** Peak resident set size of this process so far, in MB (Linux reports maxRSS in KB). */
export function peakRssMb(): number {
  return process.resourceUsage().maxRSS / 1024;
}

/** Prints an aligned table of rows to stdout. */
export function table(rows: (string | number)[][]): void {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => String(r[i]).length)));
  for (const r of rows) console.log(r.map((c, i) => String(c).padEnd(widths[i]!)).join("  "));
}

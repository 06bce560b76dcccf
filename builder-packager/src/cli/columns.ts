/**
 * Column alignment as Go's text/tabwriter does it for pack's tables and trees, so cnbkit's
 * output lines up as pack's does: each run of consecutive rows shares column widths, a
 * plain string line ends the run, and trailing spaces are trimmed.
 */

/**
 * Aligns `lines`: arrays are rows of cells, strings pass through unchanged.
 *
 * @example
 * alignColumns([["  ID", "VERSION"], ["  acme/node", "1.0.0"]], 8)
 * // ["  ID            VERSION", "  acme/node        1.0.0"]
 */
export function alignColumns(lines: (string | string[])[], padding: number): string[] {
  const out: string[] = [];
  let block: string[][] = [];
  const flush = () => {
    const widths: number[] = [];
    for (const row of block) {
      row.slice(0, -1).forEach((cell, j) => {
        widths[j] = Math.max(widths[j] ?? 0, [...cell].length);
      });
    }
    for (const row of block) {
      const cells = row.map((cell, j) => (j < row.length - 1 ? cell.padEnd((widths[j] ?? 0) + padding) : cell));
      out.push(cells.join("").trimEnd());
    }
    block = [];
  };
  for (const line of lines) {
    if (typeof line === "string") {
      flush();
      out.push(line);
    } else block.push(line);
  }
  flush();
  return out;
}

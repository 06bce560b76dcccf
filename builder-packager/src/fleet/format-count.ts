/**
 * `12345` as `12,345`, written out: `toLocaleString` follows the machine's locale, and its
 * first call loads ICU's locale data (~80 ms idle, ~340 ms under load), which a command that
 * prints one summary line should not pay.
 *
 * @example
 * fmtCount(1013) // "1,013"
 */
export function fmtCount(n: number): string {
  return String(Math.round(n)).replace(/\B(?=(\d{3})+(?!\d))/g, ",");
}

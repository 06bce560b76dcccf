/**
 * A CPython line ("3.13") is what users and tools name (`.python-version 3.13`, `cp313` wheels,
 * `lib/python3.13`), while inventories carry full versions ("3.13.5"). Every place that turns
 * one into the other asks here.
 */

/**
 * The line of a version: "3.13" of "3.13.5", "3.13.x" or "3.13".
 *
 * @example
 * pythonLine("3.14.10") // "3.14"
 */
export function pythonLine(version: string): string {
  return version.split(".").slice(0, 2).join(".");
}

/**
 * Orders two lines numerically ("3.9" before "3.13"), for sort.
 *
 * @example
 * ["3.13", "3.9"].sort(compareLines) // ["3.9", "3.13"]
 */
export function compareLines(a: string, b: string): number {
  const [am = 0, an = 0] = a.split(".").map(Number);
  const [bm = 0, bn = 0] = b.split(".").map(Number);
  return am - bm || an - bn;
}

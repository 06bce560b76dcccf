/**
 * How a venv that pip filled on one CPU becomes the venv pip would fill on another, when it
 * differs only by a distribution's platform wheel (pure). pip installs a wheel by copying its
 * files as they are and keeping the wheel's own RECORD rows for them; what it adds (the
 * `.pyc` it compiles, INSTALLER, REQUESTED) is the same on every CPU for the same sources and
 * CPython. Installing markupsafe 3.0.4 for amd64 and for arm64 (pip 26.3, CPython 3.13.5, the
 * same path) left two venvs that differ in exactly the `.so`, the WHEEL file and their two
 * RECORD rows. So the other CPU's venv is this one with, for each platform wheel, the files
 * whose rows differ between the two wheels' RECORDs swapped, and those rows swapped in RECORD,
 * which pip writes sorted by path, with CRLF line ends.
 *
 * It refuses (one reason) what that does not cover: a `.py` file that differs (its `.pyc`
 * would too), a wheel with a `.data` dir or entry-point scripts (pip rewrites those), and a
 * path that needs CSV quoting.
 */

/** One RECORD row: path, hash (`sha256=…`, or empty for a compiled `.pyc`), size. */
export interface RecordRow {
  path: string;
  hash: string;
  size: string;
}

/** What turns the installed distribution into the other CPU's. */
export interface WheelSwap {
  /** Installed paths (relative to site-packages) to delete. */
  remove: string[];
  /** Paths of the other wheel to copy in, from where it is unpacked to the same relative path. */
  add: string[];
  /** The new RECORD's text. */
  record: string;
}

/**
 * Parses a RECORD's text (pip's CSV: unquoted path, hash, size). A quoted field is refused:
 * the swap writes rows back without quoting.
 */
export function parseRecord(text: string): RecordRow[] | { not: string } {
  const rows: RecordRow[] = [];
  for (const line of text.split(/\r?\n/)) {
    if (line === "") continue;
    if (line.includes('"')) return { not: `a RECORD row needs CSV quoting (${line})` };
    const parts = line.split(",");
    if (parts.length !== 3) return { not: `a RECORD row is not path,hash,size (${line})` };
    const [path = "", hash = "", size = ""] = parts;
    rows.push({ path, hash, size });
  }
  return rows;
}

/**
 * The swap that turns distribution `distInfo` (e.g. "markupsafe-3.0.4.dist-info"), installed
 * from one wheel with RECORD `installed`, into the same distribution installed from the other
 * CPU's wheel, whose own RECORD is `otherWheel`; or why it can't be done safely.
 *
 * @example
 * swapWheel("m-1.dist-info", installedRecordText, otherWheelRecordText);
 * // { remove: ["m/_x.cpython-313-x86_64-linux-gnu.so"], add: ["m/_x.cpython-313-aarch64-linux-gnu.so", "m-1.dist-info/WHEEL"], record: "…" }
 */
export function swapWheel(distInfo: string, installed: string, otherWheel: string): WheelSwap | { not: string } {
  const mine = parseRecord(installed);
  if (!Array.isArray(mine)) return mine;
  const theirs = parseRecord(otherWheel);
  if (!Array.isArray(theirs)) return theirs;
  const own = new Set(["RECORD", "INSTALLER", "REQUESTED", "direct_url.json"].map((f) => `${distInfo}/${f}`));
  // The rows pip copied from the wheel: hashed, inside site-packages, not written by pip itself.
  const fromWheel = new Map(mine.filter((r) => r.hash !== "" && !own.has(r.path)).map((r) => [r.path, r]));
  for (const r of mine) {
    if (r.path.startsWith("../")) return { not: `${distInfo} installs ${r.path} outside site-packages (a script)` };
  }
  const other = new Map(theirs.filter((r) => r.path !== `${distInfo}/RECORD`).map((r) => [r.path, r]));
  for (const path of other.keys()) {
    if (path.split("/")[0]?.endsWith(".data"))
      return { not: `${distInfo}'s other wheel has ${path} (pip moves .data files)` };
  }
  const changed = (a: RecordRow | undefined, b: RecordRow | undefined) => a?.hash !== b?.hash || a?.size !== b?.size;
  const remove = [...fromWheel.keys()].filter((p) => changed(fromWheel.get(p), other.get(p)) && !other.has(p));
  const add = [...other.keys()].filter((p) => changed(fromWheel.get(p), other.get(p)));
  const py = [...remove, ...add].find((p) => p.endsWith(".py"));
  if (py !== undefined) return { not: `${py} differs between the two wheels (its .pyc would too)` };
  const gone = new Set([...remove, ...add]);
  const rows = [...mine.filter((r) => !gone.has(r.path)), ...add.map((p) => other.get(p) as RecordRow)];
  // pip sorts RECORD by path (Python's code-point order), then hash and size.
  const line = (r: RecordRow) => `${r.path},${r.hash},${r.size}`;
  const sorted = rows.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : line(a) < line(b) ? -1 : 1));
  return { remove, add, record: sorted.map((r) => `${line(r)}\r\n`).join("") };
}

/**
 * The platform tags pip on `arch` ("amd64", "arm64") with glibc `glibcMinor` (2.x) accepts,
 * best first, as the `packaging` library makes them: manylinux_2_N for N from the glibc's
 * down to the arch's oldest, each legacy alias right after its version, then `linux_<cpu>`.
 *
 * @example
 * platformTags("arm64", 19); // ["manylinux_2_19_aarch64", "manylinux_2_18_aarch64", "manylinux_2_17_aarch64", "manylinux2014_aarch64", "linux_aarch64"]
 */
export function platformTags(arch: string, glibcMinor: number): string[] {
  const cpu = arch === "arm64" ? "aarch64" : "x86_64";
  // aarch64 wheels start at glibc 2.17; x86_64 ones at 2.5 (manylinux1).
  const oldest = cpu === "x86_64" ? 5 : 17;
  const aliases: Record<number, string> =
    cpu === "x86_64" ? { 17: "manylinux2014", 12: "manylinux2010", 5: "manylinux1" } : { 17: "manylinux2014" };
  const tags: string[] = [];
  for (let n = glibcMinor; n >= oldest; n--) {
    tags.push(`manylinux_2_${n}_${cpu}`);
    const alias = aliases[n];
    if (alias) tags.push(`${alias}_${cpu}`);
  }
  tags.push(`linux_${cpu}`);
  return tags;
}

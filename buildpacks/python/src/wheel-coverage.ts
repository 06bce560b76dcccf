/**
 * Which CPython lines a package's wheel files install on, for a Linux image (pure). A wheel's
 * file name carries its tags (PEP 427: `name-version(-build)-python-abi-platform.whl`, each a
 * `.`-joined set), and an installer takes the wheel when one of its tags is among the
 * interpreter's, as `packaging.tags` lists them for CPython: `cpXY-cpXY` (that version only),
 * `cp3N-abi3` for N ≤ the minor (the stable ABI), and `py3N-none` / `py3-none` on the platform
 * or `any` (pure Python). Platforms are manylinux (any glibc: the build images' glibc is newer
 * than any manylinux tag PyPI carries) and `linux_<arch>`; musllinux wheels need musl, which
 * these images lack.
 */

/** One wheel's tag sets, from its file name. */
export interface WheelTags {
  python: string[];
  abi: string[];
  platform: string[];
}

/** A package's wheels against CPython lines: the lines some wheel installs on, or none. */
export type Coverage = { kind: "no-wheels" } | { kind: "wheels"; minors: Set<number> };

/**
 * The tags of a wheel file name, or undefined when it is no wheel (an sdist, a typo).
 *
 * @example
 * wheelTags("orjson-3.10.4-cp312-cp312-manylinux_2_17_x86_64.manylinux2014_x86_64.whl")
 * // { python: ["cp312"], abi: ["cp312"], platform: ["manylinux_2_17_x86_64", "manylinux2014_x86_64"] }
 */
export function wheelTags(filename: string): WheelTags | undefined {
  if (!filename.toLowerCase().endsWith(".whl")) return undefined;
  const parts = filename.slice(0, -4).split("-");
  // name-version-py-abi-plat, with an optional build tag before py.
  if (parts.length !== 5 && parts.length !== 6) return undefined;
  const [python, abi, platform] = parts.slice(-3).map((t) => t.toLowerCase().split("."));
  return { python: python!, abi: abi!, platform: platform! };
}

/** The machine name in Linux platform tags for a CNB target arch ("amd64", "arm64"). */
export function linuxMachine(arch: string): string {
  return arch === "arm64" ? "aarch64" : arch === "amd64" ? "x86_64" : arch;
}

/** True when `tag` is a platform tag glibc Linux on `machine` installs ("any" included). */
function platformFits(tag: string, machine: string): boolean {
  if (tag === "any") return true;
  if (!tag.endsWith(`_${machine}`)) return false;
  const os = tag.slice(0, -machine.length - 1);
  return os === "linux" || /^manylinux(?:1|2010|2014|_\d+_\d+)$/.test(os);
}

/** The minor of a `cp3N` / `py3N` tag (11 of "cp311"); undefined for `py3` or another major. */
function minorOf(tag: string, prefix: "cp" | "py"): number | undefined {
  const m = new RegExp(`^${prefix}3(\\d+)$`).exec(tag);
  return m ? Number(m[1]) : undefined;
}

/**
 * True when the wheel installs on CPython 3.`minor` (a regular, not free-threaded, build) for
 * Linux on `machine` ("x86_64", "aarch64").
 *
 * @example
 * wheelFits(wheelTags("orjson-3.10.4-cp312-cp312-manylinux_2_17_x86_64.whl")!, 13, "x86_64") // false
 */
export function wheelFits(tags: WheelTags, minor: number, machine: string): boolean {
  if (!tags.platform.some((p) => platformFits(p, machine))) return false;
  for (const py of tags.python) {
    for (const abi of tags.abi) {
      const cp = minorOf(py, "cp");
      if (cp !== undefined) {
        // cpXY-cpXY and cpXY-none: that version only; cp3N-abi3: N and every later minor.
        if ((abi === `cp3${minor}` || abi === "none") && cp === minor) return true;
        if (abi === "abi3" && cp <= minor) return true;
        continue;
      }
      if (abi !== "none") continue;
      if (py === "py3") return true;
      const pyMinor = minorOf(py, "py");
      if (pyMinor !== undefined && pyMinor <= minor) return true;
    }
  }
  return false;
}

/** The CPython 3 minors a wheel is checked against: far wider than any builder carries. */
const MINORS = Array.from({ length: 20 }, (_, i) => i + 6);

/**
 * Which CPython lines `filenames` (a package's files as a lock or an index lists them, sdists
 * included) cover on Linux `machine`. A package none of whose wheels fits this platform at all
 * is `no-wheels`: its sdist is built whichever line is chosen, so it says nothing about lines.
 *
 * @example
 * wheelCoverage(["orjson-3.10.4-cp311-cp311-manylinux_2_17_x86_64.whl", "orjson-3.10.4.tar.gz"], "x86_64")
 * // { kind: "wheels", minors: Set { 11 } }
 */
export function wheelCoverage(filenames: readonly string[], machine: string): Coverage {
  const wheels = filenames.map(wheelTags).filter((t) => t !== undefined);
  const minors = new Set(MINORS.filter((m) => wheels.some((t) => wheelFits(t, m, machine))));
  return minors.size === 0 ? { kind: "no-wheels" } : { kind: "wheels", minors };
}

/** True when `coverage` lets CPython 3.`minor` install the package from a wheel, or the package has no wheel to miss. */
export function allows(coverage: Coverage, minor: number): boolean {
  return coverage.kind === "no-wheels" || coverage.minors.has(minor);
}

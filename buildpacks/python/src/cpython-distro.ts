/**
 * A CPython the app asks for that the builder has, but not for this run image's distro.
 *
 * An inventory entry may say which run images it runs on (`distros`): the local builder's
 * 3.13, 3.14 and 3.15 are Debian 13 and sid binaries that need glibc 2.38, which Debian 12's
 * 2.36 lacks (it measures what each one's ELF files need when it makes them; an entry with
 * `distros = []` runs on none it knows). Leaving them out silently would let the request fall to "matches no CPython",
 * which tells a user who can see 3.14 in the inventory nothing; installing them would build
 * an image that dies at start with `GLIBC_2.38 not found`. This says which distro would run it.
 */
import { CnbError } from "@cnbkit/framework";
import type { DependencyDistro } from "@cnbkit/framework/dependencies";
import { newestFirst, satisfies } from "./pep440.js";
import type { VersionRequest } from "./python-version.js";
import { pythonLine } from "./python-line.js";

/** One inventory CPython of this os/arch: its version and the distros it runs on (undefined: any). */
export interface CpythonEntry {
  version: string;
  distros?: readonly DependencyDistro[] | undefined;
}

/** How a distro reads in a line: `Debian 13`. */
function describeDistro(d: DependencyDistro): string {
  return `${d.name.charAt(0).toUpperCase()}${d.name.slice(1)} ${d.version}`.trim();
}

function runsOn(entry: CpythonEntry, distro: DependencyDistro): boolean {
  return !entry.distros || entry.distros.some((d) => d.name === distro.name && d.version === distro.version);
}

/**
 * The one-line error when no entry that runs on `distro` satisfies the request but one for
 * another distro does; undefined when the request can be met here, or cannot be met anywhere
 * (chooseVersion's "matches no CPython" says that), or the run image names no distro, or the
 * app asked for nothing ({@link distroDefault} moves the default instead).
 *
 * @example
 * distroMismatch({ source: ".python-version", raw: "3.14", specifier: "==3.14.*" },
 *   [{ version: "3.11.2" }, { version: "3.14.10", distros: [{ name: "debian", version: "13" }] }],
 *   { name: "debian", version: "12" });
 * // CnbError('.python-version "3.14" asks for CPython 3.14.10, which this builder has only for Debian 13 run images (it needs their newer glibc); this run image is Debian 12')
 */
export function distroMismatch(
  request: VersionRequest,
  entries: readonly CpythonEntry[],
  distro: DependencyDistro | undefined,
): CnbError | undefined {
  if (!distro?.name || request.source === "default") return undefined;
  const matching = entries.filter((e) => satisfies(e.version, request.specifier));
  if (matching.length === 0 || matching.some((e) => runsOn(e, distro))) return undefined;
  const newest = newestFirst(matching.map((e) => e.version))[0] as string;
  const where = [...new Set(matching.flatMap((e) => (e.distros ?? []).map(describeDistro)))].join(" or ");
  const here = newestFirst(entries.filter((e) => runsOn(e, distro)).map((e) => e.version))
    .map(pythonLine)
    .filter((l, i, all) => all.indexOf(l) === i);
  const alternative =
    here.length > 0
      ? `, or ask for ${here.join(" or ")}, which ${here.length === 1 ? "runs" : "run"} on ${describeDistro(distro)}`
      : "";
  if (!where) {
    // `distros = []`: its binaries need a newer glibc than any run image the builder knows
    // (the local builder measures that when it makes the CPython).
    return new CnbError(
      `${request.source} "${request.raw}" asks for CPython ${newest}, whose binaries need a newer glibc than ${describeDistro(distro)}'s (or any run image's this builder knows): it would fail at start or import`,
      { hint: `Use a builder whose CPython ${newest} is built for ${describeDistro(distro)}${alternative}.` },
    );
  }
  return new CnbError(
    `${request.source} "${request.raw}" asks for CPython ${newest}, which this builder has only for ${where} run images (it needs their newer glibc); this run image is ${describeDistro(distro)}`,
    { hint: `Build with a ${where} base (the run image's distro)${alternative}.` },
  );
}

/**
 * The default request moved to the newest line that runs on `distro`, when the buildpack's
 * default line does not (Debian 12 under a builder whose 3.13 needs Debian 13): an app that
 * asked for nothing should build, not be told to ask. Undefined when the default runs here.
 *
 * @example
 * distroDefault({ source: "default", raw: "3.13.x", specifier: "==3.13.*" },
 *   [{ version: "3.11.2" }, { version: "3.13.5", distros: [{ name: "debian", version: "13" }] }],
 *   { name: "debian", version: "12" });
 * // { request: { source: "default", raw: "3.11.x", specifier: "==3.11.*" }, note: "The default CPython 3.13.x runs only on Debian 13 run images; this one is Debian 12: using 3.11.x" }
 */
export function distroDefault(
  request: VersionRequest,
  entries: readonly CpythonEntry[],
  distro: DependencyDistro | undefined,
): { request: VersionRequest; note: string } | undefined {
  if (!distro?.name || request.source !== "default") return undefined;
  const here = entries.filter((e) => runsOn(e, distro));
  if (here.length === 0 || here.some((e) => satisfies(e.version, request.specifier))) return undefined;
  const elsewhere = entries.filter((e) => satisfies(e.version, request.specifier));
  if (elsewhere.length === 0) return undefined;
  const line = pythonLine(newestFirst(here.map((e) => e.version))[0] as string);
  const where = [...new Set(elsewhere.flatMap((e) => (e.distros ?? []).map(describeDistro)))].join(" or ");
  return {
    request: { source: "default", raw: `${line}.x`, specifier: `==${line}.*` },
    note: `The default CPython ${request.raw} runs only on ${where} run images; this one is ${describeDistro(distro)}: using ${line}.x`,
  };
}

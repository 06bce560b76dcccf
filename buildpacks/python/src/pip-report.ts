/**
 * pip's installation report (`pip install --report FILE`, format version 1): what pip
 * resolved and where each distribution came from, and whether the same requirements would
 * resolve the same on another CPU (pure). They would when nothing was built from source here
 * (a build's metadata may depend on the CPU it ran on) and no requirement's environment marker
 * reads the CPU (`platform_machine == "x86_64"`): then pip on the other CPU picks the same
 * distributions at the same versions, and only their platform wheels differ.
 */
import { evaluateMarker, linuxCpython } from "./markers.js";

/** One distribution pip installed, as the report gives it (the fields read here). */
export interface ReportItem {
  download_info: { url: string };
  is_direct?: boolean;
  requested?: boolean;
  metadata: { name: string; version: string; requires_dist?: string[] };
}

/** The report: its format version and what was installed. */
export interface PipReport {
  version: string;
  install: ReportItem[];
}

/** Reads a report's JSON; one reason when it is not a version-1 report. */
export function parsePipReport(text: string): PipReport | { not: string } {
  let json: Partial<PipReport>;
  try {
    json = JSON.parse(text) as Partial<PipReport>;
  } catch {
    return { not: "pip's report is not JSON" };
  }
  if (json.version !== "1" || !Array.isArray(json.install)) {
    return { not: `pip's report is of format ${String(json.version)} (this reads 1)` };
  }
  return json as PipReport;
}

/**
 * Why the install this report describes may not resolve the same for CPython `version` on
 * `other` as on `native` ("amd64", "arm64"), or undefined when it resolves the same.
 * `requirements` are the texts of the requirements files pip read (`-r` and what they include).
 *
 * @example
 * crossArchBlocker(report, ["flask==3.1.3\n"], "3.13.5", "amd64", "arm64"); // undefined
 */
export function crossArchBlocker(
  report: PipReport,
  requirements: readonly string[],
  version: string,
  native: string,
  other: string,
): string | undefined {
  const envs = [linuxCpython(version, native), linuxCpython(version, other)] as const;
  const cpuDependent = (marker: string) => {
    const named = [...marker.matchAll(/extra\s*==\s*["']([^"']+)["']/g)].map((m) => m[1] ?? "");
    return [[], named].some(
      (extras) => evaluateMarker(marker, envs[0], extras) !== evaluateMarker(marker, envs[1], extras),
    );
  };
  const markerBlocker = (requirement: string, where: string) => {
    const at = requirement.indexOf(";");
    if (at < 0) return undefined;
    try {
      if (cpuDependent(requirement.slice(at + 1))) return `${where} "${requirement.trim()}" depends on the CPU`;
    } catch {
      return `${where} "${requirement.trim()}" has a marker this buildpack can't read`;
    }
    return undefined;
  };
  for (const text of requirements) {
    for (const raw of text.replace(/\\\r?\n/g, " ").split(/\r?\n/)) {
      const line = raw.replace(/(^|\s)#.*$/, "").trim();
      if (/(^|\s)--hash[=\s]/.test(line))
        return "the requirements pin wheel hashes (pip checks the other CPU's wheels there)";
      if (line === "" || line.startsWith("-")) continue;
      const blocker = markerBlocker(line, "the requirement");
      if (blocker) return blocker;
    }
  }
  for (const item of report.install) {
    const { name, version: v, requires_dist: requires = [] } = item.metadata;
    const file = item.download_info.url.split("/").at(-1) ?? "";
    if (item.is_direct) return `${name} ${v} is a direct reference (${item.download_info.url})`;
    if (!file.endsWith(".whl"))
      return `${name} ${v} was built here from ${file}: what a build makes may depend on the CPU`;
    for (const requirement of requires) {
      const blocker = markerBlocker(requirement, `${name} ${v}'s requirement`);
      if (blocker) return blocker;
    }
  }
  return undefined;
}

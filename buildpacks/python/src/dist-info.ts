/**
 * SBOM components for the distributions installed in a venv, read from each
 * `*.dist-info/METADATA` (core metadata: Name, Version, License-Expression, License,
 * classifiers). Sorted by name, so the SBOM is the same for the same venv.
 */
import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import type { SbomComponent } from "@cnbkit/framework";
import { normalizeName } from "./start-command.js";

/** One installed distribution. */
export interface Distribution {
  name: string;
  version: string;
  license?: string;
}

/** The header fields of a core metadata file (up to the first blank line). */
function headers(text: string): Map<string, string[]> {
  const out = new Map<string, string[]>();
  let last: string | undefined;
  for (const line of text.split(/\r?\n/)) {
    if (line === "") break;
    if (/^\s/.test(line) && last) continue; // a continuation line (a long License text)
    const i = line.indexOf(":");
    if (i <= 0) continue;
    last = line.slice(0, i).toLowerCase();
    out.set(last, [...(out.get(last) ?? []), line.slice(i + 1).trim()]);
  }
  return out;
}

/**
 * A distribution from its METADATA: the license is License-Expression, else a one-line
 * License field, else the first "License ::" classifier's last part.
 *
 * @example
 * parseDistMetadata("Name: Flask\nVersion: 3.1.0\nLicense-Expression: BSD-3-Clause\n") // { name: "Flask", version: "3.1.0", license: "BSD-3-Clause" }
 */
export function parseDistMetadata(text: string): Distribution | undefined {
  const h = headers(text);
  const name = h.get("name")?.[0];
  const version = h.get("version")?.[0];
  if (!name || !version) return undefined;
  const license = h.get("license-expression")?.[0] ?? shortLicense(h.get("license")?.[0]) ?? classifierLicense(h);
  return license ? { name, version, license } : { name, version };
}

/**
 * The Requires-Dist entries of a METADATA, as written (`setuptools (>=3.0)`,
 * `eventlet>=0.24.1; extra == "eventlet"`).
 *
 * @example
 * requiresDist("Name: gunicorn\nRequires-Dist: setuptools (>=3.0)\n") // ["setuptools (>=3.0)"]
 */
export function requiresDist(text: string): string[] {
  return headers(text).get("requires-dist") ?? [];
}

function shortLicense(text: string | undefined): string | undefined {
  const t = text?.trim();
  return t && t.length <= 60 && t.toUpperCase() !== "UNKNOWN" ? t : undefined;
}

function classifierLicense(h: Map<string, string[]>): string | undefined {
  const c = (h.get("classifier") ?? []).find((x) => x.startsWith("License ::"));
  return c?.split("::").at(-1)?.trim();
}

/** The SBOM component of a distribution: purl pkg:pypi/<normalized name>@<version>. */
export function distComponent(d: Distribution): SbomComponent {
  return {
    name: d.name,
    version: d.version,
    purl: `pkg:pypi/${normalizeName(d.name)}@${encodeURIComponent(d.version)}`,
    ...(d.license ? { licenses: [d.license] } : {}),
    type: "library",
  };
}

/** Every distribution in `sitePackages`, sorted by normalized name. */
export async function installedDistributions(sitePackages: string): Promise<Distribution[]> {
  const entries = await readdir(sitePackages).catch(() => [] as string[]);
  const out: Distribution[] = [];
  for (const e of entries.filter((x) => x.endsWith(".dist-info")).sort()) {
    const text = await readFile(join(sitePackages, e, "METADATA"), "utf8").catch(() => undefined);
    const d = text === undefined ? undefined : parseDistMetadata(text);
    if (d) out.push(d);
  }
  return out.sort((a, b) => normalizeName(a.name).localeCompare(normalizeName(b.name)));
}

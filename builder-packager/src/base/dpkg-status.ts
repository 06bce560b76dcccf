/**
 * What Debian packages a root filesystem holds, read as syft and Trivy read it: dpkg's
 * status file (`var/lib/dpkg/status`) for names, versions, sources and arches, and each
 * package's machine-readable copyright file (`usr/share/doc/<pkg>/copyright`, DEP-5) for
 * its licences. The result is a list of SBOM components for a base image's SBOM layer.
 *
 * Only packages whose status is "install ok installed" count: a package removed but not
 * purged ("deinstall ok config-files") leaves a stanza and no files.
 */
import { readFile, readlink } from "node:fs/promises";
import { join, posix } from "node:path";
import type { SbomComponent } from "@cnbkit/framework/sbom";

/** One installed package as dpkg's status file records it. */
export interface DpkgPackage {
  name: string;
  /** The full Debian version, epoch included (`1:2.38.1-5+deb12u3`). */
  version: string;
  /** The source package's name (the package's own name when the stanza has no `Source:`). */
  source: string;
  /** The source version when it differs from the binary's (`Source: glibc (2.36-9)`). */
  sourceVersion?: string;
  /** `amd64`, `arm64` or `all`. */
  arch: string;
  /** Licences from the copyright file, as SPDX ids where Debian's short name has one. */
  licenses: string[];
}

/**
 * Debian's DEP-5 short licence names that differ from SPDX ids, mapped to SPDX. Names that
 * already are SPDX ids (Zlib, Apache-2.0, MIT, ISC, ...) pass through as they are, and the
 * rest stay Debian's words (the SBOM writer turns them into LicenseRef-/names).
 */
const DEBIAN_TO_SPDX: Readonly<Record<string, string>> = {
  "gpl-1": "GPL-1.0-only",
  "gpl-1+": "GPL-1.0-or-later",
  "gpl-2": "GPL-2.0-only",
  "gpl-2+": "GPL-2.0-or-later",
  "gpl-3": "GPL-3.0-only",
  "gpl-3+": "GPL-3.0-or-later",
  "lgpl-2": "LGPL-2.0-only",
  "lgpl-2+": "LGPL-2.0-or-later",
  "lgpl-2.1": "LGPL-2.1-only",
  "lgpl-2.1+": "LGPL-2.1-or-later",
  "lgpl-3": "LGPL-3.0-only",
  "lgpl-3+": "LGPL-3.0-or-later",
  "agpl-3": "AGPL-3.0-only",
  "agpl-3+": "AGPL-3.0-or-later",
  "gfdl-1.2+": "GFDL-1.2-or-later",
  "gfdl-1.3+": "GFDL-1.3-or-later",
  expat: "MIT",
  "bsd-2-clause": "BSD-2-Clause",
  "bsd-3-clause": "BSD-3-Clause",
  "bsd-4-clause": "BSD-4-Clause",
  "mpl-1.1": "MPL-1.1",
  "mpl-2.0": "MPL-2.0",
  "artistic-2.0": "Artistic-2.0",
  "psf-2": "PSF-2.0",
  zlib: "Zlib",
  "apache-2.0": "Apache-2.0",
  "cc0-1.0": "CC0-1.0",
  isc: "ISC",
  openssl: "OpenSSL",
};

/** The stanzas of a Debian control-format file: one field map per paragraph, continuation lines joined. */
export function parseControlStanzas(text: string): Map<string, string>[] {
  const stanzas: Map<string, string>[] = [];
  let current = new Map<string, string>();
  let last = "";
  for (const line of text.split("\n")) {
    if (line.trim() === "") {
      if (current.size > 0) stanzas.push(current);
      current = new Map();
      last = "";
      continue;
    }
    if ((line.startsWith(" ") || line.startsWith("\t")) && last) {
      current.set(last, `${current.get(last)}\n${line.trim()}`);
      continue;
    }
    const colon = line.indexOf(":");
    if (colon <= 0) continue;
    last = line.slice(0, colon).toLowerCase();
    current.set(last, line.slice(colon + 1).trim());
  }
  if (current.size > 0) stanzas.push(current);
  return stanzas;
}

/**
 * The licences a DEP-5 copyright file names (the first line of each `License:` field,
 * split on `or`/`and`/`,`), in SPDX form where known, deduplicated and sorted. A copyright
 * file that is not machine-readable (no `Format:` line) yields none: guessing a licence
 * from prose is how scanners get it wrong.
 */
export function copyrightLicenses(text: string): string[] {
  if (!/^Format:\s*\S/m.test(text.split("\n\n")[0] ?? "")) return [];
  const out = new Set<string>();
  for (const stanza of parseControlStanzas(text)) {
    const field = stanza.get("license");
    if (!field) continue;
    const first = (field.split("\n")[0] ?? "").trim();
    for (const word of first.split(/\s+(?:or|and)\s+|,\s*|\s*\|\s*/i)) {
      const name = word.replace(/^\(|\)$/g, "").trim();
      if (!name || /^(?:with|exception)$/i.test(name)) continue;
      out.add(DEBIAN_TO_SPDX[name.toLowerCase()] ?? name);
    }
  }
  return [...out].sort();
}

/**
 * Reads a file inside `root` by its absolute in-image path, following symlinks inside the
 * image (an absolute link target is taken relative to `root`, never to the host).
 */
async function readInRoot(root: string, path: string, hops = 0): Promise<string | undefined> {
  if (hops > 16) return undefined;
  const parts = path.split("/").filter(Boolean);
  let at = "/";
  for (let i = 0; i < parts.length; i++) {
    const next = posix.join(at, parts[i] as string);
    const target = await readlink(join(root, next)).catch(() => undefined);
    if (target !== undefined) {
      const resolved = target.startsWith("/") ? target : posix.join(at, target);
      return readInRoot(root, posix.join(resolved, ...parts.slice(i + 1)), hops + 1);
    }
    at = next;
  }
  return readFile(join(root, at), "utf8").catch(() => undefined);
}

/** The installed packages of the root filesystem at `root`, sorted by name (then arch). */
export async function readDpkgPackages(root: string): Promise<DpkgPackage[]> {
  const status = await readFile(join(root, "var/lib/dpkg/status"), "utf8");
  const packages: DpkgPackage[] = [];
  for (const s of parseControlStanzas(status)) {
    const name = s.get("package");
    const version = s.get("version");
    if (!name || !version || !/\binstalled$/.test(s.get("status") ?? "")) continue;
    const [, srcName, srcVersion] = /^(\S+)(?:\s+\(([^)]+)\))?/.exec(s.get("source") ?? name) ?? [];
    const copyright = await readInRoot(root, `/usr/share/doc/${name}/copyright`);
    packages.push({
      name,
      version,
      source: srcName ?? name,
      ...(srcVersion && srcVersion !== version ? { sourceVersion: srcVersion } : {}),
      arch: s.get("architecture") ?? "all",
      licenses: copyright ? copyrightLicenses(copyright) : [],
    });
  }
  return packages.sort((a, b) => a.name.localeCompare(b.name) || a.arch.localeCompare(b.arch));
}

/**
 * The package URL of a Debian package, as syft writes it:
 * `pkg:deb/debian/<name>@<version>?arch=<arch>&upstream=<source>&distro=debian-<release>`.
 */
export function debianPurl(pkg: DpkgPackage, distroVersion: string): string {
  const qualifiers = [`arch=${encodeURIComponent(pkg.arch)}`];
  if (pkg.source !== pkg.name || pkg.sourceVersion) {
    const upstream = pkg.sourceVersion ? `${pkg.source}@${pkg.sourceVersion}` : pkg.source;
    qualifiers.push(`upstream=${encodeURIComponent(upstream)}`);
  }
  qualifiers.push(`distro=debian-${encodeURIComponent(distroVersion)}`);
  return `pkg:deb/debian/${encodeURIComponent(pkg.name)}@${encodeURIComponent(pkg.version)}?${qualifiers.join("&")}`;
}

/** The SBOM components of `packages` (one library each, supplier Debian). */
export function dpkgComponents(packages: readonly DpkgPackage[], distroVersion: string): SbomComponent[] {
  return packages.map((p) => ({
    name: p.name,
    version: p.version,
    type: "library",
    purl: debianPurl(p, distroVersion),
    ...(p.licenses.length > 0 ? { licenses: p.licenses } : {}),
    supplier: "Debian",
  }));
}

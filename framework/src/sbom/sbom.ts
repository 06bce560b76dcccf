/**
 * SBOM documents for layers and for launch/build: CycloneDX 1.6 JSON (through the CycloneDX
 * project's own library) and SPDX 2.3 JSON, built from {@link SbomComponent}s.
 *
 * Output is deterministic: the same components (in any order) give the same bytes. There is
 * no random serial number, document namespace or timestamp unless the caller passes one;
 * the defaults are derived from a sha256 of the content, and SPDX's required `created` is
 * fixed at 1980-01-01T00:00:01Z (the epoch reproducible image layers use).
 *
 * License strings are checked against the SPDX license list (spdx-license-ids, current and
 * deprecated ids). A valid id or a simple expression of valid ids joined by AND/OR (with
 * parentheses) is kept as SPDX; anything else becomes a CycloneDX license name and an SPDX
 * `LicenseRef-`; no license at all is NOASSERTION.
 */
import { createHash, randomBytes } from "node:crypto";
import { rename, rm, writeFile } from "node:fs/promises";
import { basename } from "node:path";
import * as CDX from "@cyclonedx/cyclonedx-library";
import deprecatedLicenseIds from "spdx-license-ids/deprecated.json" with { type: "json" };
import licenseIds from "spdx-license-ids/index.json" with { type: "json" };
import { CnbError } from "../errors/index.js";

/** One thing in a bill of materials: a dependency, a package from a lockfile, a file. */
export interface SbomComponent {
  name: string;
  version?: string;
  /** Package URL (https://github.com/package-url/purl-spec), e.g. `pkg:generic/node@24.11.1`. */
  purl?: string;
  /** CPE 2.3 (or 2.2) names; the first one is CycloneDX's `cpe`, the others `syft:cpe23` properties. */
  cpes?: string[];
  /** SPDX license ids or expressions; other strings are kept as license names. */
  licenses?: string[];
  /** Lower-case hex sha256 of the artifact. */
  sha256?: string;
  type?: "library" | "application" | "framework" | "operating-system" | "file";
  supplier?: string;
  description?: string;
}

/** The SBOM media types CNB's `sbom-formats` names, mapped to the file extension the lifecycle expects. */
export const SBOM_FORMATS: Readonly<Record<string, string>> = Object.freeze({
  "application/vnd.cyclonedx+json": "cdx.json",
  "application/spdx+json": "spdx.json",
});

/** Options for {@link cycloneDxJson}. */
export interface CycloneDxOptions {
  /** The subject (metadata.component): the layer or image the SBOM describes. */
  name?: string;
  version?: string;
  /** Adds metadata.timestamp; omitted by default so output is reproducible. */
  timestamp?: Date;
  /** Overrides the content-derived `urn:uuid:` serial number. */
  serialNumber?: string;
}

/** Options for {@link spdxJson}. */
export interface SpdxOptions {
  /** The document name, e.g. the layer name. */
  name: string;
  /** Overrides the content-derived `https://spdx.org/spdxdocs/<name>-<uuid>` namespace. */
  namespace?: string;
  /** creationInfo.created (ISO 8601, UTC); default 1980-01-01T00:00:01Z. */
  created?: string;
}

/** The fixed SPDX creation time used unless a caller asks for a real one. */
export const REPRODUCIBLE_CREATED = "1980-01-01T00:00:01Z";

// JSON imports (not createRequire) so the list is inlined when a buildpack is bundled.
const LICENSE_IDS: ReadonlyMap<string, string> = new Map(
  [...licenseIds, ...deprecatedLicenseIds].map((id: string) => [id.toLowerCase(), id]),
);

/** The canonical spelling of an SPDX license id (ids match case-insensitively), or undefined. */
export function spdxLicenseId(id: string): string | undefined {
  const plus = id.endsWith("+") ? "+" : "";
  const found = LICENSE_IDS.get((plus ? id.slice(0, -1) : id).toLowerCase());
  return found === undefined ? undefined : found + plus;
}

/**
 * Normalizes an SPDX license expression made of known ids, AND, OR and parentheses
 * (`MIT OR Apache-2.0`, `(MIT AND BSD-3-Clause) OR GPL-2.0-only`), or returns undefined.
 * WITH exceptions and LicenseRef- ids are not accepted: they need data we do not have.
 */
export function spdxExpression(text: string): string | undefined {
  const tokens = text.replace(/[()]/g, " $& ").trim().split(/\s+/);
  const out: string[] = [];
  let depth = 0;
  let wantOperand = true;
  for (const tok of tokens) {
    if (tok === "(") {
      if (!wantOperand) return undefined;
      depth++;
      out.push(tok);
    } else if (tok === ")") {
      if (wantOperand || depth === 0) return undefined;
      depth--;
      out.push(tok);
    } else if (tok === "AND" || tok === "OR") {
      if (wantOperand) return undefined;
      wantOperand = true;
      out.push(tok);
    } else {
      const id = spdxLicenseId(tok);
      if (!wantOperand || id === undefined) return undefined;
      wantOperand = false;
      out.push(id);
    }
  }
  if (wantOperand || depth !== 0) return undefined;
  return out.join(" ").replace(/\( /g, "(").replace(/ \)/g, ")");
}

const isCompound = (expr: string) => /\s/.test(expr);

/** The SPDX expression for several licenses that all apply (joined by AND), if all are valid. */
function combinedExpression(licenses: string[]): string | undefined {
  const parts = licenses.map(spdxExpression);
  if (parts.some((p) => p === undefined)) return undefined;
  const list = parts as string[];
  if (list.length === 1) return list[0];
  return list.map((p) => (isCompound(p) ? `(${p})` : p)).join(" AND ");
}

function sha256Hex(text: string): string {
  return createHash("sha256").update(text).digest("hex");
}

/** A UUID-shaped string from a hash, marked version 5 (name-based) with the RFC 4122 variant. */
function uuidFromHash(hex: string): string {
  const h = hex.slice(0, 32).split("");
  h[12] = "5";
  h[16] = "89ab"[Number.parseInt(h[16] ?? "0", 16) & 3] ?? "8";
  const s = h.join("");
  return `${s.slice(0, 8)}-${s.slice(8, 12)}-${s.slice(12, 16)}-${s.slice(16, 20)}-${s.slice(20, 32)}`;
}

/** A stable identity for a component, used for bom-refs, sorting and de-duplication. */
function componentKey(c: SbomComponent): string {
  return c.purl ?? (c.version === undefined ? c.name : `${c.name}@${c.version}`);
}

/** Components sorted by identity, exact duplicates dropped. */
function normalized(components: readonly SbomComponent[]): SbomComponent[] {
  const seen = new Set<string>();
  const out: SbomComponent[] = [];
  for (const c of components) {
    const canonical = JSON.stringify(canonicalComponent(c));
    if (seen.has(canonical)) continue;
    seen.add(canonical);
    out.push(c);
  }
  return out.sort((a, b) => {
    const ka = componentKey(a);
    const kb = componentKey(b);
    if (ka !== kb) return ka < kb ? -1 : 1;
    const ca = JSON.stringify(canonicalComponent(a));
    const cb = JSON.stringify(canonicalComponent(b));
    return ca < cb ? -1 : ca > cb ? 1 : 0;
  });
}

function canonicalComponent(c: SbomComponent): unknown[] {
  return [
    c.name,
    c.version,
    c.purl,
    [...(c.cpes ?? [])].sort(),
    [...(c.licenses ?? [])].sort(),
    c.sha256,
    c.type,
    c.supplier,
    c.description,
  ];
}

const CDX_TYPES: Record<NonNullable<SbomComponent["type"]>, CDX.Enums.ComponentType> = {
  library: CDX.Enums.ComponentType.Library,
  application: CDX.Enums.ComponentType.Application,
  framework: CDX.Enums.ComponentType.Framework,
  "operating-system": CDX.Enums.ComponentType.OperatingSystem,
  file: CDX.Enums.ComponentType.File,
};

const SHA256_RE = /^[0-9a-f]{64}$/;

function cdxLicenses(licenses: string[]): CDX.Models.License[] {
  if (licenses.length === 0) return [];
  const hasExpression = licenses.some((l) => spdxLicenseId(l.trim()) === undefined && spdxExpression(l) !== undefined);
  if (hasExpression) {
    const expr = combinedExpression(licenses);
    if (expr !== undefined) return [new CDX.Models.LicenseExpression(expr)];
  }
  return [...new Set(licenses)].sort().map((l) => {
    const id = spdxLicenseId(l.trim());
    return id === undefined ? new CDX.Models.NamedLicense(l) : new CDX.Models.SpdxLicense(id);
  });
}

/**
 * A CycloneDX 1.6 JSON document listing `components`. Deterministic; see the module notes.
 *
 * @example
 * await writeFile("node.sbom.cdx.json", cycloneDxJson([dependencyComponent(dep)], { name: "node" }));
 */
export function cycloneDxJson(components: readonly SbomComponent[], opts: CycloneDxOptions = {}): string {
  const bom = new CDX.Models.Bom();
  if (opts.name !== undefined) {
    bom.metadata.component = new CDX.Models.Component(CDX.Enums.ComponentType.Application, opts.name, {
      ...(opts.version === undefined ? {} : { version: opts.version }),
      bomRef: "subject",
    });
  }
  if (opts.timestamp) bom.metadata.timestamp = opts.timestamp;
  const usedRefs = new Map<string, number>();
  for (const c of normalized(components)) {
    const key = componentKey(c);
    const n = (usedRefs.get(key) ?? 0) + 1;
    usedRefs.set(key, n);
    const comp = new CDX.Models.Component(CDX_TYPES[c.type ?? "library"], c.name, {
      bomRef: n === 1 ? key : `${key}#${n}`,
      ...(c.version === undefined ? {} : { version: c.version }),
      ...(c.description === undefined ? {} : { description: c.description }),
    });
    if (c.purl !== undefined) (comp as { purl?: unknown }).purl = c.purl;
    const [cpe, ...moreCpes] = c.cpes ?? [];
    if (cpe !== undefined) comp.cpe = cpe;
    for (const more of moreCpes) comp.properties.add(new CDX.Models.Property("syft:cpe23", more));
    if (c.supplier !== undefined) comp.supplier = new CDX.Models.OrganizationalEntity({ name: c.supplier });
    if (c.sha256 !== undefined && SHA256_RE.test(c.sha256))
      comp.hashes.set(CDX.Enums.HashAlgorithm["SHA-256"], c.sha256);
    for (const l of cdxLicenses(c.licenses ?? [])) comp.licenses.add(l);
    bom.components.add(comp);
  }
  const serializer = new CDX.Serialize.JsonSerializer(new CDX.Serialize.JSON.Normalize.Factory(CDX.Spec.Spec1dot6));
  bom.serialNumber =
    opts.serialNumber ?? `urn:uuid:${uuidFromHash(sha256Hex(serializer.serialize(bom, { sortLists: true })))}`;
  return `${serializer.serialize(bom, { sortLists: true, space: 2 })}\n`;
}

const SPDX_PURPOSE: Record<NonNullable<SbomComponent["type"]>, string> = {
  library: "LIBRARY",
  application: "APPLICATION",
  framework: "FRAMEWORK",
  "operating-system": "OPERATING_SYSTEM",
  file: "FILE",
};

/** `[A-Za-z0-9.-]` only, as SPDX ids and LicenseRefs require. */
function spdxIdPart(text: string): string {
  return text.replace(/[^A-Za-z0-9.-]+/g, "-").replace(/^-+|-+$/g, "") || "x";
}

/**
 * An SPDX 2.3 JSON document listing `components` as packages the document DESCRIBES.
 * Deterministic; see the module notes.
 *
 * @example
 * spdxJson([dependencyComponent(dep)], { name: "node" })
 */
export function spdxJson(components: readonly SbomComponent[], opts: SpdxOptions): string {
  const extracted = new Map<string, string>();
  const licenseRef = (text: string) => {
    const id = `LicenseRef-${spdxIdPart(text)}`;
    extracted.set(id, text);
    return id;
  };
  const usedIds = new Set<string>();
  const packages = normalized(components).map((c) => {
    let id = `SPDXRef-Package-${spdxIdPart(c.name)}-${sha256Hex(JSON.stringify(canonicalComponent(c))).slice(0, 16)}`;
    while (usedIds.has(id)) id += "-1";
    usedIds.add(id);
    const licenses = c.licenses ?? [];
    let declared = "NOASSERTION";
    if (licenses.length > 0) {
      declared =
        combinedExpression(licenses) ??
        [...new Set(licenses)]
          .map((l) => {
            const expr = spdxExpression(l);
            if (expr === undefined) return licenseRef(l);
            return isCompound(expr) ? `(${expr})` : expr;
          })
          .join(" AND ");
    }
    const externalRefs: { referenceCategory: string; referenceType: string; referenceLocator: string }[] = [];
    if (c.purl !== undefined) {
      externalRefs.push({ referenceCategory: "PACKAGE-MANAGER", referenceType: "purl", referenceLocator: c.purl });
    }
    for (const cpe of c.cpes ?? []) {
      externalRefs.push({
        referenceCategory: "SECURITY",
        referenceType: cpe.startsWith("cpe:/") ? "cpe22Type" : "cpe23Type",
        referenceLocator: cpe,
      });
    }
    return {
      name: c.name,
      SPDXID: id,
      ...(c.version === undefined ? {} : { versionInfo: c.version }),
      supplier: c.supplier === undefined ? "NOASSERTION" : `Organization: ${c.supplier}`,
      downloadLocation: "NOASSERTION",
      filesAnalyzed: false,
      ...(c.sha256 !== undefined && SHA256_RE.test(c.sha256)
        ? { checksums: [{ algorithm: "SHA256", checksumValue: c.sha256 }] }
        : {}),
      licenseConcluded: "NOASSERTION",
      licenseDeclared: declared,
      copyrightText: "NOASSERTION",
      ...(c.description === undefined ? {} : { description: c.description }),
      ...(externalRefs.length > 0 ? { externalRefs } : {}),
      primaryPackagePurpose: SPDX_PURPOSE[c.type ?? "library"],
    };
  });
  const body = {
    packages,
    relationships: packages.map((p) => ({
      spdxElementId: "SPDXRef-DOCUMENT",
      relationshipType: "DESCRIBES",
      relatedSpdxElement: p.SPDXID,
    })),
    ...(extracted.size > 0
      ? {
          hasExtractedLicensingInfos: [...extracted]
            .sort(([a], [b]) => (a < b ? -1 : 1))
            .map(([licenseId, text]) => ({ licenseId, extractedText: text, name: text })),
        }
      : {}),
  };
  const namespace =
    opts.namespace ??
    `https://spdx.org/spdxdocs/${spdxIdPart(opts.name)}-${uuidFromHash(sha256Hex(JSON.stringify([opts.name, body])))}`;
  const doc = {
    spdxVersion: "SPDX-2.3",
    dataLicense: "CC0-1.0",
    SPDXID: "SPDXRef-DOCUMENT",
    name: opts.name,
    documentNamespace: namespace,
    creationInfo: { created: opts.created ?? REPRODUCIBLE_CREATED, creators: ["Tool: cnbkit"] },
    ...body,
  };
  return `${JSON.stringify(doc, null, 2)}\n`;
}

/** Options for {@link writeSbomFiles}; `name` defaults to the base name without `.sbom`. */
export interface WriteSbomOptions {
  name?: string;
  version?: string;
  namespace?: string;
  created?: string;
  timestamp?: Date;
}

/**
 * Writes `<basePath>.<ext>` for each media type in `formats` (see {@link SBOM_FORMATS}), each
 * atomically. With basePath `<layers>/node.sbom`, CycloneDX lands in `node.sbom.cdx.json`.
 *
 * @throws CnbError for a media type cnbkit cannot write, before writing anything.
 */
export async function writeSbomFiles(
  basePath: string,
  formats: readonly string[],
  components: readonly SbomComponent[],
  opts: WriteSbomOptions = {},
): Promise<void> {
  for (const f of formats) {
    if (SBOM_FORMATS[f] === undefined) {
      throw new CnbError(
        `${basePath}: unsupported SBOM format "${f}" (supported: ${Object.keys(SBOM_FORMATS).join(", ")})`,
        { hint: "Set sbom-formats in buildpack.toml to media types cnbkit can write." },
      );
    }
  }
  const name = opts.name ?? basename(basePath).replace(/\.sbom$/, "");
  for (const f of [...new Set(formats)]) {
    const text =
      f === "application/spdx+json"
        ? spdxJson(components, {
            name,
            ...(opts.namespace === undefined ? {} : { namespace: opts.namespace }),
            ...(opts.created === undefined ? {} : { created: opts.created }),
          })
        : cycloneDxJson(components, {
            name,
            ...(opts.version === undefined ? {} : { version: opts.version }),
            ...(opts.timestamp === undefined ? {} : { timestamp: opts.timestamp }),
          });
    await writeFileAtomic(`${basePath}.${SBOM_FORMATS[f]}`, text);
  }
}

/** Writes `text` to a temp file beside `path`, then renames it over `path`. */
async function writeFileAtomic(path: string, text: string): Promise<void> {
  const tmp = `${path}.tmp-${randomBytes(6).toString("hex")}`;
  try {
    await writeFile(tmp, text, { mode: 0o644 });
    await rename(tmp, path);
  } catch (err) {
    await rm(tmp, { force: true });
    throw err;
  }
}

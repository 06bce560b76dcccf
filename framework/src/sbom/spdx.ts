/** SPDX 2.3 JSON, with a content-derived namespace and a fixed creation time by default. */
import {
  canonicalComponent,
  normalized,
  SHA256_HEX,
  type SbomComponent,
  sha256Hex,
  uuidFromHash,
} from "./component.js";
import { combinedExpression, isCompound, spdxExpression } from "./spdx-license.js";

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
    return spdxPackage(c, id, licenseRef);
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

/**
 * One SPDX package for `c`, named `id`; `licenseRef` turns a license text that is no SPDX
 * expression into a LicenseRef the document then lists. Keys in a fixed order: the output is
 * compared byte for byte.
 */
function spdxPackage(c: SbomComponent, id: string, licenseRef: (text: string) => string) {
  const externalRefs = spdxExternalRefs(c);
  return {
    name: c.name,
    SPDXID: id,
    ...(c.version === undefined ? {} : { versionInfo: c.version }),
    supplier: c.supplier === undefined ? "NOASSERTION" : `Organization: ${c.supplier}`,
    downloadLocation: "NOASSERTION",
    filesAnalyzed: false,
    ...(c.sha256 !== undefined && SHA256_HEX.test(c.sha256)
      ? { checksums: [{ algorithm: "SHA256", checksumValue: c.sha256 }] }
      : {}),
    licenseConcluded: "NOASSERTION",
    licenseDeclared: declaredLicense(c.licenses ?? [], licenseRef),
    copyrightText: "NOASSERTION",
    ...(c.description === undefined ? {} : { description: c.description }),
    ...(externalRefs.length > 0 ? { externalRefs } : {}),
    primaryPackagePurpose: SPDX_PURPOSE[c.type ?? "library"],
  };
}

/** licenseDeclared: one expression for all of `licenses`, each as SPDX has it or as a LicenseRef. */
function declaredLicense(licenses: string[], licenseRef: (text: string) => string): string {
  if (licenses.length === 0) return "NOASSERTION";
  return (
    combinedExpression(licenses) ??
    [...new Set(licenses)]
      .map((l) => {
        const expr = spdxExpression(l);
        if (expr === undefined) return licenseRef(l);
        return isCompound(expr) ? `(${expr})` : expr;
      })
      .join(" AND ")
  );
}

/** The purl and CPEs of `c` as SPDX external references (a CPE 2.2 by its `cpe:/` form). */
function spdxExternalRefs(
  c: SbomComponent,
): { referenceCategory: string; referenceType: string; referenceLocator: string }[] {
  const refs: { referenceCategory: string; referenceType: string; referenceLocator: string }[] = [];
  if (c.purl !== undefined) {
    refs.push({ referenceCategory: "PACKAGE-MANAGER", referenceType: "purl", referenceLocator: c.purl });
  }
  for (const cpe of c.cpes ?? []) {
    refs.push({
      referenceCategory: "SECURITY",
      referenceType: cpe.startsWith("cpe:/") ? "cpe22Type" : "cpe23Type",
      referenceLocator: cpe,
    });
  }
  return refs;
}

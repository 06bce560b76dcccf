/** CycloneDX 1.6 JSON, through the CycloneDX project's own library. */
import * as CDX from "@cyclonedx/cyclonedx-library";
import { componentKey, normalized, SHA256_HEX, type SbomComponent, sha256Hex, uuidFromHash } from "./component.js";
import { combinedExpression, spdxExpression, spdxLicenseId } from "./spdx-license.js";

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

const CDX_TYPES: Record<NonNullable<SbomComponent["type"]>, CDX.Enums.ComponentType> = {
  library: CDX.Enums.ComponentType.Library,
  application: CDX.Enums.ComponentType.Application,
  framework: CDX.Enums.ComponentType.Framework,
  "operating-system": CDX.Enums.ComponentType.OperatingSystem,
  file: CDX.Enums.ComponentType.File,
};

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
    if (c.sha256 !== undefined && SHA256_HEX.test(c.sha256))
      comp.hashes.set(CDX.Enums.HashAlgorithm["SHA-256"], c.sha256);
    for (const l of cdxLicenses(c.licenses ?? [])) comp.licenses.add(l);
    bom.components.add(comp);
  }
  const serializer = new CDX.Serialize.JsonSerializer(new CDX.Serialize.JSON.Normalize.Factory(CDX.Spec.Spec1dot6));
  bom.serialNumber =
    opts.serialNumber ?? `urn:uuid:${uuidFromHash(sha256Hex(serializer.serialize(bom, { sortLists: true })))}`;
  return `${serializer.serialize(bom, { sortLists: true, space: 2 })}\n`;
}

/**
 * The component an SBOM lists, and what makes both formats' output deterministic: components
 * sorted by identity with exact duplicates dropped, and ids derived from a sha256 of the
 * content instead of random ones.
 */
import { createHash } from "node:crypto";

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

/** A lower-case hex sha256: the only form of a hash an SBOM states. */
export const SHA256_HEX = /^[0-9a-f]{64}$/;

/** The lower-case hex sha256 of `text`. */
export function sha256Hex(text: string): string {
  return createHash("sha256").update(text).digest("hex");
}

/** A UUID-shaped string from a hash, marked version 5 (name-based) with the RFC 4122 variant. */
export function uuidFromHash(hex: string): string {
  const h = hex.slice(0, 32).split("");
  h[12] = "5";
  h[16] = "89ab"[Number.parseInt(h[16] ?? "0", 16) & 3] ?? "8";
  const s = h.join("");
  return `${s.slice(0, 8)}-${s.slice(8, 12)}-${s.slice(12, 16)}-${s.slice(16, 20)}-${s.slice(20, 32)}`;
}

/** A stable identity for a component, used for bom-refs, sorting and de-duplication. */
export function componentKey(c: SbomComponent): string {
  return c.purl ?? (c.version === undefined ? c.name : `${c.name}@${c.version}`);
}

/** Components sorted by identity, exact duplicates dropped. */
export function normalized(components: readonly SbomComponent[]): SbomComponent[] {
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

/** A component as a fixed-order list, sorted where order means nothing: compared as JSON. */
export function canonicalComponent(c: SbomComponent): unknown[] {
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

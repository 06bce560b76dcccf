/**
 * SPDX license ids and expressions: strings are checked against the SPDX license list
 * (spdx-license-ids, current and deprecated ids). A valid id or a simple expression of valid
 * ids joined by AND/OR (with parentheses) is kept as SPDX; the formats treat anything else
 * as a license name.
 */
import deprecatedLicenseIds from "spdx-license-ids/deprecated.json" with { type: "json" };
import licenseIds from "spdx-license-ids/index.json" with { type: "json" };

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

/** True when an expression has operators, so it needs parentheses inside another. */
export const isCompound = (expr: string) => /\s/.test(expr);

/** The SPDX expression for several licenses that all apply (joined by AND), if all are valid. */
export function combinedExpression(licenses: string[]): string | undefined {
  const parts = licenses.map(spdxExpression);
  if (parts.some((p) => p === undefined)) return undefined;
  const list = parts as string[];
  if (list.length === 1) return list[0];
  return list.map((p) => (isCompound(p) ? `(${p})` : p)).join(" AND ");
}

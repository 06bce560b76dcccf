/**
 * The venv layer's metadata, as a type of its own: the dependency step writes it, and the step
 * that makes other CPUs' venvs (make-venv-variants.ts) stores it with each variant.
 */
import { metadataSchema } from "@cnbkit/framework";
import type { Distribution } from "./dist-info.js";

/**
 * The venv layer's metadata: its distributions, bin entries and top-level modules. A layer
 * from a build before bin and modules were kept has neither (the start checks then trust it).
 */
export const venvMetadata = metadataSchema({ packages: distributions, bin: "string[]?", modules: "string[]?" });

/** What {@link venvMetadata} holds. */
export type VenvMetadata = ReturnType<typeof venvMetadata.validate>;

/** Distributions read back from TOML: each a table with a string name and version. */
function distributions(value: unknown, field: string): Distribution[] {
  const ok = (d: unknown): d is Distribution =>
    typeof d === "object" &&
    d !== null &&
    typeof (d as { name?: unknown }).name === "string" &&
    typeof (d as { version?: unknown }).version === "string";
  if (value === undefined) return [];
  if (!Array.isArray(value) || !value.every(ok)) throw new Error(`${field} is not a list of distributions`);
  return value;
}

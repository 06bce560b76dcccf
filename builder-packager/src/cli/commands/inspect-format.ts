/**
 * Options and output pieces shared by `cnbkit builder inspect` and `cnbkit buildpack
 * inspect`: the `--depth`/`--platform` flags, and pack's buildpacks table.
 */
import { CnbError } from "@cnbkit/framework";
import type { Platform } from "../../oci/index.js";
import type { ModuleInfoJson } from "../../package/index.js";
import { alignColumns } from "../columns.js";
import { type Invocation, type OptionSpec, stringOption } from "../command.js";

/** The flags both inspect commands take. */
export const INSPECT_OPTIONS: Record<string, OptionSpec> = {
  json: { type: "boolean", help: "print the result as JSON (pack's field names)" },
  depth: {
    type: "string",
    short: "d",
    value: "<n>",
    help: "levels of composite buildpacks to expand in the detection order (default: all)",
  },
  platform: {
    type: "string",
    value: "<os/arch>",
    help: "which image of a multi-platform index (default: this host's)",
  },
  "insecure-registry": { type: "boolean", help: "use plain HTTP for a non-loopback registry" },
};

/** `--depth` as a number (-1 when absent); a one-line error when it is not an integer. */
export function depthOption(inv: Invocation): number {
  const raw = stringOption(inv, "depth");
  if (raw === undefined) return -1;
  if (!/^-?\d+$/.test(raw)) throw new CnbError(`--depth "${raw}" is not a whole number`, { hint: "e.g. --depth 1" });
  return Number(raw);
}

/** `--platform os/arch[/variant]`, or undefined. */
export function platformOption(inv: Invocation): Platform | undefined {
  const raw = stringOption(inv, "platform");
  if (raw === undefined) return undefined;
  const [os, architecture, variant, extra] = raw.split("/");
  if (!os || !architecture || extra !== undefined) {
    throw new CnbError(`--platform "${raw}" must be os/arch[/variant]`, { hint: "e.g. --platform linux/arm64" });
  }
  return { os, architecture, ...(variant ? { variant } : {}) };
}

/** pack's `Buildpacks:` table: ID, NAME, VERSION, HOMEPAGE, "-" for what is missing. */
export function buildpacksTable(buildpacks: ModuleInfoJson[]): string[] {
  if (buildpacks.length === 0) return ["  (none)"];
  return alignColumns(
    [
      ["  ID", "NAME", "VERSION", "HOMEPAGE"],
      ...buildpacks.map((b) => [`  ${b.id}`, b.name || "-", b.version, b.homepage || "-"]),
    ],
    8,
  );
}

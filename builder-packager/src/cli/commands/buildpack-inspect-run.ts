/** What `cnbkit buildpack inspect` does, loaded only when it runs (buildpack-inspect.ts declares its usage and options). */
import { type BuildpackageInfo, inspectBuildpackage } from "../../package/index.js";
import { nestedOrderTree } from "../order-tree.js";
import { buildpacksTable, depthOption, platformOption } from "./inspect-format.js";
import type { Invocation } from "../command.js";

/** Runs `cnbkit buildpack inspect`. */
export async function run(inv: Invocation): Promise<number | undefined> {
  const source = inv.positionals[0]!;
  const info = await inspectBuildpackage(source, {
    depth: depthOption(inv),
    platform: platformOption(inv),
    store: { insecure: inv.values["insecure-registry"] === true },
  });
  if (inv.values.json) inv.out(JSON.stringify(info, null, 2));
  else for (const line of buildpackLines(info)) inv.out(line);
  return 0;
}

/** The human-readable report, in pack's sections (Targets added: pack shows only stacks). */
function buildpackLines(info: BuildpackageInfo): string[] {
  const bp = info.buildpack;
  return [
    `Inspecting buildpack: '${info.source}'`,
    "",
    `Buildpack: ${bp.id}@${bp.version}${bp.name ? ` (${bp.name})` : ""}${bp.api ? `, API ${bp.api}` : ""}`,
    ...(bp.homepage ? [`Homepage: ${bp.homepage}`] : []),
    "",
    "Stacks:",
    ...(info.stacks.length ? info.stacks.map((s) => `  ID: ${s.id}`) : ["  (none)"]),
    "",
    "Targets:",
    ...(info.targets.length
      ? info.targets.map((t) => `  ${t.os}/${t.arch}${t.variant ? `/${t.variant}` : ""}`)
      : ["  (any)"]),
    "",
    "Buildpacks:",
    ...buildpacksTable(info.buildpacks),
    "",
    "Detection Order:",
    ...nestedOrderTree(info.detection_order),
  ];
}

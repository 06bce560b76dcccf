/** What `cnbkit builder inspect` does, loaded only when it runs (builder-inspect.ts declares its usage and options). */
import { type BuilderInfo, inspectBuilder } from "../../builder/index.js";
import { orderTree } from "../order-tree.js";
import { imageRef } from "../refs.js";
import { buildpacksTable, depthOption, platformOption } from "./inspect-format.js";
import type { Invocation } from "../command.js";

/** Runs `cnbkit builder inspect`. */
export async function run(inv: Invocation): Promise<number | undefined> {
  const ref = inv.positionals[0]!;
  const info = await inspectBuilder(imageRef(ref), {
    depth: depthOption(inv),
    platform: platformOption(inv),
    store: { insecure: inv.values["insecure-registry"] === true },
  });
  if (inv.values.json) inv.out(JSON.stringify(info, null, 2));
  else for (const line of builderLines(ref, info)) inv.out(line);
  return 0;
}

/** The human-readable report, in pack's sections and order. */
function builderLines(ref: string, info: BuilderInfo): string[] {
  const apis = (v: string[]) => (v.length ? v.join(", ") : "(none)");
  const { lifecycle: l } = info;
  return [
    `Inspecting builder: '${ref}'`,
    "",
    ...(info.description ? [`Description: ${info.description}`] : []),
    ...(info.created_by.name
      ? ["Created By:", `  Name: ${info.created_by.name}`, `  Version: ${info.created_by.version}`]
      : []),
    ...(info.stack ? ["Stack:", `  ID: ${info.stack.id}`] : []),
    `Platforms: ${info.image.platforms.join(", ")} (showing ${info.image.os}/${info.image.architecture})`,
    "",
    "Lifecycle:",
    `  Version: ${l.version ?? "(none)"}`,
    "  Buildpack APIs:",
    `    Deprecated: ${apis(l.buildpack_apis.deprecated)}`,
    `    Supported: ${apis(l.buildpack_apis.supported)}`,
    "  Platform APIs:",
    `    Deprecated: ${apis(l.platform_apis.deprecated)}`,
    `    Supported: ${apis(l.platform_apis.supported)}`,
    "",
    "Run Images:",
    ...(info.run_images.length ? info.run_images.map((r) => `  ${r.name}`) : ["  (none)"]),
    "",
    "Buildpacks:",
    ...buildpacksTable(info.buildpacks),
    "",
    "Detection Order:",
    ...orderTree(info.detection_order),
    ...(info.extensions ? ["", "Extensions:", ...buildpacksTable(info.extensions)] : []),
    ...(info.order_extensions ? ["", "Detection Order (Extensions):", ...extensionOrder(info.order_extensions)] : []),
    ...(info.system ? ["", "System Buildpacks:", ...systemLines(info.system)] : []),
  ];
}

/**
 * The extension order drawn as pack draws it: a group of one extension (the usual case) as that
 * extension's row. pack keeps only the last extension of each group (internal/builder/inspect.go
 * orderExttoPubbldrDetectionOrderExt), so a larger group is drawn as a group instead of losing
 * extensions.
 */
function extensionOrder(order: NonNullable<BuilderInfo["order_extensions"]>): string[] {
  return orderTree(order.map((o) => (o.group.length === 1 ? { ...o.group[0]! } : { buildpacks: o.group })));
}

/** The pre and post system buildpacks, one per line, in the order the lifecycle runs them. */
function systemLines(system: NonNullable<BuilderInfo["system"]>): string[] {
  const side = (name: string, s: (typeof system)["pre"]) =>
    s?.buildpacks.length
      ? [
          `  ${name}:`,
          ...s.buildpacks.map(
            (b) => `    ${b.id}${b.version ? `@${b.version}` : ""}${b.optional ? " (optional)" : ""}`,
          ),
        ]
      : [];
  return [...side("Pre", system.pre), ...side("Post", system.post)];
}

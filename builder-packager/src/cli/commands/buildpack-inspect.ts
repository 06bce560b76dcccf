/** `cnbkit buildpack inspect`: a buildpack's or buildpackage's buildpacks, targets and detection order. */
import { type BuildpackageInfo, inspectBuildpackage } from "../../package/index.js";
import type { Command } from "../command.js";
import { nestedOrderTree } from "../order-tree.js";
import { buildpacksTable, depthOption, INSPECT_OPTIONS, platformOption } from "./inspect-format.js";

/** `cnbkit buildpack inspect <dir|.cnb|oci:dir[:tag]|ref> [--json]`. */
export const buildpackInspectCommand: Command = {
  name: "buildpack inspect",
  summary: "Show a buildpack's or buildpackage's buildpacks, targets and detection order",
  usage: "cnbkit buildpack inspect <dir|file.cnb|oci:dir[:tag]|ref> [--json] [--depth <n>] [--platform <os/arch>]",
  description: "What `pack buildpack inspect` shows. A directory is read from its buildpack.toml, without packaging.",
  positionals: { min: 1, max: 1, names: "<buildpack>" },
  options: INSPECT_OPTIONS,
  examples: [
    "cnbkit buildpack inspect buildpacks/nodejs",
    "cnbkit buildpack inspect out/nodejs.cnb --json",
    "cnbkit buildpack inspect oci:out/nodejs:0.1.0 --platform linux/arm64 --depth 1",
    "cnbkit buildpack inspect 192.168.1.5:5000/acme/nodejs:0.1.0 --insecure-registry",
  ],
  async run(inv) {
    const source = inv.positionals[0]!;
    const info = await inspectBuildpackage(source, {
      depth: depthOption(inv),
      platform: platformOption(inv),
      store: { insecure: inv.values["insecure-registry"] === true },
    });
    if (inv.values.json) inv.out(JSON.stringify(info, null, 2));
    else for (const line of buildpackLines(info)) inv.out(line);
    return 0;
  },
};

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

/** `cnbkit inspect`: what an app image runs and what it was built from. */
import { commandLine } from "@cnbkit/framework/log";
import { formatBytes } from "../progress.js";
import { inspectImage } from "../../platform/index.js";
import type { Command } from "../command.js";
import { imageRef } from "../refs.js";

/** `cnbkit inspect <image> [--json]`. */
export const inspectCommand: Command = {
  name: "inspect",
  summary: "Show an app image's processes, buildpacks, run image, base labels and layers",
  usage: "cnbkit inspect <image> [--json]",
  positionals: { min: 1, max: 1, names: "<image>" },
  examples: ["cnbkit inspect oci:out/app:latest", "cnbkit inspect registry.example.com/acme/app:1 --json"],
  options: { json: { type: "boolean", help: "print the result as JSON" } },
  async run(inv) {
    const info = await inspectImage(imageRef(inv.positionals[0]!));
    if (inv.values.json) {
      inv.out(JSON.stringify(info, null, 2));
      return 0;
    }
    inv.out(`Image: ${inv.positionals[0]} (${info.digest}, ${info.os}/${info.architecture})`);
    inv.out(`Run image: ${info.runImage.image ?? info.runImage.reference ?? "unknown"}`);
    inv.out(`Rebasable: ${info.rebasable ? "yes" : "no"}`);
    inv.out("Base labels:");
    for (const [k, v] of Object.entries(info.baseLabels)) inv.out(`  ${k}: ${v}`);
    inv.out("Buildpacks:");
    for (const bp of info.buildpacks) inv.out(`  ${bp.id}@${bp.version}`);
    inv.out("Processes:");
    for (const p of info.processes) {
      inv.out(`  ${p.type}${p.default ? " (default)" : ""}: ${commandLine([...p.command, ...p.args])}`);
    }
    inv.out("Layers:");
    for (const l of info.layers) inv.out(`  ${l.digest.slice(7, 19)}  ${formatBytes(l.size).padStart(8)}  ${l.origin}`);
    return 0;
  },
};

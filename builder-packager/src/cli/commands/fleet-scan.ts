/** `cnbkit fleet scan`: an inventory of every CNB app image the targets name, from metadata alone. */
import { type Command, lazyRun } from "../command.js";
import { TARGET_OPTIONS } from "./fleet-options.js";

/** `cnbkit fleet scan <target>... [--output fleet.json] [--previous fleet.json] [--key cosign.pub]`. */
export const fleetScanCommand: Command = {
  name: "fleet scan",
  summary:
    "Inventory every CNB app image in registries, repositories or layouts (manifests, configs, SBOMs, signatures)",
  usage:
    "cnbkit fleet scan <target>... [--images-from <file>] [--output <fleet.json>] [--previous <fleet.json>] [--key <cosign.pub>]",
  description: [
    "A target is a registry (127.0.0.1:5000: its catalog), a prefix (host/team/), a repository",
    "(host/team/app: all tags), an image (host/team/app:1) or oci:<dir>. Nothing but manifests,",
    "configs, SBOM layers and cosign's .sig/.att images is read. A re-scan (the output file exists,",
    "or --previous) asks each tag's digest with HEAD and reads only what changed.",
    "Exits 1 when some image could not be read (listed in the inventory's errors).",
  ].join("\n"),
  positionals: { min: 0, max: 1000, names: "<target>..." },
  options: {
    output: { type: "string", short: "o", value: "<file>", help: "where to write the inventory (default fleet.json)" },
    previous: { type: "string", value: "<file>", help: "the last inventory (default: the output file, if it is one)" },
    ...TARGET_OPTIONS,
  },
  examples: [
    "cnbkit fleet scan 127.0.0.1:5000",
    "cnbkit fleet scan registry.example.com/team-a/ registry.example.com/team-b/app --key cosign.pub -o fleet.json",
    "cnbkit fleet scan --images-from images.txt oci:out/app --concurrency 32 --previous yesterday.json",
    "cnbkit fleet scan 10.0.0.5:5000/apps/ --insecure-registry",
    "cnbkit fleet scan 127.0.0.1:5000/apps/ --kubernetes --kube-context prod --kube-namespace shop -o fleet.json",
  ],
  run: lazyRun(() => import("./fleet-scan-run.js")),
};

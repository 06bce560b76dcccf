/** `cnbkit fleet patch`: runtime layers (Node.js, CPython, a JRE) of a fleet moved to a newer patch release without rebuilds. */
import { type Command, lazyRun } from "../command.js";
import { QUERY_OPTIONS, TARGET_OPTIONS } from "./fleet-options.js";

/** `cnbkit fleet patch --from <reference image> [--inventory fleet.json | <target>...] [--dry-run] [--sign-key k]`. */
export const fleetPatchCommand: Command = {
  name: "fleet patch",
  summary:
    "Patch the runtime layers (Node.js, CPython, JRE) of a fleet to a newer release of the same line, without rebuilds",
  usage:
    "cnbkit fleet patch --from <reference image> [--inventory <fleet.json> | <target>...] [query flags] [--dry-run] [--sign-key <file>] [--concurrency <n>] [--report <file>]",
  description: [
    "The reference image is any app image built with the newer runtime (e.g. one app rebuilt after the fix).",
    "Each image whose runtime layer records a patch rule (the buildpack's: Node.js same major, CPython same",
    "minor, a JRE same feature release), whose layer is still what the buildpack recorded, and whose layer",
    "has the reference's shape, gets the reference's layer in its place: config, manifest, the lifecycle",
    "label and the SBOM layer are rewritten; app layers are untouched. A tag moves only if it still names",
    "the digest the scan saw; a re-run does only what is left. Exits 1 when a patch failed.",
  ].join("\n"),
  positionals: { min: 0, max: 1000, names: "<target>..." },
  options: {
    from: { type: "string", value: "<image>", help: "the reference image whose layers replace older ones (required)" },
    inventory: {
      type: "string",
      short: "i",
      value: "<file>",
      help: "the inventory (else the targets are scanned first)",
    },
    "dry-run": { type: "boolean", help: "print the plan and change nothing" },
    "sign-key": {
      type: "string",
      value: "<file>",
      help: "sign each new digest and attest its provenance (the patch) and its new SBOMs",
    },
    report: { type: "string", value: "<file>", help: "write the report (every image and what happened) as JSON" },
    ...QUERY_OPTIONS,
    ...TARGET_OPTIONS,
  },
  examples: [
    "cnbkit fleet patch -i fleet.json --from registry.example.com/shop/cart:2026-11-28 --dry-run",
    "cnbkit fleet patch -i fleet.json --from registry.example.com/shop/cart:2026-11-28 --package npm:node@'<24.21.0' --sign-key cosign.key",
    "cnbkit fleet patch 127.0.0.1:5000/apps/ --from 127.0.0.1:5000/apps/ref:node-24.21.0 --concurrency 32 --report patch.json",
    "cnbkit fleet patch 10.0.0.5:5000/apps/ --images-from images.txt --insecure-registry --key cosign.pub --from 10.0.0.5:5000/apps/ref:node-24.21.0 --buildpack cnbkit/nodejs --unsigned --no-provenance --not-rebasable --built-before 2026-11-01",
    "cnbkit fleet patch 127.0.0.1:5000/apps/ --kubernetes --kube-context prod --kube-namespace shop --running --run-image 127.0.0.1:5000/base/run:2 --behind --from 127.0.0.1:5000/apps/ref:node-24.21.0",
  ],
  run: lazyRun(() => import("./fleet-patch-run.js")),
};

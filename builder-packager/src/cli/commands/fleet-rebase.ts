/** `cnbkit fleet rebase`: every image whose run image is behind, onto the new one, many at once. */
import { type Command, lazyRun } from "../command.js";
import { QUERY_OPTIONS, TARGET_OPTIONS } from "./fleet-options.js";

const { "run-image": _runImageFilter, behind: _behind, ...QUERY_FILTERS } = QUERY_OPTIONS;

/** `cnbkit fleet rebase --run-image <ref> [--inventory fleet.json | <target>...] [--dry-run] [--sign-key k]`. */
export const fleetRebaseCommand: Command = {
  name: "fleet rebase",
  summary: "Rebase every image of a fleet whose run image is behind onto the new run image",
  usage:
    "cnbkit fleet rebase --run-image <ref> [--inventory <fleet.json> | <target>...] [query flags] [--dry-run] [--sign-key <file>] [--concurrency <n>] [--report <file>]",
  description: [
    "Images on the run image's repository whose top layer is not its current one are rebased (config and",
    "manifest only). A tag moves only if it still names the digest the scan saw; one pushed since is",
    "skipped. A re-run after an interruption does only what is left. Query flags narrow the images.",
    "Each image's needs (sonames, GLIBC_ versions) are checked against the new run image first: an image it",
    "does not meet is refused, one line each, and nothing of it is written (--force rebases it anyway).",
    "With --inventory, the inventory is brought up to date afterwards. Exits 1 when a rebase failed or was refused.",
  ].join("\n"),
  positionals: { min: 0, max: 1000, names: "<target>..." },
  options: {
    "run-image": { type: "string", value: "<ref>", help: "the new run image (required)" },
    inventory: {
      type: "string",
      short: "i",
      value: "<file>",
      help: "the inventory (else the targets are scanned first)",
    },
    "dry-run": { type: "boolean", help: "print the plan and change nothing" },
    force: {
      type: "boolean",
      help: "rebase images even where the new run image lacks a soname or symbol version their layers need (each is reported)",
    },
    "sign-key": {
      type: "string",
      value: "<file>",
      help: "sign each new digest and attest its provenance, as cnbkit rebase does",
    },
    report: { type: "string", value: "<file>", help: "write the report (every image and what happened) as JSON" },
    ...QUERY_FILTERS,
    ...TARGET_OPTIONS,
  },
  examples: [
    "cnbkit fleet rebase -i fleet.json --run-image registry.example.com/base/run:latest --dry-run",
    "cnbkit fleet rebase -i fleet.json --run-image registry.example.com/base/run:12 --force --report rebase.json",
    "cnbkit fleet rebase -i fleet.json --run-image registry.example.com/base/run:latest --sign-key cosign.key --report rebase.json",
    "cnbkit fleet rebase 127.0.0.1:5000/team-a/ --run-image 127.0.0.1:5000/base/run:2 --package deb:libssl3t64 --concurrency 16",
    "cnbkit fleet rebase 10.0.0.5:5000/apps/ --images-from images.txt --insecure-registry --key cosign.pub --run-image 10.0.0.5:5000/base/run:2 --buildpack cnbkit/nodejs --unsigned --no-provenance --not-rebasable --built-before 2026-06-01",
    "cnbkit fleet rebase 127.0.0.1:5000/apps/ --kubernetes --kube-context prod --kube-namespace shop --running --run-image 127.0.0.1:5000/base/run:2",
  ],
  run: lazyRun(() => import("./fleet-rebase-run.js")),
};

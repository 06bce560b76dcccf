/** `cnbkit fleet query`: which images of a fleet match, and why, as a table, JSON or CSV. */
import { type Command, lazyRun } from "../command.js";
import { QUERY_OPTIONS, TARGET_OPTIONS } from "./fleet-options.js";

/** `cnbkit fleet query [--inventory fleet.json | <target>...] [filters] [--json|--csv]`. */
export const fleetQueryCommand: Command = {
  name: "fleet query",
  summary: "Find the images of a fleet by package, buildpack, run image, signature, provenance or age",
  usage:
    "cnbkit fleet query [--inventory <fleet.json> | <target>...] [--package <p>]... [--buildpack <b>]... [--run-image <ref> --behind | --run-image <ref> --abi] [--unsigned] [--no-provenance] [--not-rebasable] [--built-before <date>] [--running] [--kubernetes] [--json | --csv]",
  description: [
    "Flags of one kind are alternatives (two --package: either); flags of different kinds must all hold.",
    "Package ranges are read in their ecosystem's syntax: npm semver, PEP 440, Maven ranges, Debian",
    "relations. A name without eco: matches in every ecosystem.",
    "--abi with --run-image weighs every image against what that run image provides (sonames, GLIBC_",
    "versions): each says it could move onto it, could not (what is missing, the file that needs it), or",
    "has no needs recorded (built before cnbkit recorded them).",
  ].join("\n"),
  positionals: { min: 0, max: 1000, names: "<target>..." },
  options: {
    inventory: {
      type: "string",
      short: "i",
      value: "<file>",
      help: "the inventory to query (else the targets are scanned first)",
    },
    ...QUERY_OPTIONS,
    abi: {
      type: "boolean",
      help: "with --run-image: which images could move onto that run image (ABI: sonames, GLIBC_ versions) and which could not, and why",
    },
    json: { type: "boolean", help: "print the hits as JSON (records and reasons)" },
    csv: { type: "boolean", help: "print the hits as CSV" },
    html: {
      type: "string",
      value: "<file>",
      help: "also write one self-contained page: the fleet at a glance as charts, and the hits",
    },
    ...TARGET_OPTIONS,
  },
  examples: [
    "cnbkit fleet query -i fleet.json --package deb:libssl3t64@'<< 3.5.4-1'",
    "cnbkit fleet query -i fleet.json --package lodash@'<4.17.21' --package requests@'<2.32' --csv",
    "cnbkit fleet query -i fleet.json --run-image registry.example.com/base/run:latest --behind --json",
    "cnbkit fleet query -i fleet.json --run-image registry.example.com/base/run:13 --abi",
    "cnbkit fleet query 127.0.0.1:5000/team-a/ --unsigned --no-provenance --not-rebasable --built-before 2026-06-01",
    "cnbkit fleet query 10.0.0.5:5000/apps/ --images-from images.txt --key cosign.pub --concurrency 32 --insecure-registry --unsigned",
    "cnbkit fleet query -i fleet.json --buildpack cnbkit/nodejs@'<1.4.0' --html fleet.html",
    "cnbkit fleet query 127.0.0.1:5000/apps/ --kubernetes --kube-context prod --kube-namespace shop --running --run-image 127.0.0.1:5000/base/run:latest --behind",
  ],
  run: lazyRun(() => import("./fleet-query-run.js")),
};

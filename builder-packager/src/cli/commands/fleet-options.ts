/**
 * The flags the `cnbkit fleet` commands share, declared apart from the code that reads them
 * (fleet-input.ts) so that `cnbkit --help` and flag parsing load no fleet code.
 */
import type { OptionSpec } from "../command.js";

/** Options naming what to scan, shared by scan, query and rebase. */
export const TARGET_OPTIONS: Record<string, OptionSpec> = {
  "images-from": { type: "string", value: "<file>", help: "also scan the images listed in this file, one a line" },
  key: {
    type: "string",
    value: "<cosign.pub>",
    help: "check signatures and attestations against this public key (else they are only found)",
  },
  concurrency: { type: "string", value: "<n>", help: "requests in flight at once (default 16)" },
  "insecure-registry": { type: "boolean", help: "plain HTTP for registries that are not on loopback" },
  kubernetes: {
    type: "boolean",
    help: "also scan what the cluster's pods run (by the digests the kubelet reports), and say which pods run each image; the cluster is KUBECONFIG's, else ~/.kube/config's, else the pod's own",
  },
  "kube-context": {
    type: "string",
    value: "<name>",
    help: "with --kubernetes: this kubeconfig context, not the current one",
  },
  "kube-namespace": {
    type: "string",
    value: "<ns>",
    help: "with --kubernetes: only this namespace's pods (else every namespace)",
  },
};

/** The query flags, shared by query and rebase. */
export const QUERY_OPTIONS: Record<string, OptionSpec> = {
  package: {
    type: "string",
    multiple: true,
    value: "<[eco:]name[@range]>",
    help: "images with this package (npm, pypi, maven, deb ranges in their own syntax), e.g. deb:libssl3t64@'<< 3.5.4'",
  },
  buildpack: { type: "string", multiple: true, value: "<id[@range]>", help: "images built by this buildpack" },
  "run-image": { type: "string", value: "<ref>", help: "images on this run image (its repository)" },
  behind: { type: "boolean", help: "images whose run image has a newer top layer now" },
  unsigned: { type: "boolean", help: "images with no (valid) signature" },
  "no-provenance": { type: "boolean", help: "images with no (valid) SLSA provenance" },
  "not-rebasable": { type: "boolean", help: "images that cannot be rebased (extensions, labels)" },
  running: { type: "boolean", help: "images that pods of the scanned cluster run (scanned with --kubernetes)" },
  "built-before": { type: "string", value: "<date>", help: "images built before this date (YYYY-MM-DD)" },
};

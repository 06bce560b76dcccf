/** `cnbkit verify`: check an image's signature, attestations and provenance against a key and a policy. */
import { type Command, lazyRun } from "../command.js";

/** `cnbkit verify <image> --key <pub> [--builder <ref>] [--buildpack <id>]... [--source <git-url>]`. */
export const verifyCommand: Command = {
  name: "verify",
  summary: "Verify an image's signature, attestations and SLSA provenance, and check them against a policy",
  usage:
    "cnbkit verify <image> --key <cosign.pub> [--builder <ref>] [--buildpack <id[@version]>]... [--source <git-url>] [--json]",
  description: [
    "Checks, as cosign verify and cosign verify-attestation do, that the image's current digest is signed",
    "with the key and that every attestation beside it verifies and names that digest; then that its SLSA",
    "provenance says what the policy flags ask. Each failure is one line and a non-zero exit.",
  ].join("\n"),
  positionals: { min: 1, max: 1, names: "<image>" },
  examples: [
    "cnbkit verify 127.0.0.1:5000/acme/app:1 --key cosign.pub",
    "cnbkit verify oci:out/app --key cosign.pub --builder oci:out/builder --buildpack cnbkit/nodejs --source https://github.com/acme/app --json",
  ],
  options: {
    key: { type: "string", short: "k", value: "<file>", help: "the public key, e.g. --key cosign.pub" },
    builder: {
      type: "string",
      value: "<ref|digest>",
      help: "require this builder, e.g. --builder registry.example.com/acme/builder:1",
    },
    buildpack: {
      type: "string",
      multiple: true,
      value: "<id[@version]>",
      help: "require this buildpack in the group that built it, e.g. --buildpack cnbkit/nodejs",
    },
    source: {
      type: "string",
      value: "<git-url>",
      help: "require this git remote as the source, e.g. --source https://github.com/acme/app",
    },
    json: { type: "boolean", help: "print what was verified as JSON" },
  },
  run: lazyRun(() => import("./verify-run.js")),
};

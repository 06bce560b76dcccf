/** `cnbkit sign`: sign an image (and attest its SBOMs) as cosign would, in a registry or an OCI layout. */
import { type Command, lazyRun } from "../command.js";

/** `cnbkit sign <image> --key <file>`. */
export const signCommand: Command = {
  name: "sign",
  summary: "Sign an image's digest with a key, where cosign verify finds it (registry or OCI layout)",
  usage: "cnbkit sign <image> --key <cosign.key|key.pem>",
  description: [
    "Writes a cosign signature of the image's manifest digest: the sha256-<hex>.sig image in its registry",
    "repository, or the same beside it in an OCI layout (cosign verify --local-image reads it there).",
    "Keys: cosign's encrypted key (cosign generate-key-pair; password in COSIGN_PASSWORD), or a PEM",
    "ECDSA P-256, Ed25519 or RSA private key. `cnbkit build --sign-key` also attests provenance and SBOMs.",
  ].join("\n"),
  positionals: { min: 1, max: 1, names: "<image>" },
  examples: [
    "cnbkit sign 127.0.0.1:5000/acme/app:1 --key cosign.key",
    "cnbkit sign oci:out/app:latest --key ed25519.pem",
  ],
  options: {
    key: { type: "string", short: "k", value: "<file>", help: "the private key, e.g. --key cosign.key" },
  },
  run: lazyRun(() => import("./sign-run.js")),
};

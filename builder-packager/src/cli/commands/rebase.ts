/** `cnbkit rebase`: swap an app image's run-image layers by rewriting config and manifest only. */
import { parseReference } from "../../oci/index.js";
import { type IndexRebaseOptions, rebaseImage, rebaseIndex } from "../../platform/index.js";
import { loadSigningKey, markSignedImage, sealRebase, sealRebasedIndex } from "../../supply-chain/index.js";
import { type Command, stringOption } from "../command.js";
import { absoluteRef, imageRef } from "../refs.js";

/** `cnbkit rebase <image> --run-image <ref> [--output <ref>] [--force]`. */
export const rebaseCommand: Command = {
  name: "rebase",
  summary:
    "Rebase an app image (or each platform of an image index) onto a new run image (only config and manifest are rewritten)",
  usage: "cnbkit rebase <image> [--run-image <ref>] [--output <ref>] [--force] [--sign-key <file>]",
  positionals: { min: 1, max: 1, names: "<image>" },
  examples: [
    "cnbkit rebase oci:out/app:latest",
    "cnbkit rebase oci:out/app --run-image oci:out/base:run --output oci:out/app:rebased --force",
    "cnbkit rebase 127.0.0.1:5000/acme/app:1 --run-image 127.0.0.1:5000/acme/run:2 --sign-key cosign.key",
  ],
  options: {
    "run-image": { type: "string", value: "<ref>", help: "the new run image (default: the one the image records)" },
    output: {
      type: "string",
      short: "o",
      value: "<ref>",
      help: "write the result here instead of moving the image's tag",
    },
    force: {
      type: "boolean",
      help: "rebase even if the image is not rebasable, the os/arch differ, or the new run image lacks a soname or symbol version (GLIBC_2.38) the app's layers need",
    },
    "sign-key": {
      type: "string",
      value: "<file>",
      help: "sign the new digest and attest provenance naming the previous image and both run images (an index: each platform, then the index), e.g. --sign-key cosign.key",
    },
  },
  async run(inv) {
    const runImage = stringOption(inv, "run-image");
    const output = stringOption(inv, "output");
    const signKeyFile = stringOption(inv, "sign-key");
    const signKey = signKeyFile ? await loadSigningKey(signKeyFile, { flag: "--sign-key" }) : undefined;
    const startedOn = new Date();
    const options: IndexRebaseOptions = {
      image: imageRef(inv.positionals[0]!),
      ...(runImage ? { runImage: imageRef(runImage) } : {}),
      ...(output ? { output: absoluteRef(output) } : {}),
      force: inv.values.force === true,
      onOutput: inv.err,
      ...(signKey
        ? {
            seal: async (r) => {
              const sealed = await sealRebase(
                parseReference(r.ref),
                r.digest,
                signKey,
                { ...r, output: r.ref, startedOn, finishedOn: new Date() },
                r.source,
              );
              inv.err(`Signed ${r.ref} (${signKey.algorithm}) and attested its provenance in ${sealed.where}`);
            },
            // An index: each platform is sealed above, then the index itself.
            sealIndex: async (r) => {
              const sealed = await sealRebasedIndex(parseReference(r.ref), r.digest, signKey, {
                previous: r.previous,
                runImage,
                platforms: r.platforms.map((p) => ({
                  platform: `${p.platform.os}/${p.platform.architecture}`,
                  digest: p.digest,
                  previousDigest: p.previousDigest,
                  topLayer: p.topLayer,
                })),
                output: r.ref,
                startedOn,
                finishedOn: new Date(),
              });
              inv.err(
                `Signed the index ${r.ref} (${signKey.algorithm}) and attested its provenance in ${sealed.where}`,
              );
            },
          }
        : {}),
    };
    // An image index (a multi-platform build): each platform onto the same platform of the run image.
    const index = await rebaseIndex(options);
    if (index) {
      for (const p of index.platforms) {
        inv.out(
          `  ${p.platform.os}/${p.platform.architecture}: ${p.previousDigest} → ${p.digest} (${p.appLayers} app layers kept)`,
        );
      }
      if (signKey) await markSignedImage(parseReference(absoluteRef(output ?? inv.positionals[0]!)), index.digest);
      inv.out(`Rebased ${inv.positionals[0]} (image index): ${index.previousDigest} → ${index.digest}`);
      return 0;
    }
    const result = await rebaseImage(options);
    if (signKey) await markSignedImage(parseReference(absoluteRef(output ?? inv.positionals[0]!)), result.digest);
    inv.out(
      `Rebased ${inv.positionals[0]}: ${result.previousDigest} → ${result.digest} (${result.appLayers} app layers kept)`,
    );
    return 0;
  },
};

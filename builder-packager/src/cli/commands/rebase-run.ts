/** What `cnbkit rebase` does, loaded only when it runs (rebase.ts declares its usage and options). */
import { parseReference } from "../../oci/index.js";
import { type IndexRebaseOptions, rebaseImage, rebaseIndex } from "../../platform/index.js";
import { loadSigningKey, markSignedImage, sealRebase, sealRebasedIndex } from "../../supply-chain/index.js";
import { stringOption, type Invocation } from "../command.js";
import { absoluteRef, imageRef } from "../refs.js";

/** Runs `cnbkit rebase`. */
export async function run(inv: Invocation): Promise<number | undefined> {
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
            inv.err(`Signed the index ${r.ref} (${signKey.algorithm}) and attested its provenance in ${sealed.where}`);
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
}

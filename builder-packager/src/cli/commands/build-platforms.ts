/** `cnbkit build` for several platforms: one image index, sealed, and what the user is told. */
import { buildPlatforms, type MultiBuildOptions, type SealRequest } from "../../platform/index.js";
import { markSignedImage, type SigningKey, sealBuild, sealIndex } from "../../supply-chain/index.js";
import type { Platform } from "../../oci/index.js";
import type { Invocation } from "../command.js";
import { buildTimes } from "../build-times.js";

/**
 * Builds for each of `platforms` into one image index at the output (and each `--tag`),
 * sealed with `signKey` when given: each platform's image and the index. Returns the exit code.
 */
export async function buildIndex(
  inv: Invocation,
  options: MultiBuildOptions,
  platforms: Platform[],
  signKey: SigningKey | undefined,
): Promise<number> {
  const appDir = options.appDir;
  const result = await buildPlatforms(
    {
      ...options,
      ...(signKey
        ? {
            seal: sealWith(inv, signKey, appDir, async (req) => {
              const c = await req.source.config();
              return `${c.os}/${c.architecture} (${req.digest})`;
            }),
            sealIndex: async (req) => {
              const sealed = await sealIndex(req, signKey, appDir);
              inv.out(
                `Signed ${req.destination.given} image index (${signKey.algorithm}) and attested its provenance in ${sealed.where}`,
              );
            },
          }
        : {}),
    },
    platforms,
  );
  if (signKey) {
    for (const d of result.destinations) await markSignedImage(d.ref, result.digest);
  }
  for (const image of result.images) {
    const { platform: p, result: r } = image;
    inv.out(`${p.os}/${p.architecture}: ${image.digest}`);
    for (const line of buildTimes(r.phases, r.totalMs)) inv.out(`  ${line}`);
  }
  inv.out(`Total ${(result.totalMs / 1000).toFixed(1)}s for ${platforms.length} platforms`);
  inv.out(
    `Successfully built ${result.image} (${result.digest}), an image index of ${result.images
      .map(({ platform: p }) => `${p.os}/${p.architecture}`)
      .join(", ")}`,
  );
  return 0;
}

/** The seal of a built image: signed, provenance and SBOMs attested, one line said (`what` names which image). */
export function sealWith(
  inv: Invocation,
  signKey: SigningKey,
  appDir: string,
  what?: (req: SealRequest) => Promise<string>,
): (req: SealRequest) => Promise<void> {
  return async (req) => {
    const sealed = await sealBuild(req, signKey, appDir);
    inv.out(
      `Signed ${req.destination.given}${what ? ` ${await what(req)}` : ""} (${signKey.algorithm}) and attested its provenance and ${sealed.attestations - 1} SBOM document(s) in ${sealed.where}`,
    );
  };
}

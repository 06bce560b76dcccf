/**
 * Sealing what cnbkit wrote: the image signed, its SLSA provenance and SBOMs attested, in one
 * step, on the digest just written, before the tag moves (`cnbkit build --sign-key`,
 * `cnbkit rebase --sign-key`). `cnbkit sign` only signs (sign-image.ts): it did not see the
 * image being made, so it has no provenance to attest.
 */
import { CNBKIT_VERSION } from "../builder/index.js";
import type { Digest, ImageReference, ImageSource } from "../oci/index.js";
import { type IndexSealRequest, readSbomDocuments, type SealRequest } from "../platform/index.js";
import { gitSource } from "./git-source.js";
import type { SigningKey } from "./keys.js";
import {
  buildProvenance,
  type IndexRebaseFacts,
  type RebaseFacts,
  rebasedIndexProvenance,
  rebaseProvenance,
} from "./provenance.js";
import { sbomAttestations } from "./sbom-attestations.js";
import { type Attestation, dockerReference, type SignResult, signImage } from "./sign-image.js";
import { PREDICATE_TYPES, statement } from "./statement.js";

/** The SBOM attestations of the image `src` reads (none when it has no SBOM layer). */
async function sbomsOf(src: ImageSource, where: string, name: string, digest: Digest): Promise<Attestation[]> {
  const docs = await readSbomDocuments(src, where).catch(() => []);
  return sbomAttestations(name, digest, docs);
}

/**
 * Signs a freshly built image and attests its provenance and SBOMs.
 *
 * @param appDir the app source dir: a git checkout is named by commit and remote
 */
export async function sealBuild(req: SealRequest, key: SigningKey, appDir: string): Promise<SignResult> {
  const { ref, given } = req.destination;
  const name = dockerReference(ref);
  const { sourceTree, ...record } = req.record;
  const provenance = buildProvenance({
    ...record,
    cnbkitVersion: CNBKIT_VERSION,
    source: (await gitSource(appDir)) ?? { kind: "tree", ...sourceTree },
    output: given,
  });
  const attestations: Attestation[] = [
    { statement: statement(name, req.digest, PREDICATE_TYPES.slsaProvenance, provenance) },
    ...(await sbomsOf(req.source, given, name, req.digest)),
  ];
  return signImage({ ref, digest: req.digest, key, attestations });
}

/** Signs a rebased image and attests provenance naming the previous image and both run images. */
export async function sealRebase(
  image: ImageReference,
  digest: Digest,
  key: SigningKey,
  facts: Omit<RebaseFacts, "cnbkitVersion">,
  source: ImageSource,
): Promise<SignResult> {
  const name = dockerReference(image);
  const attestations: Attestation[] = [
    {
      statement: statement(
        name,
        digest,
        PREDICATE_TYPES.slsaProvenance,
        rebaseProvenance({ ...facts, cnbkitVersion: CNBKIT_VERSION }),
      ),
    },
    ...(await sbomsOf(source, facts.output, name, digest)),
  ];
  return signImage({ ref: image, digest, key, attestations });
}

/**
 * Signs a multi-platform build's image index and attests its provenance: each platform's
 * image is sealed with {@link sealBuild} first; the index's provenance names the source
 * once and every platform's builder, buildpacks and run image as resolved dependencies.
 */
export async function sealIndex(req: IndexSealRequest, key: SigningKey, appDir: string): Promise<SignResult> {
  const { ref, given } = req.destination;
  const name = dockerReference(ref);
  const git = await gitSource(appDir);
  const provenances = req.images.flatMap(({ record }) => {
    if (!record) return [];
    const { sourceTree, ...facts } = record;
    return [
      buildProvenance({
        ...facts,
        cnbkitVersion: CNBKIT_VERSION,
        source: git ?? { kind: "tree", ...sourceTree },
        output: given,
      }),
    ];
  });
  const first = provenances[0];
  if (!first) throw new Error(`sealIndex ${given}: no platform's build record`);
  const deps = [
    ...new Map(
      provenances.flatMap((p) => p.buildDefinition.resolvedDependencies).map((d) => [JSON.stringify(d), d]),
    ).values(),
  ];
  const predicate = {
    ...first,
    buildDefinition: {
      ...first.buildDefinition,
      externalParameters: {
        ...first.buildDefinition.externalParameters,
        platforms: req.images.map(({ platform: p }) => `${p.os}/${p.architecture}${p.variant ? `/${p.variant}` : ""}`),
      },
      resolvedDependencies: deps,
    },
  };
  const attestations: Attestation[] = [
    { statement: statement(name, req.digest, PREDICATE_TYPES.slsaProvenance, predicate) },
  ];
  return signImage({ ref, digest: req.digest, key, attestations });
}

/**
 * Signs a rebased image index and attests its provenance (the previous index, and each
 * platform's image before and after); each platform's image was sealed with {@link sealRebase}
 * first, as `cnbkit build --platform ... --sign-key` seals a new index.
 */
export async function sealRebasedIndex(
  image: ImageReference,
  digest: Digest,
  key: SigningKey,
  facts: Omit<IndexRebaseFacts, "cnbkitVersion">,
): Promise<SignResult> {
  const name = dockerReference(image);
  const predicate = rebasedIndexProvenance({ ...facts, cnbkitVersion: CNBKIT_VERSION });
  const attestations: Attestation[] = [
    { statement: statement(name, digest, PREDICATE_TYPES.slsaProvenance, predicate) },
  ];
  return signImage({ ref: image, digest, key, attestations });
}

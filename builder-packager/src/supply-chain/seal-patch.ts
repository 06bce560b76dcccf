/**
 * Sealing a patched image (`cnbkit fleet patch --sign-key`): signed, with SLSA provenance that
 * records the patch (the image before, the reference image the layers came from, and per
 * layer the dependency's versions and both diffIDs) and the SBOM attestations of its new SBOM
 * layer, which name the new versions. Kept apart from seal.ts: a patch is neither a build nor
 * a rebase, and its facts are its own.
 */
import { CNBKIT_VERSION } from "../builder/index.js";
import { type Digest, digestHex, type ImageReference, type ImageSource, type RegistryClient } from "../oci/index.js";
import { readSbomDocuments } from "../platform/index.js";
import type { SigningKey } from "./keys.js";
import type { ProvenancePredicate, ResourceDescriptor } from "./provenance.js";
import { sbomAttestations } from "./sbom-attestations.js";
import { type Attestation, dockerReference, type SignResult, signImage } from "./sign-image.js";
import { PREDICATE_TYPES, statement } from "./statement.js";

/** The build type of a cnbkit patch: dependency layers swapped for a reference image's, within their rule. */
export const PATCH_TYPE = "urn:cnbkit:buildtype:cnb-layer-patch:v1";

/** What a patch knows of itself, for {@link patchProvenance}. */
export interface PatchFacts {
  cnbkitVersion: string;
  previous: { ref: string; digest: string };
  reference: { ref: string; digest: string };
  /** Each layer swapped: `<buildpack>:<layer>`, the dependency, its versions and diffIDs. */
  changes: { layer: string; dependency: string; from: string; to: string; fromDiffId: string; toDiffId: string }[];
  /** Layers a rule dropped (derived data of the old runtime). */
  dropped: string[];
  output: string;
  startedOn: Date;
  finishedOn: Date;
}

const sha = (d: string) => ({ [d.slice(0, d.indexOf(":"))]: digestHex(d) });

/** The provenance predicate of a patch. */
export function patchProvenance(f: PatchFacts): ProvenancePredicate {
  const layers: ResourceDescriptor[] = f.changes.map((c) => ({
    name: `layer/${c.layer}`,
    uri: f.reference.ref,
    digest: sha(c.toDiffId),
    annotations: { dependency: c.dependency, from: c.from, to: c.to, previousDiffId: c.fromDiffId },
  }));
  return {
    buildDefinition: {
      buildType: PATCH_TYPE,
      externalParameters: {
        image: f.previous.ref,
        reference: f.reference.ref,
        output: f.output,
        layers: f.changes.map((c) => c.layer),
        ...(f.dropped.length ? { dropped: f.dropped } : {}),
      },
      resolvedDependencies: [
        { name: "previous-image", uri: f.previous.ref, digest: sha(f.previous.digest) },
        { name: "reference-image", uri: f.reference.ref, digest: sha(f.reference.digest) },
        ...layers,
      ],
    },
    runDetails: {
      builder: { id: `pkg:npm/%40cnbkit/builder-packager@${f.cnbkitVersion}`, version: { cnbkit: f.cnbkitVersion } },
      metadata: { startedOn: f.startedOn.toISOString(), finishedOn: f.finishedOn.toISOString() },
    },
  };
}

/** Signs a patched image and attests its provenance and (new) SBOMs. */
export async function sealPatch(
  image: ImageReference,
  digest: Digest,
  key: SigningKey,
  facts: Omit<PatchFacts, "cnbkitVersion">,
  source: ImageSource,
  clients?: Map<string, RegistryClient>,
): Promise<SignResult> {
  const name = dockerReference(image);
  const docs = await readSbomDocuments(source, facts.output).catch(() => []);
  const attestations: Attestation[] = [
    {
      statement: statement(
        name,
        digest,
        PREDICATE_TYPES.slsaProvenance,
        patchProvenance({ ...facts, cnbkitVersion: CNBKIT_VERSION }),
      ),
    },
    ...sbomAttestations(name, digest, docs),
  ];
  return signImage({ ref: image, digest, key, attestations, ...(clients ? { clients } : {}) });
}

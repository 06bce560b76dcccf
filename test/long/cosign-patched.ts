/**
 * What cosign says of an image `cnbkit fleet patch` re-signed: the checks the fleet patch long
 * tests share, made with the real cosign against the test registry.
 */
import { expect } from "vitest";
import { cosign } from "../../builder-packager/src/supply-chain/test-cosign.js";

/** The patch's record in the SLSA provenance predicate (the fields these tests read). */
export interface PatchProvenance {
  /** `buildDefinition.externalParameters.layers`: the layers the patch swapped. */
  layers: string[];
  /** The `resolvedDependencies` entry named `layer/…`: its annotations say dependency, from and to. */
  layer: { name: string; annotations: Record<string, string> };
}

/**
 * `cosign verify` and `cosign verify-attestation` (SLSA provenance v1, CycloneDX) of `ref`
 * with the public key `pub` (no transparency log, plain-HTTP registry), each expected to pass;
 * the provenance predicate of the patch and the SBOM documents attested, as JSON text.
 */
export async function cosignOnPatched(ref: string, pub: string): Promise<{ patch: PatchProvenance; sboms: string[] }> {
  const common = ["--key", pub, "--insecure-ignore-tlog", "--allow-insecure-registry"];
  const verify = await cosign(["verify", ...common, ref]);
  expect(verify.code, verify.stderr).toBe(0);
  const att = await cosign(["verify-attestation", ...common, "--type", "slsaprovenance1", ref]);
  expect(att.code, att.stderr).toBe(0);
  const predicate = attestedPayloads(att.stdout)
    .map((p) => JSON.parse(p).predicate)
    .find((p) => p.buildDefinition?.buildType?.includes("patch"));
  const layer = predicate.buildDefinition.resolvedDependencies.find((d: { name: string }) =>
    d.name.startsWith("layer/"),
  );
  const sbom = await cosign(["verify-attestation", ...common, "--type", "cyclonedx", ref]);
  expect(sbom.code, sbom.stderr).toBe(0);
  return {
    patch: { layers: predicate.buildDefinition.externalParameters.layers, layer },
    sboms: attestedPayloads(sbom.stdout),
  };
}

/** The in-toto statements `cosign verify-attestation` printed: one DSSE envelope a line, its payload base64. */
function attestedPayloads(stdout: string): string[] {
  return stdout
    .trim()
    .split("\n")
    .map((l) => Buffer.from((JSON.parse(l) as { payload: string }).payload, "base64").toString());
}

/** What `cnbkit verify` does, loaded only when it runs (verify.ts declares its usage and options). */
import { loadVerifyKey, verifyImage } from "../../supply-chain/index.js";
import { listOption, stringOption, type Invocation } from "../command.js";
import { absoluteRef, imageRef } from "../refs.js";

/** Runs `cnbkit verify`. */
export async function run(inv: Invocation): Promise<number | undefined> {
  const key = await loadVerifyKey(stringOption(inv, "key", true), { flag: "--key" });
  const builder = stringOption(inv, "builder");
  const source = stringOption(inv, "source");
  const buildpacks = listOption(inv, "buildpack");
  const report = await verifyImage(imageRef(inv.positionals[0]!), key, {
    // a layout builder is recorded by its absolute path, as `cnbkit build` resolved it
    ...(builder ? { builder: builder.startsWith("oci:") ? absoluteRef(builder) : builder } : {}),
    ...(source ? { source } : {}),
    ...(buildpacks.length ? { buildpacks } : {}),
  });
  if (inv.values.json) {
    inv.out(JSON.stringify(report, null, 2));
    return 0;
  }
  inv.out(`Verified ${inv.positionals[0]} (${report.digest})`);
  inv.out(`  signatures: ${report.signatures} by this ${key.algorithm} key`);
  for (const [type, n] of Object.entries(report.attestations)) inv.out(`  attestation: ${type} (${n})`);
  const deps = report.provenance.buildDefinition.resolvedDependencies;
  for (const d of deps) {
    const digest = d.digest ? Object.entries(d.digest).map(([a, h]) => `${a}:${h.slice(0, 12)}`)[0] : undefined;
    inv.out(`  ${d.name}: ${d.uri ?? ""}${digest ? ` (${digest})` : ""}`);
  }
  return 0;
}

/** What `cnbkit inspect` does, loaded only when it runs (inspect.ts declares its usage and options). */
import { commandLine } from "@cnbkit/framework/log";
import { formatBytes } from "../progress.js";
import { type Digest, parseReference } from "../../oci/index.js";
import { type ImageInspection, inspectImage, inspectIndex } from "../../platform/index.js";
import { listArtifacts } from "../../supply-chain/index.js";
import { imageRef } from "../refs.js";
import type { Invocation } from "../command.js";

/** Runs `cnbkit inspect`. */
export async function run(inv: Invocation): Promise<number | undefined> {
  const ref = imageRef(inv.positionals[0]!);
  const index = await inspectIndex(ref);
  if (index) {
    // An image index (a multi-platform build): its own seals, then each platform's image.
    const artifacts = await listArtifacts(parseReference(ref), index.digest);
    const images = [];
    for (const info of index.platforms) {
      images.push({ info, artifacts: await listArtifacts(parseReference(ref), info.digest as Digest) });
    }
    if (inv.values.json) {
      const platforms = images.map(({ info, artifacts }) => ({ ...info, ...artifacts }));
      inv.out(JSON.stringify({ reference: ref, digest: index.digest, ...artifacts, platforms }, null, 2));
      return 0;
    }
    const list = index.platforms.map((p) => `${p.os}/${p.architecture}`).join(", ");
    inv.out(`Image index: ${inv.positionals[0]} (${index.digest}): ${list}`);
    printArtifacts(inv, artifacts);
    for (const { info, artifacts } of images) {
      inv.out("");
      printImage(inv, `${info.os}/${info.architecture}`, info, artifacts);
    }
    return 0;
  }
  const info = await inspectImage(ref);
  // What cosign keeps beside the image (listed, not verified: `cnbkit verify` checks them).
  const artifacts = await listArtifacts(parseReference(ref), info.digest as Digest);
  if (inv.values.json) {
    inv.out(JSON.stringify({ ...info, ...artifacts }, null, 2));
    return 0;
  }
  printImage(inv, inv.positionals[0]!, info, artifacts);
  return 0;
}

type Artifacts = Awaited<ReturnType<typeof listArtifacts>>;

/** The text block of one app image. */
function printImage(inv: Invocation, name: string, info: ImageInspection, artifacts: Artifacts): void {
  inv.out(`Image: ${name} (${info.digest}, ${info.os}/${info.architecture})`);
  inv.out(`Run image: ${info.runImage.image ?? info.runImage.reference ?? "unknown"}`);
  inv.out(`Rebasable: ${info.rebasable ? "yes" : "no"}`);
  inv.out("Base labels:");
  for (const [k, v] of Object.entries(info.baseLabels)) inv.out(`  ${k}: ${v}`);
  inv.out("Buildpacks:");
  for (const bp of info.buildpacks) inv.out(`  ${bp.id}@${bp.version}`);
  inv.out("Processes:");
  for (const p of info.processes) {
    inv.out(`  ${p.type}${p.default ? " (default)" : ""}: ${commandLine([...p.command, ...p.args])}`);
  }
  printArtifacts(inv, artifacts);
  inv.out("Layers:");
  for (const l of info.layers) inv.out(`  ${l.digest.slice(7, 19)}  ${formatBytes(l.size).padStart(8)}  ${l.origin}`);
}

/** Signatures and attestations, listed (not verified: `cnbkit verify` checks them). */
function printArtifacts(inv: Invocation, artifacts: Artifacts): void {
  inv.out(`Signatures: ${artifacts.signatures || "none"}`);
  inv.out(`Attestations:${Object.keys(artifacts.attestations).length ? "" : " none"}`);
  for (const [type, n] of Object.entries(artifacts.attestations)) inv.out(`  ${type} (${n})`);
}

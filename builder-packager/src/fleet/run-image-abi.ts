/**
 * What a run image provides (abi stage: its glibc, sonames and symbol versions), asked once
 * per name and platform however many images of a fleet are weighed against it. From its
 * `io.cnbkit.base.abi` label, else from its layers (read once per machine, cached by diffID).
 */
import { type AbiProvides, runImageProvides } from "../abi/index.js";
import type { RegistryClient } from "../oci/index.js";
import { memoRunImageRead } from "./run-image-reads.js";

/** Answers, with a cache, what a run image provides for one platform. */
export interface RunImageAbi {
  provides(ref: string, platform: string): Promise<AbiProvides>;
}

/** A {@link RunImageAbi} reading through `clients` (shared with the rest of the command). */
export function runImageAbi(clients: Map<string, RegistryClient> = new Map()): RunImageAbi {
  const read = memoRunImageRead(clients, async (src, image) => (await runImageProvides(src, image)).provides);
  return { provides: read };
}

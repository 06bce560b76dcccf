/**
 * What a run image is now: its current digest and top layer for one platform, asked once per
 * name and platform however many images of a fleet sit on it. "Behind" means an image's
 * recorded top layer is not this one.
 */
import { CnbError } from "@cnbkit/framework";
import type { Digest, RegistryClient } from "../oci/index.js";
import { memoRunImageRead } from "./run-image-reads.js";

/** A run image's current manifest digest and top layer diffID. */
export interface RunImageState {
  digest: Digest;
  topLayer: Digest;
}

/** Answers, with a cache, what a run image is now. */
export interface RunImageNow {
  topLayer(ref: string, platform: string): Promise<RunImageState>;
}

/** A {@link RunImageNow} reading through `clients` (shared with the rest of the command). */
export function runImageNow(clients: Map<string, RegistryClient> = new Map()): RunImageNow {
  const read = memoRunImageRead(clients, async (_src, { manifest, config }, ref): Promise<RunImageState> => {
    const top = config.rootfs.diff_ids.at(-1);
    if (!top) throw new CnbError(`run image ${ref} has no layers`);
    return { digest: manifest.digest as Digest, topLayer: top };
  });
  return { topLayer: read };
}

/**
 * What a run image provides (abi stage: its glibc, sonames and symbol versions), asked once
 * per name and platform however many images of a fleet are weighed against it. From its
 * `io.cnbkit.base.abi` label, else from its layers (read once per machine, cached by diffID).
 */
import { type AbiProvides, runImageProvides } from "../abi/index.js";
import { openImageSource, type RegistryClient } from "../oci/index.js";

/** Answers, with a cache, what a run image provides for one platform. */
export interface RunImageAbi {
  provides(ref: string, platform: string): Promise<AbiProvides>;
}

/** A {@link RunImageAbi} reading through `clients` (shared with the rest of the command). */
export function runImageAbi(clients: Map<string, RegistryClient> = new Map()): RunImageAbi {
  const cache = new Map<string, Promise<AbiProvides>>();
  return {
    provides(ref, platform) {
      const key = `${ref} ${platform}`;
      let hit = cache.get(key);
      if (!hit) {
        hit = (async () => {
          const [os = "linux", architecture = "amd64", variant] = platform.split("/");
          const src = await openImageSource(ref, { clients });
          const image = await src.image({ os, architecture, ...(variant ? { variant } : {}) });
          return (await runImageProvides(src, image)).provides;
        })();
        cache.set(key, hit);
      }
      return hit;
    },
  };
}

/**
 * One read of a run image per name and platform, however many images of a fleet ask about it:
 * the memo behind {@link runImageNow} (its top layer) and {@link runImageAbi} (what it provides).
 */
import { type ImageSource, openImageSource, type RegistryClient, type ResolvedImage } from "../oci/index.js";

/**
 * `read` wrapped so that each `ref` and `platform` (`os/arch[/variant]`) is opened and read
 * once, through `clients`; concurrent callers share the one promise.
 *
 * @example
 * const top = memoRunImageRead(clients, async (_src, { config }) => config.rootfs.diff_ids.at(-1));
 * await top("registry.example.com/base/run:13", "linux/amd64");
 */
export function memoRunImageRead<T>(
  clients: Map<string, RegistryClient>,
  read: (src: ImageSource, image: ResolvedImage, ref: string) => Promise<T>,
): (ref: string, platform: string) => Promise<T> {
  const cache = new Map<string, Promise<T>>();
  return (ref, platform) => {
    const key = `${ref} ${platform}`;
    let hit = cache.get(key);
    if (!hit) {
      hit = (async () => {
        const [os = "linux", architecture = "amd64", variant] = platform.split("/");
        const src = await openImageSource(ref, { clients });
        return read(src, await src.image({ os, architecture, ...(variant ? { variant } : {}) }), ref);
      })();
      cache.set(key, hit);
    }
    return hit;
  };
}

/**
 * `cnbkit rebase` of an image index (a multi-platform build): each platform's app image is
 * rebased onto the same platform of the new run image (rebase.ts, written by digest only),
 * then a new index pointing at the rebased images is written, and only then its tag moves.
 */
import { CnbError } from "@cnbkit/framework";
import {
  type Descriptor,
  type Digest,
  formatReference,
  type ImageReference,
  isManifestType,
  jsonBlob,
  openImageSink,
  openImageSource,
  type Platform,
} from "../oci/index.js";
import { type RebaseOptions, type RebaseResult, rebaseImage } from "./rebase.js";

/**
 * What {@link IndexRebaseOptions.sealIndex} gets: the new index, by digest and before its tag
 * moves, and what each platform's rebase did (each already sealed by `seal`).
 */
export interface IndexRebaseSealRequest {
  /** The output reference as given. */
  ref: string;
  digest: Digest;
  /** The index before the rebase. */
  previous: { ref: string; digest: Digest };
  platforms: (RebaseResult & { platform: Platform })[];
}

/** {@link RebaseOptions} for an index: `seal` seals each platform's image, `sealIndex` the index. */
export interface IndexRebaseOptions extends RebaseOptions {
  /** Signs and attests the new index by digest; a throw leaves the tag where it was. */
  sealIndex?: (req: IndexRebaseSealRequest) => Promise<void>;
}

/** What {@link rebaseIndex} did: the index's digests, and each platform's. */
export interface IndexRebaseResult {
  digest: Digest;
  previousDigest: Digest;
  platforms: (RebaseResult & { platform: Platform })[];
}

/** `ref` at `digest`, as a reference string (`oci:dir@sha256:...` or `host/repo@sha256:...`). */
function atDigest(ref: ImageReference, digest: Digest): string {
  return ref.kind === "layout" ? `oci:${ref.path}@${digest}` : formatReference({ ...ref, tag: undefined, digest });
}

/**
 * Rebases every platform of the index `opts.image` names and writes the new index to
 * `opts.output` (default: moves the image's tag); undefined when it names a single image.
 * A platform the new run image lacks fails the rebase with a line naming it, tag unmoved.
 * With `seal`, each platform's image is sealed by digest, then the index by `sealIndex`, and
 * only then does the tag move, as a signed multi-platform build does.
 *
 * @example
 * const r = await rebaseIndex({ image: "oci:out/app:latest", runImage: "oci:out/base:run" });
 * // r?.platforms.map((p) => p.platform.architecture) → ["amd64", "arm64"]
 */
export async function rebaseIndex(opts: IndexRebaseOptions): Promise<IndexRebaseResult | undefined> {
  const store = opts.clients ? { clients: opts.clients } : {};
  const source = await openImageSource(opts.image, store);
  const top = await source.manifest();
  if (top.kind !== "index") return undefined;
  if (opts.tagGuard) {
    // A fleet rebase guards each tag against a concurrent move; its inventory holds images, not indexes.
    throw new CnbError(`image ${opts.image} is an image index; a fleet rebase takes single images`, {
      hint: `rebase it on its own: cnbkit rebase ${opts.image}`,
    });
  }
  const output = opts.output ?? opts.image;
  const platforms: IndexRebaseResult["platforms"] = [];
  const manifests: Descriptor[] = [];
  for (const entry of top.index.manifests) {
    if (!isManifestType(entry.mediaType) || !entry.platform) {
      manifests.push(entry);
      continue;
    }
    const platform = entry.platform;
    const name = `${platform.os}/${platform.architecture}`;
    const { sealIndex: _sealIndex, ...single } = opts;
    const result = await rebaseImage({
      ...single,
      image: atDigest(source.ref, entry.digest as Digest),
      output,
      untagged: true,
    }).catch((err: Error & { hint?: string }) => {
      throw new CnbError(`${name}: ${err.message}`, { ...(err.hint ? { hint: err.hint } : {}), cause: err });
    });
    platforms.push({ ...result, platform });
    manifests.push({ ...entry, mediaType: result.mediaType, digest: result.digest, size: result.size });
  }
  const index = jsonBlob({ ...top.index, manifests }, top.mediaType);
  const sink = await openImageSink(output, store);
  const tag = sink.ref.kind === "layout" ? (sink.ref.tag ?? "latest") : sink.ref.tag;
  const previous = { ref: opts.image, digest: top.digest as Digest };
  if (opts.sealIndex) {
    // Signed by digest before any tag names it.
    const byDigest = await sink.putManifest(index.bytes, top.mediaType);
    await opts.sealIndex({ ref: output, digest: byDigest.digest as Digest, previous, platforms });
  }
  const written = await sink.putManifest(index.bytes, top.mediaType, tag);
  return { digest: written.digest as Digest, previousDigest: previous.digest, platforms };
}

/**
 * The last step of a multi-platform build: the staged per-platform images joined into one
 * OCI image index, written to each destination (the output, then each `--tag`) by digest,
 * each platform's image and the index sealed there, and only then every tag moved, once.
 */
import { join } from "node:path";
import {
  copyImage,
  type CopyResult,
  type Descriptor,
  type Digest,
  type ImageSink,
  OciLayout,
  openImageSink,
  openImageSource,
} from "../../oci/index.js";
import type { Destination } from "./destination.js";
import type { MultiBuildOptions, PlatformImage } from "./options.js";
import { platformSlug } from "./platform-list.js";

/** How the images and the index are sealed (a part of options.ts's MultiBuildOptions). */
export type IndexSeals = Pick<MultiBuildOptions, "seal" | "sealIndex">;

/**
 * Joins `images` (staged under `staging/images`, tagged by platform) into one index and writes
 * it to every one of `destinations` (parsed once, when the build started); returns the index's
 * digest. Nothing is tagged until every destination holds the index and its seals.
 */
export async function writeImageIndex(
  opts: IndexSeals,
  destinations: readonly Destination[],
  images: PlatformImage[],
  staging: string,
  say: (line: string) => void,
): Promise<Digest> {
  const dir = join(staging, "images");
  const layout = await OciLayout.open(dir);
  const manifests: Descriptor[] = [];
  for (const image of images) {
    const entry = await layout.descriptor(platformSlug(image.platform));
    // The platform as the image's config says it (the variant too, when it has one).
    const config = await (await openImageSource(`oci:${dir}@${entry.digest}`)).config();
    manifests.push({
      mediaType: entry.mediaType,
      digest: entry.digest,
      size: entry.size,
      platform: {
        os: config.os,
        architecture: config.architecture,
        ...(config.variant ? { variant: config.variant } : {}),
      },
    });
  }
  const index = await layout.writeIndex(manifests);
  const source = await openImageSource(`oci:${dir}@${index.digest}`);
  const written: { destination: Destination; sink: ImageSink; copied: CopyResult }[] = [];
  for (const destination of destinations) {
    say(`Writing ${destination.given} (an image index of ${images.length} platforms)`);
    const sink = await openImageSink(destination.ref);
    const copied = await copyImage(source, sink, { tag: null });
    await sealAt(opts, destination, images, dir, copied.descriptor.digest as Digest);
    written.push({ destination, sink, copied });
  }
  for (const { destination, sink, copied } of written) {
    await sink.putManifest(copied.bytes, copied.descriptor.mediaType, destination.tag);
  }
  return written[0]!.copied.descriptor.digest as Digest;
}

/** Seals each platform's image at `destination`, then the index. */
async function sealAt(
  opts: IndexSeals,
  destination: Destination,
  images: PlatformImage[],
  dir: string,
  digest: Digest,
): Promise<void> {
  if (!opts.seal) return;
  for (const image of images) {
    if (!image.record) continue;
    const source = await openImageSource(`oci:${dir}@${image.digest}`);
    await opts.seal({ destination, digest: image.digest, record: image.record, source });
  }
  await opts.sealIndex?.({ destination, digest, images });
}

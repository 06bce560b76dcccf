/**
 * The last step: the image the lifecycle exported into the layout repository is copied out
 * to each destination (the output, then each `--tag`), sealed there by digest before its tag
 * moves when the caller signs. Only now does the output change.
 */
import {
  canonicalOciManifest,
  copyImage,
  type Descriptor,
  type ImageConfig,
  type ImageManifest,
  type ImageSource,
  jsonBlob,
  MEDIA_TYPES,
  OciLayout,
  openImageSink,
  openImageSource,
  parseReference,
  type Platform,
} from "../../oci/index.js";
import { markNotRebasable } from "../../extensions/index.js";
import { type BuildRecord, builderFacts, builtBy, type SourceTree } from "./record.js";
import { type LayerDirs, withAbiNeeds } from "./abi-label.js";
import { reclaimLayout, withBlobsFrom } from "./layout-repo.js";
import { LAYOUT_REPO_MOUNT } from "./lifecycle-output.js";
import { withRegistryRunReference } from "./pin-run-image.js";
import type { BuildRunImage } from "./builder.js";
import type { ExtendedRun } from "./apply-extensions.js";
import type { Destination } from "./destination.js";
import type { BuildInputs } from "./inputs.js";
import type { BuildPart } from "./options.js";
import type { LayoutRepo } from "./place-images.js";

/** What the write step reads of a build (and of its options, how the image is named and sealed). */
export type WriteBuild = BuildPart<
  "say" | "destinations" | "builder" | "platformApi" | "startedOn",
  "seal" | "outputLabel" | "builder"
>;

/**
 * Copies the exported image out to each destination and returns the output's descriptor;
 * only now does the output change. The digest is that of what was written: copying into an
 * OCI layout normalises the lifecycle's Docker media types, which changes the manifest. The
 * lifecycle's manifest is re-encoded as canonical OCI JSON first, so the same app gives the
 * same digest whether its layers were new (cold) or reused (rebuild).
 *
 * `after.cleared` is what must pass before anything is written out (the layer check, the layer
 * cache's commit). The exported image is read meanwhile, in the work dir only: its ABI record
 * reads the layers the exporter has just written from their directories (`after.layers.dir`,
 * the build's /layers, still in the view) while the layer check reads them too, and on two
 * cores the two overlap. A dir's reading is kept only for a layer the check proved that dir
 * makes (`after.layers.proven`, abi-label.ts). When `cleared` throws, the read is let finish
 * (it writes into the work dir its caller removes) and the error is thrown.
 */
export async function writeAppImage(
  build: WriteBuild,
  repo: LayoutRepo,
  inputs: BuildInputs,
  lifecycle: ExtendedRun,
  after: { cleared: () => Promise<void>; layers: LayerDirs },
): Promise<Descriptor> {
  const { opts, say, destinations } = build;
  const reading = exportedImage(repo, destinations[0]!.tag, lifecycle, {
    platform: build.builder.platform,
    layers: after.layers,
  });
  reading.catch(() => {}); // awaited on both paths below
  try {
    await after.cleared();
  } catch (err) {
    await reading.catch(() => {});
    throw err;
  }
  const exported = await reading;
  const record =
    opts.seal && inputs.sourceTree
      ? await buildRecord(build, lifecycle.run, inputs.sourceTree, exported, inputs.envNames)
      : undefined;
  const write = async (destination: Destination): Promise<Descriptor> => {
    say(`Writing ${destination === destinations[0] ? (opts.outputLabel ?? destination.given) : destination.given}`);
    const sink = await openImageSink(destination.ref);
    if (!opts.seal || !record) return (await copyImage(exported, sink, { tag: destination.tag })).descriptor;
    const copied = await copyImage(exported, sink, { tag: null });
    await opts.seal({ destination, digest: copied.descriptor.digest, record, source: exported });
    return sink.putManifest(copied.bytes, copied.descriptor.mediaType, destination.tag);
  };
  const [output, ...tags] = destinations;
  const descriptor = await write(output!);
  for (const tag of tags) await write(tag);
  return descriptor;
}

/**
 * The image the exporter wrote into the layout repository, its manifest canonical (and
 * labelled not rebasable when extensions extended the run image), reading the blobs the
 * sparse repository lacks from the run image and the previous image.
 */
async function exportedImage(
  repo: LayoutRepo,
  tag: string,
  lifecycle: ExtendedRun,
  { platform, layers }: { platform: Platform; layers: LayerDirs },
): Promise<ImageSource> {
  await reclaimLayout(repo.appPath);
  const exportLayout = await OciLayout.open(repo.appPath);
  const lifecycleManifest = await exportLayout.resolve(tag).catch(() => exportLayout.resolve());
  let exportedRef = `oci:${repo.appPath}@${lifecycleManifest.digest}`;
  // The run image's layers and the reused app layers were never placed: they come from
  // where they are.
  const sources = repo.previous ? [lifecycle.run.source, repo.previous] : [lifecycle.run.source];
  if (lifecycleManifest.kind === "manifest") {
    let canonical = canonicalOciManifest(lifecycleManifest);
    // The exporter added the extension layers but, in layout mode, not the extended config's label.
    if (lifecycle.layer) {
      const labelled = await markNotRebasable(
        exportLayout,
        JSON.parse(canonical.bytes.toString("utf8")) as ImageManifest,
      );
      canonical = jsonBlob(labelled, MEDIA_TYPES.manifest);
    }
    canonical = await withRunReference(exportLayout, canonical, lifecycle.run, platform);
    // What the app layers need from the run image, for rebases (abi-label.ts).
    canonical = await withAbiNeeds(
      exportLayout,
      canonical,
      withBlobsFrom(await openImageSource(exportedRef), sources),
      layers,
    );
    await exportLayout.putBlob(canonical.bytes, { mediaType: canonical.descriptor.mediaType });
    exportedRef = `oci:${repo.appPath}@${canonical.descriptor.digest}`;
  }
  return withBlobsFrom(await openImageSource(exportedRef), sources);
}

/**
 * `manifest` with its config's `runImage.reference` naming the registry run image `runRef` by
 * digest instead of by the lifecycle's layout path (pin-run-image.ts); unchanged otherwise.
 */
async function withRunReference(
  layout: OciLayout,
  manifest: ReturnType<typeof jsonBlob>,
  run: BuildRunImage,
  platform: Platform,
): Promise<ReturnType<typeof jsonBlob>> {
  if (parseReference(run.ref).kind !== "registry") return manifest;
  const parsed = JSON.parse(manifest.bytes.toString("utf8")) as ImageManifest;
  const config = JSON.parse((await layout.readBlob(parsed.config.digest)).toString("utf8")) as ImageConfig;
  const digest = (await run.source.image(platform)).manifest.digest;
  const relabelled = withRegistryRunReference(config, { ref: run.ref, digest }, LAYOUT_REPO_MOUNT);
  if (!relabelled) return manifest;
  const blob = jsonBlob(relabelled, parsed.config.mediaType);
  await layout.putBlob(blob.bytes, { mediaType: parsed.config.mediaType });
  return jsonBlob({ ...parsed, config: blob.descriptor }, MEDIA_TYPES.manifest);
}

/** The facts of this build, for provenance (see record.ts). */
async function buildRecord(
  build: BuildPart<"builder" | "platformApi" | "startedOn", "builder">,
  run: BuildRunImage,
  sourceTree: SourceTree,
  exported: ImageSource,
  envNames: string[],
): Promise<BuildRecord> {
  const { opts, builder } = build;
  const { lifecycleVersion } = builderFacts(builder.labels);
  const runDigest = await run.source
    .image(builder.platform)
    .then((r) => r.manifest.digest)
    .catch(() => undefined);
  return {
    builder: { ref: opts.builder, ...(builder.id.startsWith("sha256:") ? { digest: builder.id } : {}) },
    buildpacks: builtBy(await exported.config(), builder.labels),
    runImage: { ref: run.ref, ...(runDigest ? { digest: runDigest } : {}) },
    ...(lifecycleVersion ? { lifecycleVersion } : {}),
    platformApi: build.platformApi,
    sourceTree,
    envNames,
    startedOn: build.startedOn,
    finishedOn: new Date(),
  };
}

/**
 * The last step: the image the lifecycle exported into the layout repository is copied out
 * to each destination (the output, then each `--tag`), sealed there by digest before its tag
 * moves when the caller signs. Only now does the output change.
 */
import {
  canonicalOciManifest,
  copyImage,
  type Descriptor,
  type ImageManifest,
  type ImageSource,
  jsonBlob,
  MEDIA_TYPES,
  OciLayout,
  openImageSink,
  openImageSource,
  parseReference,
} from "../../oci/index.js";
import { markNotRebasable } from "../../extensions/index.js";
import { type BuildRecord, builderFacts, builtBy, type SourceTree } from "../build-record.js";
import { reclaimLayout, withBlobsFrom } from "../layout-repo.js";
import type { LayoutRepo } from "./place-images.js";
import type { Build } from "./prepare.js";

/**
 * Copies the exported image out to the output and returns its digest; only now does the
 * output change. The digest is that of what was written: copying into an OCI layout
 * normalises the lifecycle's Docker media types, which changes the manifest. The lifecycle's
 * manifest is re-encoded as canonical OCI JSON first, so the same app gives the same digest
 * whether its layers were new (cold) or reused (rebuild).
 */
export async function writeAppImage(build: Build, repo: LayoutRepo, envNames: string[]): Promise<Descriptor> {
  const { opts, say, run, outTag } = build;
  await reclaimLayout(repo.appPath);
  const exportLayout = await OciLayout.open(repo.appPath);
  const lifecycleManifest = await exportLayout.resolve(outTag).catch(() => exportLayout.resolve());
  let exportedRef = `oci:${repo.appPath}@${lifecycleManifest.digest}`;
  if (lifecycleManifest.kind === "manifest") {
    let canonical = canonicalOciManifest(lifecycleManifest);
    // The exporter added the extension layers but, in layout mode, not the extended config's label.
    if (build.extendedRun) {
      const labelled = await markNotRebasable(
        exportLayout,
        JSON.parse(canonical.bytes.toString("utf8")) as ImageManifest,
      );
      canonical = jsonBlob(labelled, MEDIA_TYPES.manifest);
    }
    await exportLayout.putBlob(canonical.bytes, { mediaType: canonical.descriptor.mediaType });
    exportedRef = `oci:${repo.appPath}@${canonical.descriptor.digest}`;
  }
  // The run image's layers and the reused app layers were never placed: they come from
  // where they are.
  const sources = repo.previous ? [run.source, repo.previous] : [run.source];
  const exported = withBlobsFrom(await openImageSource(exportedRef), sources);
  const record =
    opts.seal && build.sourceTree ? await buildRecord(build, build.sourceTree, exported, envNames) : undefined;
  const write = async (ref: string, tag: string): Promise<Descriptor> => {
    say(`Writing ${ref}`);
    const sink = await openImageSink(ref);
    if (!opts.seal || !record) return (await copyImage(exported, sink, { tag })).descriptor;
    const copied = await copyImage(exported, sink, { tag: null });
    await opts.seal({ ref, digest: copied.descriptor.digest, record, source: exported });
    return sink.putManifest(copied.bytes, copied.descriptor.mediaType, tag);
  };
  const descriptor = await write(opts.output, outTag);
  for (const tag of opts.tags ?? []) await write(tag, parseReference(tag).tag ?? "latest");
  return descriptor;
}

/** The facts of this build, for provenance (see build-record.ts). */
async function buildRecord(
  build: Build,
  sourceTree: SourceTree,
  exported: ImageSource,
  envNames: string[],
): Promise<BuildRecord> {
  const { opts, builder, run } = build;
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

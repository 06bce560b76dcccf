/**
 * `cnbkit rebase`: puts an app image on a new run image by rewriting only its config and
 * manifest, as the lifecycle's rebaser does. The app layers (everything above the old run
 * image's top layer, recorded in `io.buildpacks.lifecycle.metadata` runImage.topLayer) are
 * kept byte for byte; the new run image's layers go under them. No layer is rebuilt or
 * recompressed, so a rebase takes seconds whatever the image size, and blobs already at
 * the destination are shared.
 */
import { CnbError } from "@cnbkit/framework";
import type { Digest } from "../oci/digest.js";
import { type HistoryEntry, type ImageConfig, jsonBlob, MEDIA_TYPES } from "../oci/image.js";
import { type ImageSink, openImageSink, openImageSource, type ResolvedImage } from "../oci/image-store.js";
import { formatReference } from "../oci/reference.js";
import { appMetadata, LABELS } from "./app-image.js";

/** Options of {@link rebaseImage}. */
export interface RebaseOptions {
  /** The app image to rebase (`oci:dir[:tag]` or a registry reference). */
  image: string;
  /** The new run image; default: the one the image records (runImage.image). */
  runImage?: string;
  /** Where to write the result (default: `image` itself, i.e. its tag moves). */
  output?: string;
  /** Rebase even when the image says it is not rebasable or os/arch differ. */
  force?: boolean;
  /** Progress lines. */
  onOutput?: (line: string) => void;
}

/** What {@link rebaseImage} did. */
export interface RebaseResult {
  /** The new manifest digest. */
  digest: Digest;
  /** The app image's manifest digest before. */
  previousDigest: Digest;
  /** Number of app layers kept above the run image. */
  appLayers: number;
  /** The new run image's top layer diffID. */
  topLayer: Digest;
}

const BASE_LABEL = /^io\.buildpacks\.(base|stack)\./;

/** Splits history into the entries of the first `n` layers and the rest (empty-layer entries ride along). */
function splitHistory(history: HistoryEntry[] | undefined, n: number): HistoryEntry[] | undefined {
  if (!history) return undefined;
  let layers = 0;
  let i = 0;
  for (; i < history.length && layers < n; i++) if (!history[i]?.empty_layer) layers++;
  return layers === n ? history.slice(i) : undefined;
}

/**
 * Rebases `opts.image` onto `opts.runImage` and writes the result to `opts.output` (default:
 * the same reference). Refuses non-app images, images labelled `io.buildpacks.rebasable=false`
 * and a run image of another os/architecture, unless `force`.
 *
 * @example
 * await rebaseImage({ image: "oci:out/app:latest", runImage: "oci:out/run:patched" });
 */
export async function rebaseImage(opts: RebaseOptions): Promise<RebaseResult> {
  const say = opts.onOutput ?? (() => {});
  const appSrc = await openImageSource(opts.image);
  const app: ResolvedImage = await appSrc.image();
  const { lifecycle, labels } = appMetadata(app.config, `image ${opts.image}`);
  if (labels[LABELS.rebasable] === "false" && !opts.force) {
    throw new CnbError(`image ${opts.image} is labelled ${LABELS.rebasable}=false`, {
      hint: "a buildpack said its layers depend on the run image; rebuild, or pass --force",
    });
  }
  const oldTop = lifecycle.runImage?.topLayer as Digest | undefined;
  if (!oldTop) throw new CnbError(`image ${opts.image}: ${LABELS.lifecycle} has no runImage.topLayer`);
  const runRef = opts.runImage ?? lifecycle.runImage?.image ?? lifecycle.stack?.runImage?.image;
  if (!runRef) throw new CnbError(`image ${opts.image} records no run image; pass the new run image`);
  const runSrc = await openImageSource(runRef).catch((err) => {
    throw new CnbError(`run image ${runRef} not found: ${err instanceof Error ? err.message : err}`, { cause: err });
  });
  const run = await runSrc.image({ os: app.config.os, architecture: app.config.architecture });
  if ((run.config.os !== app.config.os || run.config.architecture !== app.config.architecture) && !opts.force) {
    throw new CnbError(
      `run image ${runRef} is ${run.config.os}/${run.config.architecture}, but image ${opts.image} is ${app.config.os}/${app.config.architecture}`,
    );
  }

  const diffIds = app.config.rootfs.diff_ids;
  const topIndex = diffIds.lastIndexOf(oldTop);
  if (topIndex < 0) {
    throw new CnbError(`image ${opts.image}: run image top layer ${oldTop} is not among its layers`);
  }
  const appLayers = app.manifest.manifest.layers.slice(topIndex + 1);
  const appDiffIds = diffIds.slice(topIndex + 1);
  const runDiffIds = run.config.rootfs.diff_ids;
  const newTop = runDiffIds[runDiffIds.length - 1];
  if (!newTop) throw new CnbError(`run image ${runRef} has no layers`);

  const newLabels: Record<string, string> = {};
  for (const [k, v] of Object.entries(labels)) if (!BASE_LABEL.test(k)) newLabels[k] = v;
  for (const [k, v] of Object.entries(run.config.config?.Labels ?? {})) if (BASE_LABEL.test(k)) newLabels[k] = v;
  const runReference =
    runSrc.ref.kind === "registry"
      ? `${runSrc.ref.registry}/${runSrc.ref.repository}@${run.manifest.digest}`
      : `${runSrc.ref.path}@${run.manifest.digest}`;
  newLabels[LABELS.lifecycle] = JSON.stringify({
    ...lifecycle,
    runImage: {
      ...lifecycle.runImage,
      topLayer: newTop,
      reference: runReference,
      ...(opts.runImage ? { image: opts.runImage.startsWith("oci:") ? lifecycle.runImage?.image : opts.runImage } : {}),
    },
  });

  const appHistory = splitHistory(app.config.history, topIndex + 1);
  const config: ImageConfig = {
    ...app.config,
    architecture: run.config.architecture,
    os: run.config.os,
    ...(run.config.variant ? { variant: run.config.variant } : {}),
    config: { ...app.config.config, Labels: newLabels },
    rootfs: { type: "layers", diff_ids: [...runDiffIds, ...appDiffIds] },
  };
  if (appHistory && run.config.history) config.history = [...run.config.history, ...appHistory];
  else delete config.history;
  if (!run.config.variant) delete config.variant;

  const docker = app.manifest.mediaType === MEDIA_TYPES.dockerManifest;
  const configBlob = jsonBlob(config, docker ? MEDIA_TYPES.dockerConfig : MEDIA_TYPES.config);
  const manifest = {
    schemaVersion: 2,
    mediaType: app.manifest.mediaType,
    config: configBlob.descriptor,
    layers: [...run.manifest.manifest.layers, ...appLayers].map((l) => ({
      mediaType: l.mediaType,
      digest: l.digest,
      size: l.size,
      ...(l.annotations ? { annotations: l.annotations } : {}),
    })),
    ...(app.manifest.manifest.annotations ? { annotations: app.manifest.manifest.annotations } : {}),
  };
  const manifestBytes = Buffer.from(JSON.stringify(manifest));

  const output = opts.output ?? opts.image;
  const sink: ImageSink = await openImageSink(output);
  // Only run-image blobs the destination lacks move; app layers are already there when
  // rebasing in place.
  const mountFrom = runSrc.ref.kind === "registry" ? runSrc.ref : undefined;
  let moved = 0;
  for (const l of run.manifest.manifest.layers) {
    if (await sink.hasBlob(l.digest)) continue;
    await sink.putBlob(l, () => runSrc.blob(l.digest), { mountFrom });
    moved++;
  }
  if (output !== opts.image) {
    const appMount = appSrc.ref.kind === "registry" ? appSrc.ref : undefined;
    for (const l of appLayers) {
      if (!(await sink.hasBlob(l.digest))) await sink.putBlob(l, () => appSrc.blob(l.digest), { mountFrom: appMount });
    }
  }
  await sink.putBlob(configBlob.descriptor, async () => {
    const { Readable } = await import("node:stream");
    return Readable.from([configBlob.bytes]);
  });
  const tag = sink.ref.kind === "layout" ? (sink.ref.tag ?? "latest") : sink.ref.tag;
  const desc = await sink.putManifest(manifestBytes, app.manifest.mediaType, tag);
  say(
    `Rebased ${formatReference(appSrc.ref)} onto ${runRef}: ${appLayers.length} app layer(s) kept, ${moved} run layer blob(s) copied, new digest ${desc.digest}`,
  );
  return { digest: desc.digest, previousDigest: app.manifest.digest, appLayers: appLayers.length, topLayer: newTop };
}

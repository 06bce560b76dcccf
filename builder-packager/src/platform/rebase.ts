/**
 * `cnbkit rebase`: puts an app image on a new run image by rewriting only its config and
 * manifest, as the lifecycle's rebaser does. The app layers (everything above the old run
 * image's top layer, recorded in `io.buildpacks.lifecycle.metadata` runImage.topLayer) are
 * kept byte for byte; the new run image's layers go under them. No layer is rebuilt or
 * recompressed, so a rebase takes seconds whatever the image size, and blobs already at
 * the destination are shared.
 */
import { Readable } from "node:stream";
import { CnbError } from "@cnbkit/framework";
import {
  type Descriptor,
  type Digest,
  formatReference,
  type HistoryEntry,
  type ImageConfig,
  type ImageSink,
  type ImageSource,
  type ImageReference,
  jsonBlob,
  MEDIA_TYPES,
  openImageSink,
  openImageSource,
  parseReference,
  type RegistryClient,
  type ResolvedImage,
  sha256,
} from "../oci/index.js";
import type { AbiProvides, AbiSource } from "../abi/index.js";
import { appMetadata, LABELS, type LifecycleMetadata } from "./app-image.js";
import { abiCheckText, checkRebaseAbi, type RebaseAbiCheck } from "./rebase-abi.js";

/** Options of {@link rebaseImage}. */
export interface RebaseOptions {
  /** The app image to rebase (`oci:dir[:tag]` or a registry reference). */
  image: string;
  /** The new run image; default: the one the image records (runImage.image). */
  runImage?: string;
  /** Where to write the result (default: `image` itself, i.e. its tag moves). */
  output?: string;
  /**
   * Rebase even when the image says it is not rebasable, os/arch differ, or the new run image
   * does not provide what its layers need (the ABI check, rebase-abi.ts, then only reports).
   */
  force?: boolean;
  /** What each run image provides, by manifest digest: a fleet rebase reads each one once. */
  runProvides?: Map<string, Promise<{ provides: AbiProvides; from: AbiSource }>>;
  /** Progress lines. */
  onOutput?: (line: string) => void;
  /**
   * Called once the rebased image is at the output by digest and before its tag moves (as
   * {@link BuildOptions.seal}): signing and attesting happen here. A throw leaves the tag as it was.
   */
  seal?: (rebased: RebaseSealRequest) => Promise<void>;
  /** One client per registry, shared with the caller (a fleet rebase: one token cache, one pool). */
  clients?: Map<string, RegistryClient>;
  /**
   * The run images already read, by reference and platform: a fleet rebase onto one run image
   * reads its manifest and config once, not once per app image.
   */
  runImages?: Map<string, Promise<{ runSrc: ImageSource; run: ResolvedImage }>>;
  /**
   * Asked right before the tag moves, with the new digest: "move" moves it, "already" leaves
   * it (it names the new digest already: a re-run), and a throw leaves it and fails the rebase
   * (it moved since the caller last looked). The registry API has no compare-and-swap; this
   * narrows the window to one request.
   */
  tagGuard?: (newDigest: Digest) => Promise<"move" | "already">;
  /**
   * Run-image blobs placed in their repository, by `repository@digest`, each as the one check
   * (and mount) that placed it. A fleet rebase puts ten images of one repository onto one run
   * image: its layers are checked once, not ten times. Concurrent rebases wait on that one
   * placement rather than mounting the blob again: distribution's filesystem store rewrites a
   * repository's blob link in place, and a manifest PUT that reads it mid-write fails with
   * DIGEST_INVALID (seen in one of 966 tags of a fleet rebase).
   */
  knownBlobs?: Map<string, Promise<void>>;
  /** Write the rebased image by digest only, moving no tag (one platform of an index: rebase-index.ts tags the index). */
  untagged?: boolean;
}

/** What {@link RebaseOptions.seal} gets: the new image and what it was made from. */
export interface RebaseSealRequest {
  /** The output reference as given. */
  ref: string;
  digest: Digest;
  /** The app image before the rebase. */
  previous: { ref: string; digest: Digest };
  /** The run image the app was on (the lifecycle label's reference) and its top layer. */
  oldRunImage: { ref: string; topLayer: string };
  newRunImage: { ref: string; digest: Digest; topLayer: Digest };
  /** The rebased image, to read its config and SBOM layers. */
  source: ImageSource;
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
  /** The new manifest's size and media type (for an index that points at it). */
  size: number;
  mediaType: string;
  /** What the ABI check found (or that --force skipped its refusal). */
  abi: RebaseAbiCheck;
  /** The ABI check's own time, in seconds (bench:abi-check weighs it against the whole rebase). */
  abiSeconds: number;
}

/**
 * Labels that describe the run image and so move with it on a rebase: the spec's
 * `io.buildpacks.base.*`/`stack.*` (which include `io.buildpacks.base.sbom`) and cnbkit's own
 * `io.cnbkit.base.*` (what `base extend` added), which would otherwise describe the old one.
 */
const BASE_LABEL = /^io\.buildpacks\.(base|stack)\.|^io\.cnbkit\.base\./;

/** Splits history into the entries of the first `n` layers and the rest (empty-layer entries ride along). */
function splitHistory(history: HistoryEntry[] | undefined, n: number): HistoryEntry[] | undefined {
  if (!history) return undefined;
  let layers = 0;
  let i = 0;
  for (; i < history.length && layers < n; i++) if (!history[i]?.empty_layer) layers++;
  return layers === n ? history.slice(i) : undefined;
}

/** The app image and the run image a rebase reads, checked. */
interface RebaseInputs {
  appSrc: ImageSource;
  app: ResolvedImage;
  lifecycle: LifecycleMetadata;
  labels: Record<string, string>;
  runRef: string;
  runSrc: ImageSource;
  run: ResolvedImage;
  /** Index of the old run image's top layer among the app image's layers. */
  topIndex: number;
}

/** The new image a rebase writes. */
interface Rebased {
  /** The config blob (its descriptor and bytes). */
  configBlob: ReturnType<typeof jsonBlob>;
  manifestBytes: Buffer;
  mediaType: string;
  /** The app layers kept above the run image. */
  appLayers: Descriptor[];
  /** The new run image's top layer diffID. */
  newTop: Digest;
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
  const inputs = await readRebaseInputs(opts);
  // Before anything is written: a refused rebase leaves the output as it was.
  const abiStarted = performance.now();
  const abi = await checkRebaseAbi({ ...inputs, image: opts.image }, opts.force === true, opts.runProvides);
  const abiSeconds = (performance.now() - abiStarted) / 1000;
  say(abiCheckText(abi));
  const rebased = rebase(inputs, opts.runImage);
  const output = opts.output ?? opts.image;
  const { digest, moved } = await writeRebased(inputs, rebased, output, {
    copyAppLayers: !sameRepository(parseReference(output), inputs.appSrc.ref),
    clients: opts.clients,
    tagGuard: opts.tagGuard,
    knownBlobs: opts.knownBlobs,
    untagged: opts.untagged === true,
    seal: opts.seal
      ? async (digest) =>
          opts.seal!({
            ref: output,
            digest,
            previous: { ref: opts.image, digest: inputs.app.manifest.digest },
            oldRunImage: {
              ref: inputs.lifecycle.runImage?.reference ?? inputs.lifecycle.runImage?.image ?? "unknown",
              topLayer: inputs.lifecycle.runImage?.topLayer ?? "",
            },
            newRunImage: { ref: inputs.runRef, digest: inputs.run.manifest.digest, topLayer: rebased.newTop },
            source: await openImageSource(
              { ...parseReference(output), tag: undefined, digest },
              opts.clients ? { clients: opts.clients } : {},
            ),
          })
      : undefined,
  });
  say(
    `Rebased ${formatReference(inputs.appSrc.ref)} onto ${inputs.runRef}: ${rebased.appLayers.length} app layer(s) kept, ${moved} run layer blob(s) copied, new digest ${digest}`,
  );
  return {
    digest,
    previousDigest: inputs.app.manifest.digest,
    appLayers: rebased.appLayers.length,
    topLayer: rebased.newTop,
    size: rebased.manifestBytes.length,
    mediaType: rebased.mediaType,
    abi,
    abiSeconds,
  };
}

/**
 * The one line for an image labelled `io.buildpacks.rebasable=false`, or undefined. When image
 * extensions extended its run image (history lines "Created by extension", as the lifecycle's
 * exporter writes them), it says so: those layers were made on the old run image, so the fix is
 * a rebuild.
 */
export function notRebasable(image: string, config: ImageConfig): CnbError | undefined {
  if (config.config?.Labels?.[LABELS.rebasable] !== "false") return undefined;
  const extended = (config.history ?? []).some((h) => /Created by extension: /.test(h.created_by ?? ""));
  if (extended) {
    return new CnbError(
      `image ${image} is labelled ${LABELS.rebasable}=false: image extensions added layers to its run image, which a new run image would not have; rebuild it with cnbkit build`,
      { hint: "--force rebases anyway, keeping the extension layers on the new run image" },
    );
  }
  return new CnbError(`image ${image} is labelled ${LABELS.rebasable}=false`, {
    hint: "a buildpack said its layers depend on the run image; rebuild, or pass --force",
  });
}

/** Opens the app image and the run image and checks that the one can go onto the other. */
async function readRebaseInputs(opts: RebaseOptions): Promise<RebaseInputs> {
  const store = opts.clients ? { clients: opts.clients } : {};
  const appSrc = await openImageSource(opts.image, store);
  const app: ResolvedImage = await appSrc.image();
  const { lifecycle, labels } = appMetadata(app.config, `image ${opts.image}`);
  const refusal = opts.force ? undefined : notRebasable(opts.image, app.config);
  if (refusal) throw refusal;
  const oldTop = lifecycle.runImage?.topLayer as Digest | undefined;
  if (!oldTop) throw new CnbError(`image ${opts.image}: ${LABELS.lifecycle} has no runImage.topLayer`);
  const runRef = opts.runImage ?? lifecycle.runImage?.image ?? lifecycle.stack?.runImage?.image;
  if (!runRef) throw new CnbError(`image ${opts.image} records no run image; pass the new run image`);
  const platform = { os: app.config.os, architecture: app.config.architecture };
  const readRun = async () => {
    const runSrc = await openImageSource(runRef, store).catch((err) => {
      throw new CnbError(`run image ${runRef} not found: ${err instanceof Error ? err.message : err}`, { cause: err });
    });
    return { runSrc, run: await runSrc.image(platform) };
  };
  const key = `${runRef} ${platform.os}/${platform.architecture}`;
  let pending = opts.runImages?.get(key);
  if (!pending) {
    pending = readRun();
    opts.runImages?.set(key, pending);
    pending.catch(() => opts.runImages?.delete(key));
  }
  const { runSrc, run } = await pending;
  if ((run.config.os !== app.config.os || run.config.architecture !== app.config.architecture) && !opts.force) {
    throw new CnbError(
      `run image ${runRef} is ${run.config.os}/${run.config.architecture}, but image ${opts.image} is ${app.config.os}/${app.config.architecture}`,
    );
  }
  const topIndex = app.config.rootfs.diff_ids.lastIndexOf(oldTop);
  if (topIndex < 0) {
    throw new CnbError(`image ${opts.image}: run image top layer ${oldTop} is not among its layers`);
  }
  return { appSrc, app, lifecycle, labels, runRef, runSrc, run, topIndex };
}

/**
 * The rebased config and manifest: the run image's layers, then the app layers; the app's
 * labels with the run image's base labels and a lifecycle label pointing at the new run image.
 */
function rebase(
  { app, lifecycle, labels, runSrc, run, runRef, topIndex }: RebaseInputs,
  runImage: string | undefined,
): Rebased {
  const appLayers = app.manifest.manifest.layers.slice(topIndex + 1);
  const appDiffIds = app.config.rootfs.diff_ids.slice(topIndex + 1);
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
      ...(runImage ? { image: runImage.startsWith("oci:") ? lifecycle.runImage?.image : runImage } : {}),
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

  const mediaType = app.manifest.mediaType;
  const docker = mediaType === MEDIA_TYPES.dockerManifest;
  const configBlob = jsonBlob(config, docker ? MEDIA_TYPES.dockerConfig : MEDIA_TYPES.config);
  const manifest = {
    schemaVersion: 2,
    mediaType,
    config: configBlob.descriptor,
    layers: [...run.manifest.manifest.layers, ...appLayers].map((l) => ({
      mediaType: l.mediaType,
      digest: l.digest,
      size: l.size,
      ...(l.annotations ? { annotations: l.annotations } : {}),
    })),
    ...(app.manifest.manifest.annotations ? { annotations: app.manifest.manifest.annotations } : {}),
  };
  return { configBlob, manifestBytes: Buffer.from(JSON.stringify(manifest)), mediaType, appLayers, newTop };
}

/**
 * Writes the rebased image to `output`: only run-image blobs the destination lacks move (app
 * layers are already there when rebasing in place; `copyAppLayers` when they may not be),
 * then the config and manifest. Returns the new digest and how many run blobs moved.
 */
async function writeRebased(
  { appSrc, runSrc, run }: RebaseInputs,
  rebased: Rebased,
  output: string,
  {
    copyAppLayers,
    seal,
    clients,
    tagGuard,
    knownBlobs,
    untagged,
  }: {
    untagged: boolean;
    copyAppLayers: boolean;
    seal: ((digest: Digest) => Promise<void>) | undefined;
    clients: Map<string, RegistryClient> | undefined;
    tagGuard: RebaseOptions["tagGuard"];
    knownBlobs: RebaseOptions["knownBlobs"];
  },
): Promise<{ digest: Digest; moved: number }> {
  const sink: ImageSink = await openImageSink(output, clients ? { clients } : {});
  const mountFrom = runSrc.ref.kind === "registry" ? runSrc.ref : undefined;
  let moved = 0;
  const home = sink.ref.kind === "registry" ? `${sink.ref.registry}/${sink.ref.repository}` : sink.ref.path;
  for (const l of run.manifest.manifest.layers) {
    const key = `${home}@${l.digest}`;
    let placed = knownBlobs?.get(key);
    if (!placed) {
      placed = (async () => {
        if (await sink.hasBlob(l.digest)) return;
        await sink.putBlob(l, () => runSrc.blob(l.digest), { mountFrom });
        moved++;
      })();
      knownBlobs?.set(key, placed);
      // A failed placement is tried again by the next image, not remembered.
      placed.catch(() => knownBlobs?.delete(key));
    }
    await placed;
  }
  if (copyAppLayers) {
    const appMount = appSrc.ref.kind === "registry" ? appSrc.ref : undefined;
    for (const l of rebased.appLayers) {
      if (!(await sink.hasBlob(l.digest))) await sink.putBlob(l, () => appSrc.blob(l.digest), { mountFrom: appMount });
    }
  }
  const { configBlob } = rebased;
  // The config is new (it names the new run image): a HEAD asking for it would be one request
  // in seven of every rebase, answered 404 (a re-run re-sends 10 KB instead).
  await sink.putBlob(configBlob.descriptor, async () => Readable.from([configBlob.bytes]), { justMade: true });
  const tag = untagged ? undefined : sink.ref.kind === "layout" ? (sink.ref.tag ?? "latest") : sink.ref.tag;
  if (seal || tagGuard) {
    const digest = sha256(rebased.manifestBytes);
    // A tag already at the new digest was sealed before it moved (a re-run): nothing to do.
    if (tagGuard && (await tagGuard(digest)) === "already") return { digest, moved };
    if (seal) {
      // Signed by digest before any tag names it.
      await sink.putManifest(rebased.manifestBytes, rebased.mediaType);
      await seal(digest);
      // Signing takes a moment: look again right before the tag moves.
      if (tagGuard && (await tagGuard(digest)) === "already") return { digest, moved };
    }
  }
  const desc = await sink.putManifest(rebased.manifestBytes, rebased.mediaType, tag);
  return { digest: desc.digest, moved };
}

/** True when two references name the same repository (or layout): its blobs are already there. */
function sameRepository(a: ImageReference, b: ImageReference): boolean {
  if (a.kind === "layout" || b.kind === "layout") {
    return a.kind === "layout" && b.kind === "layout" && a.path === b.path;
  }
  return a.registry === b.registry && a.repository === b.repository;
}

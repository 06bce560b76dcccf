/**
 * `cnbkit inspect`: what an app image is made of, from its labels and manifest alone
 * (no layer is downloaded): processes, buildpacks, run image, base labels and layers.
 */
import { type Digest, isManifestType, openImageSource, type Platform } from "../oci/index.js";
import { appMetadata, type BuildMetadata } from "./app-image.js";

/** One layer of an inspected image, bottom first. */
export interface InspectedLayer {
  digest: Digest;
  diffId: Digest | undefined;
  /** Compressed size in bytes. */
  size: number;
  /** What put it there: the run image, a buildpack layer (`id:layer`), the app, the SBOM, the launcher, ... */
  origin: string;
}

/** What {@link inspectImage} reports. */
export interface ImageInspection {
  reference: string;
  digest: Digest;
  os: string;
  architecture: string;
  processes: { type: string; command: string[]; args: string[]; default: boolean; buildpackId?: string }[];
  buildpacks: { id: string; version: string; homepage?: string }[];
  runImage: { image?: string; reference?: string; topLayer?: string };
  /** `io.buildpacks.base.*` (and legacy `io.buildpacks.stack.*`) labels. */
  baseLabels: Record<string, string>;
  layers: InspectedLayer[];
  /** Whether `cnbkit rebase` may rebase it (`io.buildpacks.rebasable` is not "false"). */
  rebasable: boolean;
}

/**
 * Reads an app image's metadata (its `platform` image of an index; default this machine's);
 * a one-line error when it is not an app image.
 *
 * @example
 * const info = await inspectImage("oci:out/app:latest");
 * console.log(info.processes.map((p) => p.type));
 */
export async function inspectImage(ref: string, platform?: Platform): Promise<ImageInspection> {
  const src = await openImageSource(ref);
  const { manifest, config } = await src.image(platform);
  const { lifecycle, build, labels } = appMetadata(config, `image ${ref}`);
  const defaultType = (config.config?.Entrypoint ?? [])[0]?.match(/^\/cnb\/process\/(.+)$/)?.[1];
  const processes = (build.processes ?? []).map((p: NonNullable<BuildMetadata["processes"]>[number]) => ({
    type: p.type,
    command: Array.isArray(p.command) ? p.command : [p.command],
    args: p.args ?? [],
    default: p.type === defaultType,
    ...(p.buildpackID ? { buildpackId: p.buildpackID } : {}),
  }));
  const diffIds = config.rootfs.diff_ids;
  const origins = new Map<string, string>();
  const top = lifecycle.runImage?.topLayer;
  const topIndex = top ? diffIds.lastIndexOf(top as Digest) : -1;
  for (let i = 0; i <= topIndex; i++) origins.set(String(i), "run image");
  const byDiff = new Map<string, string>();
  for (const bp of lifecycle.buildpacks ?? []) {
    for (const [name, l] of Object.entries(bp.layers ?? {})) byDiff.set(l.sha, `${bp.key}:${name}`);
  }
  for (const a of lifecycle.app ?? []) byDiff.set(a.sha, "app");
  if (lifecycle.sbom) byDiff.set(lifecycle.sbom.sha, "sbom");
  if (lifecycle.launcher) byDiff.set(lifecycle.launcher.sha, "launcher");
  if (lifecycle.config) byDiff.set(lifecycle.config.sha, "config");
  const processTypes = lifecycle["process-types"];
  if (processTypes) byDiff.set(processTypes.sha, "process-types");
  const layers = manifest.manifest.layers.map((l, i) => ({
    digest: l.digest,
    diffId: diffIds[i],
    size: l.size,
    origin: origins.get(String(i)) ?? byDiff.get(diffIds[i] ?? "") ?? "unknown",
  }));
  const baseLabels: Record<string, string> = {};
  for (const [k, v] of Object.entries(labels)) if (/^io\.buildpacks\.(base|stack)\./.test(k)) baseLabels[k] = v;
  return {
    reference: ref,
    digest: manifest.digest,
    os: config.os,
    architecture: config.architecture,
    processes,
    buildpacks: (build.buildpacks ?? []).map((b) => ({
      id: b.id,
      version: b.version,
      ...(b.homepage ? { homepage: b.homepage } : {}),
    })),
    runImage: {
      ...(lifecycle.runImage?.image ? { image: lifecycle.runImage.image } : {}),
      ...(lifecycle.runImage?.reference ? { reference: lifecycle.runImage.reference } : {}),
      ...(top ? { topLayer: top } : {}),
    },
    baseLabels,
    layers,
    rebasable: labels["io.buildpacks.rebasable"] !== "false",
  };
}

/** What {@link inspectIndex} reports of an image index: its digest and each platform's image. */
export interface IndexInspection {
  reference: string;
  digest: Digest;
  platforms: ImageInspection[];
}

/**
 * Reads every platform's app image of an image index (a multi-platform build), in the index's
 * order; undefined when `ref` names a single image.
 *
 * @example
 * const index = await inspectIndex("oci:out/app:latest");
 * console.log(index?.platforms.map((p) => p.architecture)); // ["amd64", "arm64"]
 */
export async function inspectIndex(ref: string): Promise<IndexInspection | undefined> {
  const top = await (await openImageSource(ref)).manifest();
  if (top.kind !== "index") return undefined;
  const platforms: ImageInspection[] = [];
  for (const d of top.index.manifests) {
    if (!isManifestType(d.mediaType) || !d.platform) continue;
    platforms.push(await inspectImage(ref, d.platform));
  }
  return { reference: ref, digest: top.digest as Digest, platforms };
}

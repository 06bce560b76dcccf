/**
 * Multi-arch base images: the build and run images of several architectures behind one image
 * index per role, so a builder.toml with several `[[targets]]` names one build image and one
 * run image, and each arch's builder or app takes its own manifest from them.
 *
 * Each arch's images are made (or found in the cache) by {@link ensureBaseImages} first; only
 * when all of them exist is anything written to the output layout (blobs, then the two
 * indexes, then the tags), so a failure for one arch leaves the output as it was.
 */
import { resolve } from "node:path";
import { CnbError } from "@cnbkit/framework";
import { type Descriptor, OciLayout, type Platform } from "../oci/index.js";
import { type BaseImageRole, type EnsureBaseImagesOptions, ensureBaseImages, type ImageRef } from "./images.js";
import type { DebianArch } from "./rootfs.js";

/** The arches cnbkit makes base images for. */
export const BASE_ARCHES: readonly DebianArch[] = ["amd64", "arm64"];

/**
 * The Debian arch of a `--target` ("linux/arm64", "linux/arm64/v8", "linux/amd64"); a one-line
 * {@link CnbError} naming `where` and the supported ones otherwise.
 */
export function parseBaseTarget(target: string, where: string): DebianArch {
  const m = /^linux\/(amd64|arm64)(\/v8)?$/.exec(target);
  const arch = m?.[1] as DebianArch | undefined;
  if (!arch || (m?.[2] && arch !== "arm64")) {
    throw new CnbError(`${where} "${target}" is not a target cnbkit makes base images for`, {
      hint: `supported: ${BASE_ARCHES.map((a) => `linux/${a}`).join(", ")}`,
    });
  }
  return arch;
}

/** Options of {@link ensureMultiArchBaseImages}. */
export interface MultiArchBaseOptions extends Omit<EnsureBaseImagesOptions, "arch" | "output"> {
  /** The arches, in index order (each once). */
  arches: DebianArch[];
  /** The OCI layout dir that gets tags `build` and `run`, each an image index. */
  output: string;
}

/** One role's image index and the per-arch images behind it. */
export interface MultiArchRef {
  role: BaseImageRole;
  /** `oci:<output>:<role>`. */
  ref: string;
  /** Digest of the index. */
  digest: string;
  /** The per-arch images, in index order. */
  images: ImageRef[];
}

/**
 * Makes (or reuses) the base images of every arch in `arches` and writes one image index per
 * role into the layout `output`, tagged `build` and `run`.
 *
 * @example
 * const { build, run } = await ensureMultiArchBaseImages({ arches: ["amd64", "arm64"], output: "out/base" });
 * // skopeo --override-arch arm64 inspect oci:out/base:run
 */
export async function ensureMultiArchBaseImages(
  options: MultiArchBaseOptions,
): Promise<{ build: MultiArchRef; run: MultiArchRef }> {
  const arches = options.arches;
  if (arches.length === 0) throw new CnbError("base images: no target arch given");
  const dup = arches.find((a, i) => arches.indexOf(a) !== i);
  if (dup) throw new CnbError(`base images: linux/${dup} is given twice`);
  const { arches: _a, output: _o, ...rest } = options;
  // Each arch in its own cached layout first; an emulated one takes minutes the first time.
  const perArch: { build: ImageRef; run: ImageRef }[] = [];
  for (const arch of arches) {
    options.onProgress?.(`Base images for linux/${arch}`);
    perArch.push(await ensureBaseImages({ ...rest, arch }));
  }
  const out = await OciLayout.create(resolve(options.output));
  const indexes: Partial<Record<BaseImageRole, Descriptor>> = {};
  for (const role of ["build", "run"] as const) {
    const manifests: Descriptor[] = [];
    for (const images of perArch) manifests.push(await copyImage(images[role], out));
    indexes[role] = await out.writeIndex(manifests);
  }
  const refs = {} as { build: MultiArchRef; run: MultiArchRef };
  for (const role of ["build", "run"] as const) {
    const desc = indexes[role] as Descriptor;
    await out.tag(desc, role);
    refs[role] = { role, ref: `oci:${out.dir}:${role}`, digest: desc.digest, images: perArch.map((p) => p[role]) };
  }
  return refs;
}

/** Copies one cached single-arch image (manifest, config, layers) into `to`; returns its descriptor with platform. */
async function copyImage(image: ImageRef, to: OciLayout): Promise<Descriptor> {
  const from = await OciLayout.open(image.layout);
  const parsed = await from.resolve(image.tag);
  if (parsed.kind !== "manifest") throw new Error(`${from.dir}: tag ${image.tag} is not an image manifest`);
  for (const blob of [...parsed.manifest.layers, parsed.manifest.config]) {
    await to.putBlob({ path: from.blobPath(blob.digest) }, { mediaType: blob.mediaType, digest: blob.digest });
  }
  const desc = await from.descriptor(image.tag);
  await to.putBlob({ path: from.blobPath(desc.digest) }, { mediaType: desc.mediaType, digest: desc.digest });
  const config = await from.readConfig(parsed.manifest.config.digest);
  const platform: Platform = {
    os: config.os,
    architecture: config.architecture,
    ...(config.variant ? { variant: config.variant } : {}),
  };
  return { mediaType: desc.mediaType, digest: desc.digest, size: desc.size, platform };
}

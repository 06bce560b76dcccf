/**
 * cnbkit's own CNB base images: a Debian build image and run image (Debian 13 by default,
 * 12 on request; see release.ts), made from debootstrapped rootfs trees and written to one
 * cached OCI layout.
 *
 * The layout `<cache>/base/<key>/` holds two tags, `build` and `run` (skopeo:
 * `oci:<dir>:build`, umoci: `--image <dir>:run`). The key hashes both rootfs recipes and
 * the image recipe, so a changed package list or label makes a new layout and an unchanged
 * one is reused without running debootstrap. The layout is written in a temp dir and
 * renamed into place when complete; a lock dir makes concurrent callers wait for one build.
 */
import { createReadStream, existsSync } from "node:fs";
import { createHash } from "node:crypto";
import { mkdir, readdir, readFile, rename, rm, writeFile } from "node:fs/promises";
import { dirname, join, resolve } from "node:path";
import { formatDuration } from "@cnbkit/framework/log";
import { ABI_PROVIDES_LABEL, type AbiProvides, abiLabel, layersProvides } from "../abi/index.js";
import { cnbkitCacheDir, withDirLock } from "../cache/index.js";
import {
  type ContainerConfig,
  type Descriptor,
  type Digest,
  imageConfig,
  MEDIA_TYPES,
  NORMALIZED_CREATED,
  OciLayout,
} from "../oci/index.js";
import { type BaseSbomLayer, writeBaseSbomLayer } from "./base-sbom.js";
import { BASE_SBOM_LABEL } from "./base-sbom-location.js";
import { DEFAULT_DEBIAN_RELEASE, type DebianRelease } from "./release.js";
import {
  CNB_USER,
  DEFAULT_DEBIAN_MIRROR,
  type DebianArch,
  type DebianRootfsSpec,
  ensureDebianRootfs,
  hostDebianArch,
  rootfsKey,
} from "./rootfs.js";
import { type RootfsLayer, writeRootfsLayer } from "./rootfs-layer.js";
import { TINY_RUN_PACKAGES } from "./packages.js";
import { ensureTinyRootfs, tinyRootfsKey } from "./tiny-rootfs.js";

/** Bump when labels, env or the layer recipe change, so cached layouts are not reused. */
export const BASE_IMAGE_RECIPE_VERSION = "3"; // 2: a second layer, the SBOM of the image's Debian packages; 3: the run image's io.cnbkit.base.abi label

/**
 * The file in each cached layout that names the rootfs layer blobs it holds, by rootfs key:
 * a recipe bump that changes only configs (a label) copies those blobs into the new layout
 * instead of packing the same trees again (minutes per layout), so layer digests stay.
 */
const PACKED_LAYERS_FILE = "cnbkit-rootfs-layers.json";

/** Recipe versions whose layouts predate {@link PACKED_LAYERS_FILE}: found by their key instead. */
const RECIPES_BEFORE_PACKED_LAYERS = ["2"];

/** Which of the two base images. */
export type BaseImageRole = "build" | "run";

/**
 * What the build image carries. `standard`: the run set plus compilers, headers, git and
 * python3 (native extensions build). `slim`: the run set only, for apps that compile nothing
 * natively; both images then come from one rootfs, so one debootstrap per arch instead of
 * two (on amd64 ~1 min instead of ~3, on arm64 under qemu ~7 min instead of ~18). `tiny`:
 * the standard build image, and a run image with no shell, coreutils, apt or dpkg, cut from
 * the run rootfs (tiny-rootfs.ts), as Paketo pairs its tiny run image with its base build image.
 */
export type BaseFlavor = "standard" | "slim" | "tiny";

/** The flavours `--flavor` takes, the default first. */
export const BASE_FLAVORS: readonly BaseFlavor[] = ["standard", "slim", "tiny"];

/** Where one base image is and what it is. */
export interface ImageRef {
  role: BaseImageRole;
  /** Debian arch of the image ("amd64" or "arm64"; the config says the same, arm64 with variant v8). */
  arch: DebianArch;
  /** The Debian release it is of. */
  release: DebianRelease;
  /** Absolute path of the OCI layout holding it. */
  layout: string;
  /** Its tag in the layout's index.json ("build" or "run"). */
  tag: string;
  /** `oci:<layout>:<tag>`: cnbkit's and skopeo's reference syntax. */
  ref: string;
  /** Manifest digest. */
  digest: Digest;
  /** Config digest (the "image id"). */
  configDigest: Digest;
  /** The one layer: compressed size in bytes and digest. */
  layer: { digest: Digest; size: number; diffId: Digest };
  /**
   * The cached rootfs the layer was made from, when it is still in the cache: a ready
   * unpacked tree (real owners) a platform may use read-only, e.g. as an overlay lower dir.
   */
  rootfs: string | undefined;
}

/** Options for {@link ensureBaseImages}. */
export interface EnsureBaseImagesOptions {
  /** Also copy both images (tags `build` and `run`) into this OCI layout dir; refs then point there. */
  output?: string;
  /** Cache root (default `$CNBKIT_CACHE` or ~/.cache/cnbkit). */
  cacheDir?: string;
  /** Debian mirror (default http://deb.debian.org/debian). */
  mirror?: string;
  /** Progress lines; default stderr. */
  onProgress?: (line: string) => void;
  /**
   * Target arch (default: this machine's). A foreign arch is built under qemu-user-static
   * (see binfmt.ts) and is much slower; each arch gets its own layout.
   */
  arch?: DebianArch;
  /** What the build image carries (default `standard`); each flavour gets its own layout. */
  flavor?: BaseFlavor;
  /** Which Debian (default {@link DEFAULT_DEBIAN_RELEASE}, 13); each release gets its own layout. */
  release?: DebianRelease;
}

/** A base image's rootfs recipe and the release it is of (which decides its labels). */
export interface BaseImageSpec extends DebianRootfsSpec {
  release: DebianRelease;
  /**
   * Set for a tiny run image: the packages whose files it keeps of the rootfs `packages`
   * makes (tiny-rootfs.ts); its labels and SBOM list these.
   */
  tiny?: readonly string[];
}

/**
 * The rootfs recipes of the two images for `arch` (default: this machine's), `flavor`
 * (default standard) and `release` (default Debian 13).
 */
export function baseRootfsSpecs(
  arch: DebianArch = defaultArch(),
  flavor: BaseFlavor = "standard",
  release: DebianRelease = DEFAULT_DEBIAN_RELEASE,
): Record<BaseImageRole, BaseImageSpec> {
  const { run, build } = release.packages;
  const spec = (packages: readonly string[]): BaseImageSpec => ({
    suite: release.codename,
    variant: "minbase",
    packages: [...packages],
    arch,
    release,
  });
  const runSpec = spec(run);
  if (flavor === "tiny") runSpec.tiny = [...TINY_RUN_PACKAGES];
  return { build: spec(flavor === "slim" ? run : build), run: runSpec };
}

/** The cache key of the rootfs an image is made of: the debootstrapped one, or the tiny cut of it. */
export function imageRootfsKey(spec: BaseImageSpec, mirror = DEFAULT_DEBIAN_MIRROR): string {
  const key = rootfsKey(spec, mirror);
  return spec.tiny ? tinyRootfsKey(key, spec.tiny) : key;
}

/** The cached rootfs an image is made of, made on first use (debootstrap, then the tiny cut when `spec.tiny`). */
export async function ensureImageRootfs(
  spec: BaseImageSpec,
  options: { cacheDir: string; mirror: string; onProgress: (line: string) => void },
): Promise<string> {
  const rootfs = await ensureDebianRootfs(spec, options);
  if (!spec.tiny) return rootfs;
  return ensureTinyRootfs(rootfs, rootfsKey(spec, options.mirror), spec.tiny, options);
}

function defaultArch(): DebianArch {
  const host = hostDebianArch();
  return host === "arm64" ? "arm64" : "amd64";
}

/**
 * The image config of a base image, per the CNB platform spec: a non-root `User` with a
 * writable home, `CNB_USER_ID`, `CNB_GROUP_ID` and `PATH` in `Env`, and the
 * `io.buildpacks.base.*` labels (plus `io.buildpacks.stack.*` and, on the build image,
 * `CNB_STACK_ID`, for older platforms and buildpacks).
 */
export function baseContainerConfig(role: BaseImageRole, spec: BaseImageSpec): ContainerConfig {
  const { baseId, version, codename } = spec.release;
  const env = [
    "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
    `CNB_USER_ID=${CNB_USER.uid}`,
    `CNB_GROUP_ID=${CNB_USER.gid}`,
  ];
  if (role === "build") env.push(`CNB_STACK_ID=${baseId}`);
  const maintainer = "cnbkit";
  const labels: Record<string, string> = {
    "io.buildpacks.base.id": baseId,
    "io.buildpacks.base.distro.name": "debian",
    "io.buildpacks.base.distro.version": version,
    "io.buildpacks.base.maintainer": maintainer,
    "io.buildpacks.base.description": `Debian ${version} (${codename}) ${spec.tiny ? "tiny run image (no shell) " : `${role} image `}for Cloud Native Buildpacks, made by cnbkit with debootstrap`,
    // A tiny image names its kept packages and says so; the others' labels stay as they were (same digests).
    "io.buildpacks.base.metadata": JSON.stringify({
      suite: codename,
      variant: spec.variant,
      packages: [...(spec.tiny ?? spec.packages)].sort(),
      ...(spec.tiny ? { flavor: "tiny" } : {}),
    }),
    "io.buildpacks.stack.id": baseId,
    "io.buildpacks.stack.maintainer": maintainer,
    "io.buildpacks.stack.distro.name": "debian",
    "io.buildpacks.stack.distro.version": version,
  };
  return {
    User: `${CNB_USER.uid}:${CNB_USER.gid}`,
    Env: env,
    Labels: labels,
  };
}

/** The cache key of the base layout: both rootfs recipes and the image recipe. */
export function baseImagesKey(
  mirror = DEFAULT_DEBIAN_MIRROR,
  arch: DebianArch = defaultArch(),
  flavor: BaseFlavor = "standard",
  release: DebianRelease = DEFAULT_DEBIAN_RELEASE,
  recipeVersion: string = BASE_IMAGE_RECIPE_VERSION,
): string {
  const specs = baseRootfsSpecs(arch, flavor, release);
  const recipe = JSON.stringify({
    recipe: recipeVersion,
    build: rootfsKey(specs.build, mirror),
    run: imageRootfsKey(specs.run, mirror),
    config: { build: baseContainerConfig("build", specs.build), run: baseContainerConfig("run", specs.run) },
  });
  return createHash("sha256").update(recipe).digest("hex").slice(0, 24);
}

/**
 * Writes one base image (its rootfs as one layer, the SBOM of its Debian packages as a
 * second) into `layout` under tag `role`. Deterministic: the same rootfs gives the same
 * manifest digest.
 */
export async function writeBaseImage(
  layout: OciLayout,
  role: BaseImageRole,
  rootfs: string,
  spec: BaseImageSpec,
  onProgress: (line: string) => void = () => {},
): Promise<Descriptor> {
  const layer = await writeBaseLayer(layout, role, rootfs, onProgress);
  const sbom = await writeSbomLayer(layout, role, rootfs, spec, onProgress);
  const provides = role === "run" ? await rootfsLayerProvides(layout, layer, spec.arch, onProgress) : undefined;
  return writeBaseManifest(layout, role, spec, layer, sbom, provides);
}

/**
 * What a run image's rootfs layer provides (abi stage: glibc, sonames and their symbol
 * versions), read from the blob just written. The facts are cached by diffID, so a layout
 * re-made around a reused blob reads nothing, and a rebase or `fleet rebase` onto this image
 * reads them from its label instead of scanning its layers.
 */
async function rootfsLayerProvides(
  layout: OciLayout,
  layer: RootfsLayer,
  arch: DebianArch,
  onProgress: (line: string) => void,
  abiCacheDir?: string,
): Promise<AbiProvides> {
  const reader = { blob: async (digest: Digest) => createReadStream(layout.blobPath(digest)) };
  const desc = { mediaType: layer.mediaType, digest: layer.digest, size: layer.size };
  const provides = await layersProvides(reader, [desc], [layer.diffId], arch, { cacheDir: abiCacheDir });
  const libs = Object.keys(provides.libraries).length;
  onProgress(`  run ABI: glibc ${provides.glibc ?? "none"}, ${libs} libraries (${ABI_PROVIDES_LABEL})`);
  return provides;
}

/** Writes the SBOM layer of the image made from `rootfs` (base-sbom.ts), with one progress line. */
async function writeSbomLayer(
  layout: OciLayout,
  role: BaseImageRole,
  rootfs: string,
  spec: BaseImageSpec,
  onProgress: (line: string) => void,
): Promise<BaseSbomLayer> {
  const { version, codename } = spec.release;
  const subject = `cnbkit Debian ${version} (${codename}) ${spec.tiny ? "tiny " : ""}${role} image, linux/${spec.arch}`;
  const sbom = await writeBaseSbomLayer(rootfs, layout.blobDir, subject, version);
  onProgress(`  ${role} SBOM: ${sbom.packages} Debian packages (CycloneDX, SPDX)`);
  return sbom;
}

/** Packs `rootfs` as the one layer blob of a base image in `layout`, with progress every 100 MB. */
async function writeBaseLayer(
  layout: OciLayout,
  role: BaseImageRole,
  rootfs: string,
  onProgress: (line: string) => void,
): Promise<RootfsLayer> {
  const started = performance.now();
  let next = 100 * 1024 * 1024;
  const layer = await writeRootfsLayer(rootfs, layout.blobDir, {
    onProgress: (bytes) => {
      if (bytes < next) return;
      next += 100 * 1024 * 1024;
      onProgress(`    ${role}: ${Math.round(bytes / 1024 / 1024)} MB tarred`);
    },
  });
  const mb = (n: number) => (n / 1024 / 1024).toFixed(1);
  onProgress(
    `  ${role} layer: ${layer.entries} entries, ${mb(layer.tarSize)} MB tar, ${mb(layer.size)} MB gzip, in ${formatDuration(performance.now() - started)}`,
  );
  return layer;
}

/**
 * Writes the config and manifest of a base image over its rootfs layer and its SBOM layer,
 * tagged `role`; the config's `io.buildpacks.base.sbom` label names the SBOM layer's diffID,
 * and a run image's `io.cnbkit.base.abi` says what it `provides`.
 */
async function writeBaseManifest(
  layout: OciLayout,
  role: BaseImageRole,
  spec: BaseImageSpec,
  layer: RootfsLayer,
  sbom: BaseSbomLayer,
  provides: AbiProvides | undefined,
): Promise<Descriptor> {
  const container = baseContainerConfig(role, spec);
  const labels: Record<string, string> = { ...container.Labels, [BASE_SBOM_LABEL]: sbom.diffId };
  if (provides) labels[ABI_PROVIDES_LABEL] = abiLabel(provides);
  const config = imageConfig({
    architecture: spec.arch,
    os: "linux",
    variant: spec.arch === "arm64" ? "v8" : undefined,
    config: { ...container, Labels: labels },
    diffIds: [layer.diffId, sbom.diffId],
    history: [
      {
        created: NORMALIZED_CREATED,
        created_by: `cnbkit: debootstrap --variant=${spec.variant} ${spec.suite}${spec.tiny ? `, tiny: the files of ${spec.tiny.length} packages` : ""}`,
        comment: role,
      },
      { created: NORMALIZED_CREATED, created_by: "cnbkit: SBOM of the Debian packages", comment: "sbom" },
    ],
  });
  return layout.writeImage({
    config,
    layers: [
      { mediaType: MEDIA_TYPES.layerGzip, digest: layer.digest, size: layer.size },
      { mediaType: MEDIA_TYPES.layerGzip, digest: sbom.digest, size: sbom.size },
    ],
    tag: role,
  });
}

/**
 * Returns cnbkit's build and run base images, building them on first use: debootstrap of
 * each rootfs (cached under `<cache>/rootfs/`), then one layer per image into the cached
 * layout `<cache>/base/<key>/`. Later calls only read index.json.
 *
 * @example
 * const { build, run } = await ensureBaseImages();
 * // skopeo inspect oci:${run.layout}:run    umoci unpack --image ${build.layout}:build bundle
 */
export async function ensureBaseImages(
  options: EnsureBaseImagesOptions = {},
): Promise<{ build: ImageRef; run: ImageRef }> {
  const mirror = options.mirror ?? DEFAULT_DEBIAN_MIRROR;
  const progress = options.onProgress ?? ((line: string) => process.stderr.write(`${line}\n`));
  const cacheDir = options.cacheDir ?? cnbkitCacheDir();
  const arch = options.arch ?? defaultArch();
  const flavor = options.flavor ?? "standard";
  const release = options.release ?? DEFAULT_DEBIAN_RELEASE;
  const specs = baseRootfsSpecs(arch, flavor, release);
  const root = join(cacheDir, "base");
  const key = baseImagesKey(mirror, arch, flavor, release);
  const target = join(root, key);

  if (!existsSync(join(target, "index.json"))) {
    await mkdir(root, { recursive: true });
    await withDirLock(
      `${target}.lock`,
      async () => {
        if (existsSync(join(target, "index.json"))) return;
        for (const name of await readdir(root)) {
          if (name.startsWith(`.tmp-${key}-`)) await rm(join(root, name), { recursive: true, force: true });
        }
        const rootfs = {
          run: await ensureImageRootfs(specs.run, { cacheDir, mirror, onProgress: progress }),
          build: await ensureDebianRootfs(specs.build, { cacheDir, mirror, onProgress: progress }),
        };
        await writeBaseLayout({ root, key, specs, rootfs, mirror, flavor, progress });
      },
      { onWait: (pid) => progress(`Waiting for another cnbkit (pid ${pid ?? "?"}) writing base images ${key}`) },
    );
  }

  let layout = await OciLayout.open(target);
  if (options.output) layout = await copyImages(layout, resolve(options.output));
  const ref = async (role: BaseImageRole): Promise<ImageRef> => {
    const desc = await layout.descriptor(role);
    const parsed = await layout.resolve(role);
    if (parsed.kind !== "manifest") throw new Error(`${layout.dir}: tag ${role} is not an image manifest`);
    const l = parsed.manifest.layers[0];
    const config = await layout.readConfig(parsed.manifest.config.digest);
    const rootfsDir = join(cacheDir, "rootfs", imageRootfsKey(specs[role], mirror));
    return {
      role,
      arch,
      release,
      layout: layout.dir,
      tag: role,
      ref: `oci:${layout.dir}:${role}`,
      digest: desc.digest,
      configDigest: parsed.manifest.config.digest,
      layer: { digest: l?.digest as Digest, size: l?.size ?? 0, diffId: config.rootfs.diff_ids[0] as Digest },
      rootfs: existsSync(rootfsDir) ? rootfsDir : undefined,
    };
  };
  return { build: await ref("build"), run: await ref("run") };
}

/** What {@link writeBaseLayout} writes: the layout `key` under `root`, from both roles' rootfs trees. */
interface BaseLayoutJob {
  root: string;
  key: string;
  specs: Record<BaseImageRole, BaseImageSpec>;
  rootfs: Record<BaseImageRole, string>;
  mirror: string;
  flavor: BaseFlavor;
  progress: (line: string) => void;
}

/**
 * Writes the layout `<root>/<key>` (in a temp dir, renamed into place): each role's rootfs
 * layer (taken from a cached layout that holds the same tree's when there is one, else
 * packed), its SBOM layer, and its config, the run image's with its ABI label.
 */
async function writeBaseLayout(job: BaseLayoutJob): Promise<void> {
  const { root, key, specs, rootfs, mirror, flavor, progress } = job;
  const tmp = join(root, `.tmp-${key}-${process.pid}-${Date.now()}`);
  try {
    const layout = await OciLayout.create(tmp);
    progress("Writing base images (one layer each)");
    // A slim build image is the run rootfs again: its layer is the same blob, packed once.
    const layers = new Map<string, RootfsLayer>();
    // A tiny layout's build image is the standard one: its layer is copied when that layout is cached.
    if (flavor === "tiny") {
      const standard = join(root, baseImagesKey(mirror, specs.build.arch, "standard", specs.build.release));
      const reused = await copyBuildLayer(standard, layout);
      if (reused) layers.set(rootfs.build, reused);
    }
    const packed: Record<string, PackedLayer> = {};
    const abiDir = join(dirname(root), "abi");
    for (const role of ["run", "build"] as const) {
      const rootfsKey = imageRootfsKey(specs[role], mirror);
      const layer =
        layers.get(rootfs[role]) ??
        (await reusePackedLayer(job, role, rootfsKey, layout)) ??
        (await writeBaseLayer(layout, role, rootfs[role], progress));
      layers.set(rootfs[role], layer);
      packed[rootfsKey] = { digest: layer.digest, size: layer.size, diffId: layer.diffId };
      const sbom = await writeSbomLayer(layout, role, rootfs[role], specs[role], progress);
      const provides =
        role === "run" ? await rootfsLayerProvides(layout, layer, specs[role].arch, progress, abiDir) : undefined;
      await writeBaseManifest(layout, role, specs[role], layer, sbom, provides);
    }
    await writeFile(join(tmp, PACKED_LAYERS_FILE), `${JSON.stringify(packed, null, 2)}\n`);
    await rename(tmp, join(root, key));
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
}

/** A rootfs layer blob a cached layout holds, as {@link PACKED_LAYERS_FILE} records it. */
interface PackedLayer {
  digest: Digest;
  size: number;
  diffId: Digest;
}

/**
 * The rootfs layer of `role` copied from another cached layout made from the same tree
 * (the blob is hashed again as it is copied, so a damaged one is not taken), or undefined:
 * a layout that names that rootfs key in its {@link PACKED_LAYERS_FILE}, or one of an earlier
 * recipe version (made before that file) whose key says it was made from the same trees.
 */
async function reusePackedLayer(
  job: BaseLayoutJob,
  role: BaseImageRole,
  rootfsKey: string,
  to: OciLayout,
): Promise<RootfsLayer | undefined> {
  const { root, specs, mirror, flavor, progress } = job;
  const found: { dir: string; layer: PackedLayer }[] = [];
  for (const name of await readdir(root)) {
    if (name.startsWith(".") || name.endsWith(".lock")) continue;
    const text = await readFile(join(root, name, PACKED_LAYERS_FILE), "utf8").catch(() => undefined);
    const layer = text ? (JSON.parse(text) as Record<string, PackedLayer>)[rootfsKey] : undefined;
    if (layer) found.push({ dir: join(root, name), layer });
  }
  for (const recipe of RECIPES_BEFORE_PACKED_LAYERS) {
    const dir = join(root, baseImagesKey(mirror, specs.build.arch, flavor, specs.build.release, recipe));
    const layer = await taggedRootfsLayer(dir, role);
    if (layer) found.push({ dir, layer });
  }
  for (const { dir, layer } of found) {
    const from = join(dir, "blobs", "sha256", layer.digest.slice("sha256:".length));
    if (!existsSync(from)) continue;
    const started = performance.now();
    await to.putBlob({ path: from }, { mediaType: MEDIA_TYPES.layerGzip, digest: layer.digest });
    progress(
      `  ${role} layer: the same tree's, copied from the cached layout ${dir} in ${formatDuration(performance.now() - started)}`,
    );
    return { mediaType: MEDIA_TYPES.layerGzip, ...layer, tarSize: 0, entries: 0 };
  }
  return undefined;
}

/** The rootfs layer (the first) of the image tagged `role` in the cached layout `dir`, when there is one. */
async function taggedRootfsLayer(dir: string, role: BaseImageRole): Promise<PackedLayer | undefined> {
  if (!existsSync(join(dir, "index.json"))) return undefined;
  const source = await OciLayout.open(dir);
  const parsed = await source.resolve(role).catch(() => undefined);
  const blob = parsed?.kind === "manifest" ? parsed.manifest.layers[0] : undefined;
  if (parsed?.kind !== "manifest" || !blob) return undefined;
  const diffId = (await source.readConfig(parsed.manifest.config.digest)).rootfs.diff_ids[0] as Digest | undefined;
  return diffId ? { digest: blob.digest as Digest, size: blob.size, diffId } : undefined;
}

/**
 * Copies the rootfs layer blob of the `build` image of the cached layout `from` (when there is
 * one) into `to`, instead of packing the same rootfs again (a minute or more for the build
 * rootfs); undefined when `from` is not cached.
 */
async function copyBuildLayer(from: string, to: OciLayout): Promise<RootfsLayer | undefined> {
  const layer = await taggedRootfsLayer(from, "build");
  if (!layer) return undefined;
  const path = join(from, "blobs", "sha256", layer.digest.slice("sha256:".length));
  await to.putBlob({ path }, { mediaType: MEDIA_TYPES.layerGzip, digest: layer.digest });
  return { mediaType: MEDIA_TYPES.layerGzip, ...layer, tarSize: 0, entries: 0 };
}

/** Copies both tagged images (manifest, config, layer blobs) into the layout at `dir`. */
async function copyImages(from: OciLayout, dir: string): Promise<OciLayout> {
  const to = await OciLayout.create(dir);
  for (const role of ["build", "run"] as const) {
    const desc = await from.descriptor(role);
    const parsed = await from.resolve(role);
    if (parsed.kind !== "manifest") throw new Error(`${from.dir}: tag ${role} is not an image manifest`);
    for (const blob of [...parsed.manifest.layers, parsed.manifest.config]) {
      await to.putBlob({ path: from.blobPath(blob.digest) }, { mediaType: blob.mediaType, digest: blob.digest });
    }
    await to.putBlob({ path: from.blobPath(desc.digest) }, { mediaType: desc.mediaType, digest: desc.digest });
    await to.tag(desc, role);
  }
  return to;
}

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
import { existsSync } from "node:fs";
import { createHash } from "node:crypto";
import { mkdir, readdir, rename, rm } from "node:fs/promises";
import { join, resolve } from "node:path";
import { formatDuration } from "@cnbkit/framework/log";
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
import { BASE_SBOM_LABEL, type BaseSbomLayer, writeBaseSbomLayer } from "./base-sbom.js";
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
export const BASE_IMAGE_RECIPE_VERSION = "2"; // 2: a second layer, the SBOM of the image's Debian packages

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
): string {
  const specs = baseRootfsSpecs(arch, flavor, release);
  const recipe = JSON.stringify({
    recipe: BASE_IMAGE_RECIPE_VERSION,
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
  return writeBaseManifest(layout, role, spec, layer, await writeSbomLayer(layout, role, rootfs, spec, onProgress));
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
 * tagged `role`; the config's `io.buildpacks.base.sbom` label names the SBOM layer's diffID.
 */
async function writeBaseManifest(
  layout: OciLayout,
  role: BaseImageRole,
  spec: BaseImageSpec,
  layer: RootfsLayer,
  sbom: BaseSbomLayer,
): Promise<Descriptor> {
  const container = baseContainerConfig(role, spec);
  const config = imageConfig({
    architecture: spec.arch,
    os: "linux",
    variant: spec.arch === "arm64" ? "v8" : undefined,
    config: { ...container, Labels: { ...container.Labels, [BASE_SBOM_LABEL]: sbom.diffId } },
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
        const tmp = join(root, `.tmp-${key}-${process.pid}-${Date.now()}`);
        try {
          const layout = await OciLayout.create(tmp);
          progress("Writing base images (one layer each)");
          // A slim build image is the run rootfs again: its layer is the same blob, packed once.
          const layers = new Map<string, RootfsLayer>();
          // A tiny layout's build image is the standard one: its layer is copied when that layout is cached.
          if (flavor === "tiny") {
            const standard = join(root, baseImagesKey(mirror, arch, "standard", release));
            const reused = await copyBuildLayer(standard, layout);
            if (reused) layers.set(rootfs.build, reused);
          }
          for (const role of ["run", "build"] as const) {
            const layer = layers.get(rootfs[role]) ?? (await writeBaseLayer(layout, role, rootfs[role], progress));
            layers.set(rootfs[role], layer);
            const sbom = await writeSbomLayer(layout, role, rootfs[role], specs[role], progress);
            await writeBaseManifest(layout, role, specs[role], layer, sbom);
          }
          await rename(tmp, target);
        } finally {
          await rm(tmp, { recursive: true, force: true });
        }
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

/**
 * Copies the rootfs layer blob of the `build` image of the cached layout `from` (when there is
 * one) into `to`, instead of packing the same rootfs again (a minute or more for the build
 * rootfs); undefined when `from` is not cached.
 */
async function copyBuildLayer(from: string, to: OciLayout): Promise<RootfsLayer | undefined> {
  if (!existsSync(join(from, "index.json"))) return undefined;
  const source = await OciLayout.open(from);
  const parsed = await source.resolve("build");
  const blob = parsed.kind === "manifest" ? parsed.manifest.layers[0] : undefined;
  if (parsed.kind !== "manifest" || !blob) return undefined;
  const config = await source.readConfig(parsed.manifest.config.digest);
  const diffId = config.rootfs.diff_ids[0] as Digest | undefined;
  if (!diffId) return undefined;
  await to.putBlob({ path: source.blobPath(blob.digest) }, { mediaType: blob.mediaType, digest: blob.digest });
  return {
    mediaType: MEDIA_TYPES.layerGzip,
    digest: blob.digest as Digest,
    size: blob.size,
    diffId,
    tarSize: 0,
    entries: 0,
  };
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

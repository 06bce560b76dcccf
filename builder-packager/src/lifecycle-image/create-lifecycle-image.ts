/**
 * `buildpacksio/lifecycle`, made here: a lifecycle image with the official image's layout
 * and labels, from the verified release tarballs, for networks that reach GitHub (or a
 * mirror of its releases) but not Docker Hub. Each target is two layers: {@link baseEntries}
 * in place of distroless/static, and the release under /cnb. Built in a scratch layout and
 * copied to the output once whole, so a failure writes nothing there.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CnbError } from "@cnbkit/framework";
import { fetchLifecycleRelease, type LifecycleReleases, releaseAsset } from "../builder/index.js";
import { elfMachine } from "../compile/index.js";
import {
  copyImage,
  type Descriptor,
  type Digest,
  imageConfig,
  type LayerDescriptor,
  NORMALIZED_CREATED,
  OciLayout,
  openImageSink,
  openImageSource,
  type Platform,
  parseReference,
  type StoreOptions,
  writeLayer,
} from "../oci/index.js";
import { parseTarget, targetString } from "../package/index.js";
import { BASE_ENV, baseEntries, readCaBundle } from "./base-layer.js";
import { lifecycleLabels } from "./labels.js";
import { releaseLayer } from "./release-layer.js";

/** The targets of the official image on Linux, made when none are asked for. */
export const DEFAULT_LIFECYCLE_TARGETS = ["linux/amd64", "linux/arm64"];

/** Where the CA bundle comes from when none is given: the machine's own (Debian, Ubuntu and Alpine keep it here). */
export const DEFAULT_CA_BUNDLE = "/etc/ssl/certs/ca-certificates.crt";

/** Options of {@link createLifecycleImage}. */
export interface CreateLifecycleImageOptions {
  /** The lifecycle release, e.g. "0.21.17". */
  version: string;
  /** `oci:dir[:tag]` or a registry reference. */
  output: string;
  /** `os/arch` targets (default {@link DEFAULT_LIFECYCLE_TARGETS}); several make an image index. */
  targets?: string[];
  /** The CA bundle for /etc/ssl/certs/ca-certificates.crt (default {@link DEFAULT_CA_BUNDLE}). */
  caBundle?: string;
  /** CNBKIT_CACHE, CNBKIT_LIFECYCLE_MIRROR, proxies; default process.env. */
  env?: Record<string, string | undefined>;
  /** The release sha256 table (default: cnbkit's); tests inject theirs. */
  releases?: LifecycleReleases;
  /** Registry access for a registry `output` (plain HTTP, credentials). */
  store?: StoreOptions;
  /** Where progress lines go (the CLI: stderr). */
  onProgress?: (line: string) => void;
}

/** What {@link createLifecycleImage} wrote. */
export interface CreateLifecycleImageResult {
  output: string;
  /** Manifest digest (one target) or index digest (several). */
  digest: Digest;
  targets: string[];
  version: string;
}

/**
 * Makes the lifecycle image of `version` for each target and writes it to `output`.
 * One-line {@link CnbError}s: a malformed version or target, a CA bundle that is not one, a
 * release that cannot be fetched or does not match its published sha256, a tarball whose
 * lifecycle.toml names another version or whose binaries are for another arch.
 *
 * @example
 * await createLifecycleImage({ version: "0.21.17", output: "oci:out/lifecycle:0.21.17" });
 * await createLifecycleImage({ version: "0.21.17", output: "registry.internal/buildpacksio/lifecycle:0.21.17", targets: ["linux/arm64"] });
 */
export async function createLifecycleImage(options: CreateLifecycleImageOptions): Promise<CreateLifecycleImageResult> {
  const progress = options.onProgress ?? (() => {});
  const { version } = options;
  // The version becomes part of a download URL and a tag: refuse anything but a release's.
  if (!/^\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?$/.test(version)) {
    throw new CnbError(`--version "${version}" is not a lifecycle release version`, { hint: "e.g. --version 0.21.17" });
  }
  const byTarget = new Map(
    (options.targets?.length ? options.targets : DEFAULT_LIFECYCLE_TARGETS)
      .map((t) => lifecycleTarget(t))
      .map((p) => [targetString(p), p] as const),
  );
  const platforms = [...byTarget.values()];
  const targets = [...byTarget.keys()];
  const out = parseReference(options.output);
  const caBundle = await readCaBundle(options.caBundle ?? DEFAULT_CA_BUNDLE);
  const work = await mkdtemp(join(tmpdir(), "cnbkit-lifecycle-image-"));
  try {
    const layout = await OciLayout.create(join(work, "layout"));
    const base = await writeLayer(baseEntries(caBundle), layout.blobDir);
    // The targets side by side (at most two: compressing each ~25 MB lifecycle is the work),
    // every one waited for before a failure is thrown, so nothing still writes into the
    // scratch dir when it is removed.
    const settled = await Promise.allSettled(
      platforms.map((platform) => lifecycleManifest({ ...options, platform, layout, base, work, progress })),
    );
    const failed = settled.find((r) => r.status === "rejected");
    if (failed) throw failed.reason;
    const manifests = settled.map((r) => (r as PromiseFulfilledResult<Descriptor>).value);
    const top = manifests.length === 1 ? (manifests[0] as Descriptor) : await layout.writeIndex(manifests);
    await layout.tag(top, "latest");
    progress(`Writing ${options.output}`);
    const sink = await openImageSink(out, options.store);
    await copyImage(await openImageSource(`oci:${layout.dir}:latest`), sink, { tag: sink.defaultTag ?? version });
    return { output: options.output, digest: top.digest, targets, version };
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

/** What {@link lifecycleManifest} works with. */
interface ManifestInput extends CreateLifecycleImageOptions {
  platform: Platform;
  layout: OciLayout;
  base: LayerDescriptor;
  work: string;
  progress: (line: string) => void;
}

/** One target's image in the scratch layout: its release fetched and checked, then the base and /cnb layers. */
async function lifecycleManifest(input: ManifestInput): Promise<Descriptor> {
  const { version, platform, layout, base, work, progress } = input;
  const arch = platform.architecture;
  const where = `--version "${version}"`;
  const dir = join(work, targetString(platform).replaceAll("/", "-"));
  const tgz = await fetchLifecycleRelease(version, arch, {
    workDir: join(dir, "fetch"),
    where,
    ...(input.env ? { env: input.env } : {}),
    ...(input.releases ? { releases: input.releases } : {}),
    // Its advice to pin the sum in builder.toml is for builders; here the sum is only shown.
    say: progress,
    pinAdvice: null,
  });
  progress(`Making the lifecycle image for ${targetString(platform)}`);
  const release = await releaseLayer(tgz, join(dir, "files"), `${where}: ${releaseAsset(version, arch)}`);
  await checkRelease(release, version, arch, where);
  const lifecycle = await writeLayer(release.entries, layout.blobDir);
  const config = imageConfig({
    architecture: arch,
    os: platform.os,
    variant: platform.variant,
    diffIds: [base.diffId, lifecycle.diffId],
    config: { Env: BASE_ENV, WorkingDir: "/layers", Labels: lifecycleLabels(release.descriptor) },
    history: [
      { created: NORMALIZED_CREATED, created_by: "cnbkit lifecycle image: passwd, group, tmp and CA bundle" },
      { created: NORMALIZED_CREATED, created_by: `cnbkit lifecycle image: ${releaseAsset(version, arch)}` },
    ],
  });
  return layout.writeImage({ config, layers: [base, lifecycle] });
}

/** A `--target`: linux/amd64 or linux/arm64, the Linux arches cnbkit checks binaries for. */
function lifecycleTarget(t: string): Platform {
  const p = parseTarget(t, "--target");
  if (p.architecture !== "amd64" && p.architecture !== "arm64") {
    throw new CnbError(`--target "${t}": cnbkit makes lifecycle images for linux/amd64 and linux/arm64 only`);
  }
  return p;
}

/** The release is the one asked for: lifecycle.toml names `version`, the binary is built for `arch`. */
async function checkRelease(
  release: Awaited<ReturnType<typeof releaseLayer>>,
  version: string,
  arch: string,
  where: string,
): Promise<void> {
  if (release.descriptor.version !== version) {
    throw new CnbError(`${where}: the release tarball's lifecycle.toml says version ${release.descriptor.version}`);
  }
  const bin = release.entries.find((e) => e.path === "cnb/lifecycle/lifecycle");
  if (bin?.type !== "file" || !("sourcePath" in bin)) {
    throw new CnbError(`${where}: the release tarball has no lifecycle/lifecycle executable`);
  }
  const machine = await elfMachine(bin.sourcePath);
  if (machine !== arch) {
    throw new CnbError(`${where}: the ${arch} release tarball holds a lifecycle built for ${machine}`);
  }
}

/**
 * `cnbkit base extend`: what a platform team writes a Dockerfile for (`FROM <run image>`,
 * `USER root`, `RUN apt-get install ...`, `COPY corp-ca.pem ...`, `USER cnb`), without Docker.
 *
 * The image is unpacked (cached by digest) and used read-only as the lower dir of an
 * overlayfs mount. Files to copy and CA certificates go into the merged view; apt-get and
 * update-ca-certificates run inside runc as root on the image's own root filesystem, with
 * the host's network; apt's lists, caches and logs are dropped. The overlay's upper dir is
 * then exactly the change, and becomes ONE new layer (../container/overlay-diff.ts), followed by a fresh
 * SBOM layer of the image's Debian packages (the `io.buildpacks.base.sbom` label moves to
 * it). Every other label, the user and the env are kept; `--env` and `--label` are added,
 * and `io.cnbkit.base.extended` records what was added, step by step. Layers are written
 * reproducibly, so a re-run gives the same digest whenever apt installs the same files.
 */
import { spawnSync } from "node:child_process";
import { createReadStream } from "node:fs";
import { cp, mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { basename, join } from "node:path";
import { Readable } from "node:stream";
import { CnbError } from "@cnbkit/framework";
import { BASE_SBOM_LABEL, DEFAULT_DEBIAN_MIRROR, writeBaseSbomLayer } from "../base/index.js";
import { recordProvides } from "./extend-abi.js";
import {
  type Descriptor,
  type Digest,
  type ImageConfig,
  type ImageSource,
  imageIndex,
  isManifestType,
  jsonBlob,
  MEDIA_TYPES,
  NORMALIZED_CREATED,
  openImageSink,
  openImageSource,
  type Platform,
  writeLayer,
} from "../oci/index.js";
import {
  checkProxyReachable,
  checkRunnable,
  overlayDiffEntries,
  proxyEnv,
  runContainer,
  unpackImage,
} from "../container/index.js";
import { checkInputs, type ExtendOptions, type Inputs } from "./extend-inputs.js";
import { describeStep, EXTENDED_LABEL, type ExtendStep, parseSteps } from "./extend-record.js";
import { dropRunState, mountOverlay, type OverlayView } from "./overlay-view.js";

/** What {@link extendImage} made. */
export interface ExtendResult {
  digest: Digest;
  /** The new layer: digest, compressed size, and how many paths it adds or changes and deletes. */
  layer: { digest: Digest; size: number; changed: number; deleted: number };
  /** Debian packages in the image after the change (its SBOM). */
  packages: number;
  /** For an index: each arch's extended image (layer and packages above are the first arch's). */
  platforms?: { platform: Platform; digest: Digest }[];
}

/** The shell script run as root in the image: apt-get install and/or update-ca-certificates, then apt's clean-up. */
function extendScript(apt: string[], caCerts: boolean): string {
  const q = (s: string) => `'${s.replace(/'/g, "'\\''")}'`;
  const lines = ["set -e", "export DEBIAN_FRONTEND=noninteractive"];
  if (apt.length > 0) {
    // --error-on=any: a mirror or proxy that fails is apt's error, not a later "Unable to locate package".
    lines.push(
      "apt-get update -qq --error-on=any",
      `apt-get install -y -qq --no-install-recommends ${apt.map(q).join(" ")}`,
    );
  }
  if (caCerts) {
    lines.push(
      "command -v update-ca-certificates >/dev/null || { echo 'error: the image has no update-ca-certificates (install the ca-certificates package with --apt ca-certificates)' >&2; exit 3; }",
      "update-ca-certificates",
    );
  }
  lines.push("apt-get clean >/dev/null 2>&1 || true", "rm -rf /var/lib/apt/lists/* /var/cache/apt/*.bin");
  return lines.join("\n");
}

/** Copies files and CA certificates into the view, then runs apt-get / update-ca-certificates in it. */
async function applyChanges(
  merged: string,
  inputs: Inputs,
  image: string,
  progress: (l: string) => void,
): Promise<void> {
  const { apt, certs, copies } = inputs;
  for (const c of copies) {
    const dest = join(merged, c.dest);
    await mkdir(join(dest, ".."), { recursive: true });
    await cp(c.src, dest, { recursive: true, preserveTimestamps: false });
    spawnSync("chown", ["-R", "0:0", dest]);
    progress(`  Copied ${c.src} to ${c.dest}`);
  }
  const certDir = join(merged, "usr/local/share/ca-certificates");
  if (certs.length > 0) await mkdir(certDir, { recursive: true, mode: 0o755 });
  for (const [i, cert] of certs.entries()) {
    const stem = basename(cert.file)
      .replace(/\.[^.]*$/, "")
      .replace(/[^A-Za-z0-9._-]/g, "_");
    const name = `cnbkit-${i + 1}-${stem}.crt`;
    await writeFile(join(certDir, name), cert.pem, { mode: 0o644 });
    progress(`  CA certificate ${cert.subject.replace(/\n/g, ", ")} -> /usr/local/share/ca-certificates/${name}`);
  }
  if (apt.length === 0 && certs.length === 0) return;
  const what = apt.length > 0 ? "apt-get install" : "update-ca-certificates";
  progress(apt.length > 0 ? `  apt-get install ${apt.join(" ")}` : "  update-ca-certificates");
  const errors: string[] = [];
  const status = await runContainer({
    rootfs: merged,
    args: ["/bin/sh", "-c", extendScript(apt, certs.length > 0)],
    env: ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "HOME=/root", ...proxyEnv()],
    user: { uid: 0, gid: 0 },
    network: "host",
    onStdout: (l) => progress(`    ${l}`),
    onStderr: (l) => {
      errors.push(l);
      progress(`    ${l}`);
    },
  });
  if (status === 0) return;
  // The first E: line says why (a failed fetch); apt's later ones sum up ("Some index files failed").
  const cause = errors.find((l) => /^E: |^error: /.test(l)) ?? errors.pop() ?? `exit status ${status}`;
  throw new CnbError(`base extend: ${what} failed in ${image}: ${cause}`, {
    hint: /Unable to locate package/.test(cause)
      ? "check each --apt name against the image's Debian release (apt-cache search <word> on such a machine)"
      : "the lines above are apt's output",
  });
}

/** The extended image's config: env and labels added, the step recorded, the two new layers on top. */
function extendedConfig(
  base: ImageConfig,
  inputs: Inputs,
  layer: { diffId: Digest },
  sbom: { diffId: Digest },
): ImageConfig {
  const { apt, certs, copies, env, labels } = inputs;
  const step: ExtendStep = {
    ...(apt.length ? { apt } : {}),
    ...(certs.length
      ? { caCerts: certs.map((c) => ({ file: basename(c.file), subject: c.subject, sha256: c.sha256 })) }
      : {}),
    ...(copies.length ? { copies: copies.map((c) => ({ dest: c.dest })) } : {}),
    ...(env.length ? { env: env.map(([k]) => k) } : {}),
    ...(labels.length ? { labels: labels.map(([k]) => k) } : {}),
  };
  const labelsBefore = base.config?.Labels ?? {};
  const envList = (base.config?.Env ?? []).filter((e) => !env.some(([k]) => e.startsWith(`${k}=`)));
  return {
    ...base,
    config: {
      ...base.config,
      Env: [...envList, ...env.map(([k, v]) => `${k}=${v}`)],
      Labels: {
        ...labelsBefore,
        ...Object.fromEntries(labels),
        [EXTENDED_LABEL]: JSON.stringify([...parseSteps(labelsBefore[EXTENDED_LABEL]), step]),
        [BASE_SBOM_LABEL]: sbom.diffId,
      },
    },
    rootfs: { type: "layers", diff_ids: [...base.rootfs.diff_ids, layer.diffId, sbom.diffId] },
    history: [
      ...(base.history ?? []),
      { created: NORMALIZED_CREATED, created_by: `cnbkit base extend ${describeStep(step)}`, comment: "extend" },
      { created: NORMALIZED_CREATED, created_by: "cnbkit: SBOM of the Debian packages", comment: "sbom" },
    ],
  };
}

/**
 * Extends `opts.image` as a Dockerfile would and writes the result to `opts.output`.
 * An image index (a multi-arch base image) is extended arch by arch, another arch's
 * programs under qemu as `cnbkit build` runs them, and written as an index again, so a
 * multi-arch builder can be made from it. Nothing is written to the output unless every
 * step succeeded for every arch.
 *
 * @example
 * await extendImage({ image: "oci:out/base:run", output: "oci:out/base-ext:run", apt: ["fontconfig"], caCerts: ["corp.pem"] });
 */
export async function extendImage(opts: ExtendOptions): Promise<ExtendResult> {
  const progress = opts.onProgress ?? (() => {});
  const inputs = await checkInputs(opts);
  // apt-get reaches the mirror only from inside the container: an unreachable proxy is named here, before any work.
  if (inputs.apt.length > 0) await checkProxyReachable(DEFAULT_DEBIAN_MIRROR, "apt-get in base extend");
  const source = await openImageSource(opts.image);
  const platforms = await imagePlatforms(source);
  const blobs = await mkdtemp(join(tmpdir(), "cnbkit-extend-blobs-"));
  try {
    const made: Extended[] = [];
    for (const platform of platforms) {
      made.push(await extendOne(source, platform, inputs, opts.image, blobs, progress));
    }
    const sink = await openImageSink(opts.output);
    const tag = sink.ref.kind === "layout" ? (sink.ref.tag ?? "latest") : sink.ref.tag;
    const one = made.length === 1 ? made[0] : undefined;
    const manifests: Descriptor[] = [];
    for (const m of made) {
      manifests.push(await writeExtended(source, m, blobs, sink, one ? tag : undefined));
    }
    let digest = manifests[0]!.digest;
    if (!one) {
      const index = imageIndex(manifests);
      const desc = await sink.putManifest(Buffer.from(JSON.stringify(index)), MEDIA_TYPES.index, tag);
      digest = desc.digest;
      progress(`  Index of ${made.map((m) => m.platform.architecture).join(", ")}: ${digest}`);
    }
    const first = made[0]!;
    return {
      digest,
      layer: first.layer,
      packages: first.packages,
      ...(one ? {} : { platforms: made.map((m, i) => ({ platform: m.platform, digest: manifests[i]!.digest })) }),
    };
  } finally {
    await rm(blobs, { recursive: true, force: true });
  }
}

/**
 * The platforms to extend: every Linux image of an index (a multi-arch base image has one per
 * arch), or the one image a manifest is.
 */
async function imagePlatforms(source: ImageSource): Promise<(Platform | undefined)[]> {
  const top = await source.manifest();
  if (top.kind === "manifest") return [undefined];
  const linux = top.index.manifests
    .filter((m) => isManifestType(m.mediaType) && m.platform?.os === "linux")
    .map((m) => m.platform);
  // An index of one (or with no platforms) is extended as the image it holds, as before.
  return linux.length > 1 ? linux : [undefined];
}

/** One arch's extended image, its blobs in the blob dir, ready to be written. */
interface Extended {
  platform: Platform;
  baseLayers: readonly { mediaType: string; digest: Digest; size: number }[];
  added: readonly { digest: Digest; size: number }[];
  config: ImageConfig;
  layer: ExtendResult["layer"];
  packages: number;
}

/** Unpacks one arch's image, applies the step in an overlay, and makes its two new layers and config. */
async function extendOne(
  source: ImageSource,
  platform: Platform | undefined,
  inputs: Inputs,
  image: string,
  blobs: string,
  progress: (l: string) => void,
): Promise<Extended> {
  const base = await source.image(platform);
  if (base.config.os !== "linux") {
    throw new CnbError(`${image}: a ${base.config.os} image; base extend makes Linux images`);
  }
  const arch = base.config.architecture;
  progress(`Extending ${image}${platform ? ` (linux/${arch})` : ""} (${base.manifest.manifest.layers.length} layers)`);
  // Only a step that runs programs in the image needs them to run here (another arch: qemu).
  if (inputs.apt.length > 0 || inputs.certs.length > 0) {
    await checkRunnable(`${image} (linux/${arch})`, base.config, { onLog: progress });
  }
  const unpacked = await unpackImage(source, { onProgress: progress, ...(platform ? { platform } : {}) });
  let view: OverlayView | undefined;
  try {
    view = await mountOverlay(unpacked.rootfs);
    await applyChanges(view.merged, inputs, image, progress);
    await dropRunState(view.merged);
    // The SBOM reads the final tree, so it is made before the view is unmounted.
    const distro = base.config.config?.Labels?.["io.buildpacks.base.distro.version"] ?? "";
    const sbom = await writeBaseSbomLayer(view.merged, blobs, `${image} extended`, distro);
    view.unmount();
    const diff = await overlayDiffEntries(view.upper, unpacked.rootfs);
    const layer = await writeLayer(diff.entries, blobs);
    const mb = (layer.size / 1024 / 1024).toFixed(1);
    progress(
      `  New layer: ${diff.changed} paths added or changed, ${diff.deleted} deleted, ${mb} MB gzip; SBOM: ${sbom.packages} Debian packages`,
    );
    const config = extendedConfig(base.config, inputs, layer, sbom);
    await recordProvides(config, source, base.manifest.manifest.layers, [layer, sbom], blobs);
    return {
      platform: platform ?? { os: "linux", architecture: arch },
      baseLayers: base.manifest.manifest.layers,
      added: [layer, sbom],
      config,
      layer: { digest: layer.digest, size: layer.size, changed: diff.changed, deleted: diff.deleted },
      packages: sbom.packages,
    };
  } finally {
    await view?.remove();
    await unpacked.release();
  }
}

/**
 * Writes one arch's base blobs, new layers, config and manifest to `sink`; tagged when it is
 * the whole result, untagged when an index will name it.
 */
async function writeExtended(
  source: ImageSource,
  made: Extended,
  blobDir: string,
  sink: Awaited<ReturnType<typeof openImageSink>>,
  tag: string | undefined,
): Promise<Descriptor> {
  const { baseLayers, added, config } = made;
  const mountFrom = source.ref.kind === "registry" ? source.ref : undefined;
  // A layout writes Docker-typed layers as OCI (skopeo and umoci read only OCI types there).
  const layerType = (t: string) => (sink.ociOnly && t === MEDIA_TYPES.dockerLayerGzip ? MEDIA_TYPES.layerGzip : t);
  const layers = [
    ...baseLayers.map((l) => ({ mediaType: layerType(l.mediaType), digest: l.digest, size: l.size })),
    ...added.map((l) => ({ mediaType: MEDIA_TYPES.layerGzip, digest: l.digest, size: l.size })),
  ];
  for (const l of baseLayers) {
    if (await sink.hasBlob(l.digest)) continue;
    const linkFrom = await source.blobFile?.(l.digest);
    await sink.putBlob(l, () => source.blob(l.digest), { mountFrom, ...(linkFrom ? { linkFrom } : {}) });
  }
  for (const l of added) {
    const path = join(blobDir, l.digest.slice("sha256:".length));
    const desc = { mediaType: MEDIA_TYPES.layerGzip, digest: l.digest, size: l.size };
    if (!(await sink.hasBlob(l.digest)))
      await sink.putBlob(desc, async () => createReadStream(path), { linkFrom: path });
  }
  const configBlob = jsonBlob(config, MEDIA_TYPES.config);
  await sink.putBlob(configBlob.descriptor, async () => Readable.from([configBlob.bytes]));
  const manifest = { schemaVersion: 2, mediaType: MEDIA_TYPES.manifest, config: configBlob.descriptor, layers };
  const desc = await sink.putManifest(Buffer.from(JSON.stringify(manifest)), MEDIA_TYPES.manifest, tag);
  return { mediaType: MEDIA_TYPES.manifest, digest: desc.digest, size: desc.size, platform: made.platform };
}

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
import { X509Certificate } from "node:crypto";
import { createReadStream, existsSync } from "node:fs";
import { chmod, cp, lstat, mkdir, mkdtemp, readFile, rm, truncate, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { basename, join, posix } from "node:path";
import { Readable } from "node:stream";
import { CnbError } from "@cnbkit/framework";
import { BASE_SBOM_LABEL, DEFAULT_DEBIAN_MIRROR, writeBaseSbomLayer } from "../base/index.js";
import { ownedPrefix, STALE_PREFIXES } from "../cache/index.js";
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

/** The label listing what `base extend` added to an image, oldest step first. */
export const EXTENDED_LABEL = "io.cnbkit.base.extended";

/** What to add to an image. */
export interface ExtendOptions {
  /** The image to extend: `oci:<dir>[:tag]` or a registry reference. */
  image: string;
  /** Where the extended image goes: `oci:<dir>[:tag]` or a registry reference. */
  output: string;
  /** Debian packages to install with apt-get (--no-install-recommends). */
  apt?: string[];
  /** PEM files of CA certificates to add to the system trust store. */
  caCerts?: string[];
  /** `K=V` pairs for the image's Env (a K already there is replaced). */
  env?: string[];
  /** `K=V` pairs added to the image's labels. */
  labels?: string[];
  /** `SRC:DEST` pairs: a host file or directory copied to the absolute DEST, owned by root. */
  copies?: string[];
  /** Progress lines. */
  onProgress?: (line: string) => void;
}

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

/** One step recorded in {@link EXTENDED_LABEL}. */
interface ExtendStep {
  apt?: string[];
  caCerts?: { file: string; subject: string; sha256: string }[];
  env?: string[];
  copies?: { dest: string }[];
  labels?: string[];
}

const DEBIAN_PACKAGE = /^[a-z0-9][a-z0-9+.-]+(?:=[A-Za-z0-9.+~:-]+)?$/;
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** Splits `K=V`, with a one-line error naming the flag when it is not one. */
function keyValue(pair: string, flag: string, name: RegExp | undefined): [string, string] {
  const eq = pair.indexOf("=");
  const key = eq > 0 ? pair.slice(0, eq) : "";
  if (!key || (name && !name.test(key))) {
    throw new CnbError(`${flag} "${pair}" is not KEY=VALUE${name ? " with KEY a variable name" : ""}`);
  }
  return [key, pair.slice(eq + 1)];
}

/** Reads and checks each CA certificate before anything is unpacked or written. */
async function readCaCerts(files: string[]): Promise<{ file: string; pem: string; subject: string; sha256: string }[]> {
  const out = [];
  for (const file of files) {
    const pem = await readFile(file, "utf8").catch((e: NodeJS.ErrnoException) => {
      throw new CnbError(`--ca-cert ${file}: cannot read it (${e.code ?? e.message})`, {
        hint: "give the path of a PEM file with one or more CA certificates",
      });
    });
    const blocks = pem.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
    if (blocks.length === 0) {
      throw new CnbError(`--ca-cert ${file}: no PEM certificate in it (no -----BEGIN CERTIFICATE----- block)`, {
        hint: "convert a DER certificate with: openssl x509 -inform der -in cert.der -out cert.pem",
      });
    }
    let first: X509Certificate | undefined;
    for (const block of blocks) {
      try {
        first ??= new X509Certificate(block);
        if (!first.ca) throw new Error("not a CA certificate (basicConstraints CA:FALSE)");
      } catch (e) {
        throw new CnbError(`--ca-cert ${file}: ${(e as Error).message}`, {
          hint: "give the PEM of the CA that issues your servers' certificates, not a server certificate",
        });
      }
    }
    out.push({
      file,
      pem: `${blocks.join("\n")}\n`,
      subject: first?.subject ?? "",
      sha256: first?.fingerprint256 ?? "",
    });
  }
  return out;
}

/** Checks `--copy SRC:DEST` pairs: the source exists, the destination is absolute. */
async function checkCopies(copies: string[]): Promise<{ src: string; dest: string }[]> {
  const out = [];
  for (const pair of copies) {
    const colon = pair.lastIndexOf(":");
    const src = colon > 0 ? pair.slice(0, colon) : "";
    const dest = colon > 0 ? pair.slice(colon + 1) : "";
    if (!src || !dest.startsWith("/")) {
      throw new CnbError(`--copy "${pair}" is not SRC:DEST with DEST an absolute path in the image`);
    }
    await lstat(src).catch(() => {
      throw new CnbError(`--copy ${src}: no such file or directory on this machine`, {
        hint: "paths are relative to the directory cnbkit runs in",
      });
    });
    if (posix.normalize(dest).split("/").includes(".."))
      throw new CnbError(`--copy "${pair}": DEST may not contain ..`);
    out.push({ src, dest: posix.normalize(dest) });
  }
  return out;
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

/**
 * Host-side clean-up of the merged view: what apt and dpkg leave that is time- or run-specific
 * (also run after an extension's run.Dockerfile, extensions/apply-run.ts).
 */
export async function dropRunState(merged: string): Promise<void> {
  for (const path of [
    "var/lib/dpkg/status-old",
    "var/lib/dpkg/diversions-old",
    "var/cache/debconf/config.dat-old",
    "var/cache/debconf/templates.dat-old",
    "var/cache/ldconfig/aux-cache",
  ]) {
    await rm(join(merged, path), { force: true });
  }
  for (const log of [
    "var/log/apt/history.log",
    "var/log/apt/term.log",
    "var/log/apt/eipp.log.xz",
    "var/log/dpkg.log",
    "var/log/alternatives.log",
  ]) {
    if (existsSync(join(merged, log))) await truncate(join(merged, log), 0);
  }
}

/** The checked inputs of one extend step. */
interface Inputs {
  apt: string[];
  env: [string, string][];
  labels: [string, string][];
  certs: Awaited<ReturnType<typeof readCaCerts>>;
  copies: { src: string; dest: string }[];
}

/** Checks every flag before anything is unpacked or written: bad input gets one line. */
async function checkInputs(opts: ExtendOptions): Promise<Inputs> {
  const apt = opts.apt ?? [];
  for (const p of apt) {
    if (!DEBIAN_PACKAGE.test(p)) throw new CnbError(`--apt "${p}" is not a Debian package name (name or name=version)`);
  }
  const inputs: Inputs = {
    apt,
    env: (opts.env ?? []).map((e) => keyValue(e, "--env", ENV_NAME)),
    labels: (opts.labels ?? []).map((l) => keyValue(l, "--label", undefined)),
    certs: await readCaCerts(opts.caCerts ?? []),
    copies: await checkCopies(opts.copies ?? []),
  };
  const { env, labels, certs, copies } = inputs;
  if (apt.length + certs.length + copies.length + env.length + labels.length === 0) {
    throw new CnbError("base extend: nothing to add", { hint: "give --apt, --ca-cert, --copy, --env or --label" });
  }
  if (process.getuid?.() !== 0) {
    throw new CnbError("base extend runs apt-get as root inside the image and needs root here (overlayfs, runc)");
  }
  return inputs;
}

/** An overlay over an unpacked image: write to `merged`, read the change from `upper`. */
export interface OverlayView {
  upper: string;
  merged: string;
  unmount(): void;
  remove(): Promise<void>;
}

/** Mounts an overlay over `lower` in a temp dir; `remove()` (in a finally) unmounts and deletes it. */
export async function mountOverlay(lower: string): Promise<OverlayView> {
  const work = await mkdtemp(join(tmpdir(), ownedPrefix(STALE_PREFIXES.view)));
  const [upper, overlayWork, merged] = ["upper", "work", "merged"].map((d) => join(work, d)) as [
    string,
    string,
    string,
  ];
  let mounted = false;
  const view: OverlayView = {
    upper,
    merged,
    unmount() {
      if (mounted) spawnSync("umount", [merged]);
      mounted = false;
    },
    async remove() {
      view.unmount();
      await rm(work, { recursive: true, force: true });
    },
  };
  await chmod(work, 0o755);
  await Promise.all([mkdir(upper), mkdir(overlayWork), mkdir(merged)]);
  const mount = spawnSync(
    "mount",
    ["-t", "overlay", "overlay", "-o", `lowerdir=${lower},upperdir=${upper},workdir=${overlayWork}`, merged],
    { encoding: "utf8" },
  );
  if (mount.status !== 0) {
    await view.remove();
    throw new CnbError(
      `base extend: cannot mount an overlay over the image: ${(mount.stderr || "").trim().split("\n")[0]}`,
    );
  }
  mounted = true;
  return view;
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
    return {
      platform: platform ?? { os: "linux", architecture: arch },
      baseLayers: base.manifest.manifest.layers,
      added: [layer, sbom],
      config: extendedConfig(base.config, inputs, layer, sbom),
      layer: { digest: layer.digest, size: layer.size, changed: diff.changed, deleted: diff.deleted },
      packages: sbom.packages,
    };
  } finally {
    await view?.remove();
    await unpacked.release();
  }
}

function parseSteps(label: string | undefined): ExtendStep[] {
  if (!label) return [];
  try {
    const parsed = JSON.parse(label);
    return Array.isArray(parsed) ? parsed : [];
  } catch {
    return [];
  }
}

function describeStep(step: ExtendStep): string {
  const parts = [];
  if (step.apt) parts.push(`--apt ${step.apt.join(",")}`);
  for (const c of step.caCerts ?? []) parts.push(`--ca-cert ${c.file}`);
  for (const c of step.copies ?? []) parts.push(`--copy …:${c.dest}`);
  for (const e of step.env ?? []) parts.push(`--env ${e}=…`);
  for (const l of step.labels ?? []) parts.push(`--label ${l}=…`);
  return parts.join(" ");
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

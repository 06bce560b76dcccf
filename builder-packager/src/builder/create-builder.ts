/**
 * `cnbkit builder create`: builder.toml becomes a builder image on top of the build base
 * image, laid out the way pack lays one out, so `pack build`, kpack and Tekton accept it:
 *
 * base layers · dirs (/workspace and /layers owned by CNB_USER_ID:CNB_GROUP_ID; /cnb,
 * /cnb/buildpacks, /platform/env, /cnb/build-config/env) · /cnb/lifecycle · one layer per
 * buildpack (the buildpackages' own blobs, reused by diffID) · /cnb/order.toml ·
 * /cnb/stack.toml · /cnb/run.toml · /cnb/build-config/env (when [[build.env]] is given) ·
 * /cnb/system.toml (when [system] names buildpacks); with image extensions, one layer per
 * extension at /cnb/extensions/<id>/<version> (extensions.ts) and `[[order-extensions]]` in
 * /cnb/order.toml.
 *
 * The config keeps the base image's env and labels, adds the builder labels, sets User
 * to the CNB user and WorkingDir to /layers. Every layer is reproducible, so creating the
 * same builder twice gives the same digest, and pushing it again uploads nothing.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, isAbsolute, join, resolve } from "node:path";
import { CnbError } from "@cnbkit/framework";
import {
  type ContainerConfig,
  copyImage,
  type Descriptor,
  type Digest,
  formatReference,
  imageConfig,
  type ImageReference,
  type ImageSource,
  LayerBlobCache,
  type LayerBlobStore,
  type LayerDescriptor,
  type LayerEntry,
  OciLayout,
  openImageSink,
  openImageSource,
  parseReference,
  type Platform,
  type StoreOptions,
  writeLayer,
  mapLimit,
} from "../oci/index.js";
import {
  BUILDPACK_LAYERS_LABEL,
  type BuildpackModule,
  type Component,
  goJson,
  type ModuleInfoJson,
  type ModuleLayers,
  type OpenComponentOptions,
  openComponent,
  packageDirAsOci,
  parseTarget,
  stringifyModuleLayers,
  targetString,
} from "../package/index.js";
import {
  type BuilderConfig,
  type BuilderOrderEntry,
  type BuilderSystem,
  type RunImage,
  readBuilderToml,
} from "./config.js";
import type { Lifecycle } from "./lifecycle-binary.js";
import { type LifecycleLayers, startLifecycleLayers } from "./lifecycle-binary-layer.js";
import { publishRunImages } from "./run-images.js";
import { ScratchImage } from "./scratch-image.js";
import { EXTENSION_LAYERS_LABEL, type ExtensionModule, extensionLayers, writeExtensionLayers } from "./extensions.js";
import {
  BUILDER_METADATA_LABEL,
  BUILDER_ORDER_EXTENSIONS_LABEL,
  BUILDER_ORDER_LABEL,
  BUILDER_SYSTEM_LABEL,
  builderMetadata,
  hasSystem,
  orderLabel,
  orderToml,
  runToml,
  stackToml,
  systemLabel,
  systemToml,
} from "./metadata.js";

/** The cnbkit version written to `createdBy`. */
export const CNBKIT_VERSION = "0.1.0";

/** Options of {@link createBuilder}. */
export interface CreateBuilderOptions {
  /** Path of builder.toml; relative uris in it resolve against its directory. */
  config: string;
  /** `oci:<dir>[:tag]` (tag default "latest") or a registry reference. */
  output: string;
  /**
   * Targets ("linux/amd64", "linux/arm64") that replace builder.toml's `[[targets]]`; several
   * make an image index with one builder per target.
   */
  targets?: string[];
  onProgress?: (line: string) => void;
  /** Registry options (auth, shared clients). */
  store?: StoreOptions;
  /**
   * For registry output: the repository that local-layout run images are pushed to
   * (default `<builder repository>-run`, beside the builder).
   */
  runImageRepo?: string;
  /**
   * Compressed layers by diffId for the buildpacks packaged from source dirs and the
   * lifecycle, so an unchanged one is hashed, not gzipped again (default: a
   * `LayerBlobCache` under the cnbkit cache, bounded by CNBKIT_CACHE_MAX_LAYER_BLOBS).
   */
  layerCache?: LayerBlobStore;
}

/** What {@link createBuilder} wrote. */
export interface CreateBuilderResult {
  output: string;
  /** Manifest digest (one target) or index digest (several). */
  digest: Digest;
  targets: string[];
  /** Every buildpack in the builder. */
  buildpacks: { id: string; version: string }[];
  /** Every image extension in the builder (empty without any). */
  extensions: { id: string; version: string }[];
  /** For registry output: blobs uploaded vs. already there (or mounted from another repository). */
  uploaded?: number;
  existing?: number;
  /** The run images as the builder names them (registry names when published). */
  runImages: RunImage[];
}

/**
 * A run image in a local OCI layout is named by an absolute path in /cnb/run.toml, so the
 * builder works from any directory (registry references pass through unchanged).
 */
function absoluteRunImages(images: { image: string; mirrors: string[] }[], baseDir: string): void {
  for (const run of images) {
    run.image = absoluteLayoutRef(run.image, baseDir);
    run.mirrors = run.mirrors.map((m) => absoluteLayoutRef(m, baseDir));
  }
}

/**
 * Creates a builder image from builder.toml.
 *
 * @example
 * await createBuilder({ config: "builder/builder.toml", output: "oci:out/builder:latest" });
 * await createBuilder({ config: "builder/builder.toml", output: "127.0.0.1:5000/acme/builder:1" });
 */
export async function createBuilder(options: CreateBuilderOptions): Promise<CreateBuilderResult> {
  const progress = options.onProgress ?? (() => {});
  const file = resolve(options.config);
  const baseDir = dirname(file);
  const cfg = await readBuilderToml(file);
  for (const w of cfg.warnings) progress(`warning: ${w}`);
  absoluteRunImages(cfg.run.images, baseDir);
  const platforms = builderPlatforms(options.targets, cfg, file);
  const targets = [...new Set(platforms.map(targetString))];
  const out = parseReference(options.output);
  // One client per registry for the whole run, so blobs pushed with the run images are
  // mounted, not uploaded again, into the builder's repository.
  const store = { clients: new Map(), ...(options.store ?? {}) };
  const cacheFor = (say: (line: string) => void) => options.layerCache ?? new LayerBlobCache({ onProgress: say });
  const layerCache = cacheFor(progress);
  const work = await mkdtemp(join(tmpdir(), "cnbkit-builder-"));
  let lifecycles: LifecycleLayers | undefined;
  let scratch: ScratchImage | undefined;
  try {
    // Built in scratch space and copied out when complete, so a failure leaves no output;
    // a registry gets the blobs as they come (its tag moves only at the end).
    scratch = new ScratchImage(await OciLayout.create(join(work, "layout")));
    if (out.kind === "registry") scratch.pushTo(await openImageSink(out, store));
    // The lifecycle layer (unpack, tar, gzip: the one layer compressed on a cold run from
    // .cnb files) is made while run images are pushed and buildpackages are read.
    lifecycles = startLifecycleLayers(cfg.lifecycle, platforms, {
      baseDir,
      workDir: work,
      file,
      blobDir: scratch.layout.blobDir,
      cache: cacheFor,
    });
    if (out.kind === "registry") {
      cfg.run.images = await publishRunImages(cfg.run.images, {
        builder: out,
        runImageRepo: options.runImageRepo,
        store,
        progress,
      });
    }
    const base = await openImageSource(relativeRef(cfg.build.image, baseDir), store).catch((err: unknown) => {
      throw new CnbError(`${file}: [build].image "${cfg.build.image}": ${(err as Error).message}`);
    });
    const components = await openComponents(
      cfg,
      file,
      {
        baseDir,
        workDir: join(work, "components"),
        targets,
        store,
        packageDir: packageDirAsOci({ onProgress: progress, store, layerCache }),
      },
      progress,
    );
    const input = { cfg, file, baseDir, work, base, components, scratch, progress, layerCache, lifecycles };
    const { top, modules, extensions } = await writePlatformImages(platforms, input);
    const copied = await copyOut(scratch, top, { out, output: options.output, store, progress });
    return {
      output: options.output,
      digest: top.digest,
      targets,
      buildpacks: modules.map((m) => ({ id: m.id, version: m.version })),
      extensions: extensions.map((m) => ({ id: m.id, version: m.version })),
      uploaded: copied.uploaded,
      existing: copied.existing + copied.mounted,
      runImages: cfg.run.images,
    };
  } finally {
    await lifecycles?.settled();
    await scratch?.settled();
    await rm(work, { recursive: true, force: true });
  }
}

/**
 * One builder image per platform, and the index over them when there are several. The
 * buildpacks and extensions are the last platform's: every platform has the same order.
 */
async function writePlatformImages(
  platforms: Platform[],
  input: Omit<BuilderImageInput, "platform">,
): Promise<{ top: Descriptor; modules: BuildpackModule[]; extensions: ExtensionModule[] }> {
  const manifests: Descriptor[] = [];
  let modules: BuildpackModule[] = [];
  let extensions: ExtensionModule[] = [];
  for (const platform of platforms) {
    input.progress(`Creating builder for ${targetString(platform)}`);
    const r = await writeBuilderImage({ ...input, platform });
    manifests.push(r.descriptor);
    modules = r.modules;
    extensions = r.extensions;
  }
  const top = manifests.length === 1 ? (manifests[0] as Descriptor) : await input.scratch.layout.writeIndex(manifests);
  return { top, modules, extensions };
}

/**
 * Copies the finished builder from scratch space to where it goes (its tag moves last); the
 * blobs a registry already got while it was built count as already there.
 */
async function copyOut(
  scratch: ScratchImage,
  top: Descriptor,
  to: { out: ImageReference; output: string; store: StoreOptions; progress: (line: string) => void },
): Promise<{ uploaded: number; mounted: number; existing: number }> {
  to.progress(`Writing ${to.output}`);
  const sink = await openImageSink(to.out, to.store);
  const copied = await copyImage(scratch.source(top), sink, {
    pushed: scratch.pushed,
    tag: sink.defaultTag ?? "latest",
  });
  to.progress(
    `Wrote ${to.output}: ${top.digest} (${copied.uploaded} blobs written, ${copied.mounted} mounted, ${copied.existing} already there)`,
  );
  return copied;
}

/**
 * Opens every `[[buildpacks]]` entry, two at a time: packaging a source dir is mostly
 * bundling and hashing a ~112 MB executable, and two overlap on two cores (bench:package's
 * "buildpacks from source dirs"). Every one is waited for before a failure is thrown, so
 * nothing is still writing into the scratch dir when it is removed.
 */
async function openComponents(
  cfg: BuilderConfig,
  file: string,
  options: OpenComponentOptions,
  progress: (line: string) => void,
): Promise<Component[]> {
  const settled = await mapLimit(cfg.buildpacks, 2, async (bp, i) => {
    progress(`Reading buildpack ${bp.uri ?? bp.image}`);
    return openComponent(bp, `${file}: [[buildpacks]][${i}]`, options).then(
      (c) => ({ ok: true as const, c }),
      (err: unknown) => ({ ok: false as const, err }),
    );
  });
  const failed = settled.find((r) => !r.ok);
  if (failed && !failed.ok) throw failed.err;
  return settled.map((r) => (r.ok ? r.c : (undefined as never)));
}

/** The platforms to build: `--target`s, else builder.toml's `[[targets]]`, else linux/amd64. */
function builderPlatforms(requested: string[] | undefined, cfg: BuilderConfig, file: string): Platform[] {
  if (requested?.length) return requested.map((t) => parseTarget(t, "--target"));
  return (cfg.targets.length ? cfg.targets : [{ os: "linux", arch: "amd64" }]).map((t, i) =>
    parseTarget(
      `${t.os ?? "linux"}/${t.arch ?? "amd64"}${t.variant ? `/${t.variant}` : ""}`,
      `${file}: [[targets]][${i}]`,
    ),
  );
}

/** `oci:relative/dir` in builder.toml is relative to builder.toml. */
function absoluteLayoutRef(ref: string, baseDir: string): string {
  const r = relativeRef(ref, baseDir);
  return typeof r === "string" ? r : formatReference(r);
}

function relativeRef(ref: string, baseDir: string): string | ImageReference {
  const r = parseReference(ref);
  if (r.kind === "layout" && !isAbsolute(r.path)) return { ...r, path: resolve(baseDir, r.path) };
  return r;
}

interface BuilderImageInput {
  cfg: BuilderConfig;
  file: string;
  baseDir: string;
  work: string;
  platform: Platform;
  base: ImageSource;
  components: Component[];
  scratch: ScratchImage;
  progress: (line: string) => void;
  layerCache: LayerBlobStore;
  lifecycles: LifecycleLayers;
}

/** One platform's builder image, step by step; returns its manifest and the buildpacks in it. */
async function writeBuilderImage(
  input: BuilderImageInput,
): Promise<{ descriptor: Descriptor; modules: BuildpackModule[]; extensions: ExtensionModule[] }> {
  const { cfg, file, platform } = input;
  const { layout } = input.scratch;
  const where = `${file}: [build].image "${cfg.build.image}"`;
  const { manifest, config: baseConfig } = await input.base.image(platform);
  if (baseConfig.os !== platform.os || baseConfig.architecture !== platform.architecture) {
    throw new CnbError(
      `${where} is ${baseConfig.os}/${baseConfig.architecture}, the target is ${targetString(platform)}`,
    );
  }
  const user = cnbUser(baseConfig.config ?? {}, where);
  const layers = await baseLayers(input, manifest.manifest.layers, baseConfig.rootfs.diff_ids as Digest[]);
  layers.push(await writeLayer(defaultDirs(user), layout.blobDir));
  // The buildpack layers are brought (and pushed) before waiting for the lifecycle layer.
  const modules = await collectModules(input);
  const bp = await buildpackLayers(input, modules);
  const { lifecycle, layer: lifecycleLayer } = await input.lifecycles.take(platform.architecture, input.progress);
  input.scratch.added(lifecycleLayer);
  layers.push(lifecycleLayer);
  const order = resolveOrder(cfg.order, modules, file);
  const system = resolveSystem(cfg.system, modules, file);
  const extensions = await writeExtensionLayers(cfg.extensions, {
    baseDir: input.baseDir,
    file,
    blobDir: layout.blobDir,
    cache: input.layerCache,
    platform,
    workDir: join(input.work, "extensions"),
  });
  const orderExtensions = resolveOrder(cfg.orderExtensions, extensions, file, "[[order-extensions]]", "[[extensions]]");
  layers.push(
    ...bp.layers,
    ...extensions.map((e) => e.layer),
    ...(await configFileLayers(input, order, system, orderExtensions)),
  );
  const config = imageConfig({
    architecture: platform.architecture,
    os: platform.os,
    variant: platform.variant,
    diffIds: layers.map((l) => l.diffId),
    config: builderContainerConfig(input, baseConfig.config ?? {}, user, {
      modules,
      order,
      lifecycle,
      layersLabel: bp.label,
      extensions,
      orderExtensions,
    }),
  });
  const descriptor = await input.scratch.writeImage(config, layers);
  return { descriptor, modules, extensions };
}

/** The base image's layers, as they are (blobs brought into the scratch layout once). */
async function baseLayers(
  input: BuilderImageInput,
  blobs: Descriptor[],
  diffIds: Digest[],
): Promise<LayerDescriptor[]> {
  for (const l of blobs) await input.scratch.bring(input.base, l);
  return blobs.map((l, i) => ({ ...l, diffId: diffIds[i] as Digest }) as LayerDescriptor);
}

/** /workspace and /layers owned by the CNB user; /cnb, /platform and their usual subdirs owned by root. */
function defaultDirs({ uid, gid }: { uid: number; gid: number }): LayerEntry[] {
  const dir = (path: string, owner = 0, group = 0): LayerEntry => ({
    type: "dir",
    path,
    mode: 0o755,
    uid: owner,
    gid: group,
  });
  return [
    dir("workspace", uid, gid),
    dir("layers", uid, gid),
    ...[
      "cnb",
      "cnb/buildpacks",
      "cnb/extensions",
      "platform",
      "platform/env",
      "cnb/build-config",
      "cnb/build-config/env",
    ].map((p) => dir(p)),
  ];
}

/**
 * Every buildpack of every component for this platform, once per id@version, sorted; each
 * `[[buildpacks]]` id/version given in builder.toml must match what its component holds.
 */
async function collectModules(input: BuilderImageInput): Promise<BuildpackModule[]> {
  const { cfg, file, platform } = input;
  const modules = new Map<string, BuildpackModule>();
  for (const [i, component] of input.components.entries()) {
    const image = await component.forPlatform(platform);
    const want = cfg.buildpacks[i];
    if (want?.id && want.id !== image.main.id) {
      throw new CnbError(
        `${file}: [[buildpacks]][${i}].id "${want.id}" does not match ${component.display}, which is "${image.main.id}"`,
      );
    }
    if (want?.version && want.version !== image.main.version) {
      throw new CnbError(
        `${file}: [[buildpacks]][${i}].version "${want.version}" does not match ${component.display}, which is ${image.main.id} ${image.main.version}`,
      );
    }
    for (const m of image.modules) if (!modules.has(`${m.id}@${m.version}`)) modules.set(`${m.id}@${m.version}`, m);
  }
  return [...modules.values()].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : a.version < b.version ? -1 : 1));
}

/** One layer per buildpack, the buildpackage's own blob reused once per diffID, and the layers label. */
async function buildpackLayers(
  input: BuilderImageInput,
  modules: BuildpackModule[],
): Promise<{ layers: LayerDescriptor[]; label: ModuleLayers }> {
  const label: ModuleLayers = {};
  const layers: LayerDescriptor[] = [];
  const seen = new Set<string>();
  for (const m of modules) {
    label[m.id] = { ...(label[m.id] ?? {}), [m.version]: m.info };
    if (seen.has(m.info.layerDiffID)) continue;
    seen.add(m.info.layerDiffID);
    await input.scratch.bring(m.source, m.layer);
    layers.push({
      mediaType: m.layer.mediaType,
      digest: m.layer.digest,
      size: m.layer.size,
      diffId: m.info.layerDiffID,
    } as LayerDescriptor);
  }
  return { layers, label };
}

/**
 * /cnb/order.toml, /cnb/stack.toml, /cnb/run.toml, /cnb/build-config/env and /cnb/system.toml,
 * one layer each (as pack), so a changed order leaves the others' digests.
 */
async function configFileLayers(
  input: BuilderImageInput,
  order: { group: BuilderOrderEntry[] }[],
  system: BuilderSystem,
  orderExtensions: { group: BuilderOrderEntry[] }[],
): Promise<LayerDescriptor[]> {
  const { cfg } = input;
  const { layout } = input.scratch;
  const fileLayer = (path: string, text: string) =>
    writeLayer([{ type: "file", path, size: Buffer.byteLength(text), data: text, mode: 0o644 }], layout.blobDir);
  const layers = [
    await fileLayer("cnb/order.toml", orderToml(order, orderExtensions)),
    await fileLayer("cnb/stack.toml", stackToml(cfg.run.images)),
    await fileLayer("cnb/run.toml", runToml(cfg.run.images)),
  ];
  if (cfg.build.env.length) layers.push(await writeLayer(buildEnvEntries(input), layout.blobDir));
  if (hasSystem(system)) layers.push(await fileLayer("cnb/system.toml", systemToml(system)));
  return layers;
}

/** `[[build.env]]` as /cnb/build-config/env files (`NAME[.suffix]`, `NAME.delim`); a repeated name warns and the last wins. */
function buildEnvEntries({ cfg, file, progress }: BuilderImageInput): LayerEntry[] {
  const files = new Map<string, string>();
  for (const e of cfg.build.env) {
    const name = e.suffix ? `${e.name}.${e.suffix}` : e.name;
    for (const [n, v] of [[name, e.value], ...(e.delim ? [[`${e.name}.delim`, e.delim]] : [])] as [string, string][]) {
      if (files.has(n)) {
        progress(`warning: ${file}: [[build.env]] sets ${n} twice; the last one wins`);
        files.delete(n);
      }
      files.set(n, v);
    }
  }
  return [...files].map(([n, v]) => ({
    type: "file",
    path: `cnb/build-config/env/${n}`,
    size: Buffer.byteLength(v),
    data: v,
    mode: 0o644,
  }));
}

/** The base config with the CNB user, /layers as working dir, and the builder labels. */
function builderContainerConfig(
  input: BuilderImageInput,
  base: ContainerConfig,
  { uid, gid }: { uid: number; gid: number },
  parts: {
    modules: BuildpackModule[];
    order: { group: BuilderOrderEntry[] }[];
    lifecycle: Lifecycle;
    layersLabel: ModuleLayers;
    extensions: ExtensionModule[];
    orderExtensions: { group: BuilderOrderEntry[] }[];
  },
): ContainerConfig {
  const { cfg } = input;
  const buildpacks: ModuleInfoJson[] = parts.modules.map((m) => ({
    id: m.id,
    name: m.info.name || undefined,
    version: m.version,
    homepage: m.info.homepage || undefined,
  }));
  const metadata = builderMetadata({
    description: cfg.description,
    buildpacks,
    extensions: parts.extensions.map((m) => ({
      id: m.id,
      name: m.info.name || undefined,
      version: m.version,
      homepage: m.info.homepage || undefined,
    })),
    runImages: cfg.run.images,
    lifecycle: parts.lifecycle,
    creatorVersion: CNBKIT_VERSION,
  });
  return {
    ...base,
    User: `${uid}:${gid}`,
    WorkingDir: "/layers",
    Env: base.Env ?? [],
    Labels: {
      ...(base.Labels ?? {}),
      [BUILDER_METADATA_LABEL]: goJson(metadata),
      [BUILDER_ORDER_LABEL]: orderLabel(parts.order),
      [BUILDPACK_LAYERS_LABEL]: stringifyModuleLayers(parts.layersLabel),
      ...(parts.extensions.length
        ? {
            [EXTENSION_LAYERS_LABEL]: stringifyModuleLayers(extensionLayers(parts.extensions)),
            [BUILDER_ORDER_EXTENSIONS_LABEL]: orderLabel(parts.orderExtensions),
          }
        : {}),
      ...(hasSystem(cfg.system) ? { [BUILDER_SYSTEM_LABEL]: systemLabel(cfg.system) } : {}),
      ...(cfg.stackId ? { "io.buildpacks.stack.id": cfg.stackId } : {}),
    },
  };
}

/** CNB_USER_ID/CNB_GROUP_ID from the base image's env; refuses a missing or root user. */
function cnbUser(config: ContainerConfig, where: string): { uid: number; gid: number } {
  const env = new Map((config.Env ?? []).map((e) => [e.slice(0, e.indexOf("=")), e.slice(e.indexOf("=") + 1)]));
  const read = (name: string) => {
    const v = env.get(name);
    if (v === undefined || v === "") {
      throw new CnbError(`${where} has no ${name} in its env; a CNB build image must name its non-root user`, {
        hint: "use a base image made for buildpacks (cnbkit's base images set CNB_USER_ID and CNB_GROUP_ID)",
      });
    }
    if (!/^\d+$/.test(v)) throw new CnbError(`${where}: ${name}="${v}" is not a number`);
    return Number(v);
  };
  const uid = read("CNB_USER_ID");
  const gid = read("CNB_GROUP_ID");
  const user = (config.User ?? "").split(":")[0] ?? "";
  if (uid === 0 || user === "" || user === "root" || user === "0") {
    throw new CnbError(
      `${where} runs as root (User "${config.User ?? ""}", CNB_USER_ID=${uid}); a builder must run as a non-root user`,
    );
  }
  return { uid, gid };
}

/**
 * Checks every group entry of an order against the modules present and fills in versions
 * (pack's `resolveRef`): `[[order]]` against the buildpacks, `[[order-extensions]]` against
 * the extensions (`table` names it in the error lines, `among` what it is checked against).
 */
function resolveOrder(
  order: { group: BuilderOrderEntry[] }[],
  modules: { id: string; version: string }[],
  file: string,
  table = "[[order]]",
  among = "[[buildpacks]]",
): { group: BuilderOrderEntry[] }[] {
  return order.map((o, i) => ({
    group: o.group.map((e, j) => resolveEntry(e, modules, `${file}: ${table}[${i}].group[${j}]`, among)),
  }));
}

/** `[system]`'s buildpacks checked and versioned as the order's are (pack's `processSystem`). */
function resolveSystem(system: BuilderSystem, modules: BuildpackModule[], file: string): BuilderSystem {
  const side = (name: "pre" | "post") =>
    system[name].map((e, i) => resolveEntry(e, modules, `${file}: [[system.${name}.buildpacks]][${i}]`));
  return { pre: side("pre"), post: side("post") };
}

/** One reference: its id must be among the modules, its version too (or the only one there). */
function resolveEntry(
  e: BuilderOrderEntry,
  modules: { id: string; version: string }[],
  at: string,
  among = "[[buildpacks]]",
): BuilderOrderEntry {
  const versions = modules.filter((m) => m.id === e.id).map((m) => m.version);
  if (versions.length === 0) throw new CnbError(`${at} id "${e.id}" is not among ${among}`);
  if (e.version && !versions.includes(e.version)) {
    throw new CnbError(`${at} ${e.id} version "${e.version}" is not among ${among} (have ${versions.join(", ")})`);
  }
  if (!e.version && versions.length > 1) {
    throw new CnbError(`${at} ${e.id} has several versions (${versions.join(", ")}); give a version`);
  }
  return { id: e.id, version: e.version ?? (versions[0] as string), ...(e.optional ? { optional: true } : {}) };
}

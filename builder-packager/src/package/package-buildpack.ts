/**
 * `cnbkit package`: a buildpack (or a composite with its package.toml) becomes a
 * directory, a `.cnb` file, an OCI layout or a registry image, with one layer per
 * buildpack and the labels pack writes. Everything is reproducible: the same input gives
 * the same digests from any path at any time. Output appears only when complete.
 */
import { cp, mkdir, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { CnbError } from "@cnbkit/framework";
import { type BuildpackDescriptor, readBuildpackToml } from "@cnbkit/framework/cnb-files";
import type { CompileTarget, RuntimeModule } from "../compile/index.js";
import {
  type Descriptor,
  type Digest,
  hostPlatform,
  imageConfig,
  LayerBlobCache,
  type LayerBlobStore,
  OciLayout,
  rememberDiffId,
  type StoreOptions,
} from "../oci/index.js";
import { type Component, openComponent, type PackageDir } from "./component.js";
import {
  BUILDPACK_LAYERS_LABEL,
  BUILDPACKAGE_METADATA_LABEL,
  buildpackageMetadata,
  goJson,
  type ModuleLayers,
  moduleLayerInfo,
  stringifyModuleLayers,
} from "./labels.js";
import { writeBuildpackLayer } from "./module-layer.js";
import { type PackageConfig, readPackageToml } from "./package-toml.js";
import { buildpackKind, stageBuildpack } from "./stage.js";
import { replaceDir, writePackage } from "./write-package.js";
import { defaultTargetsNote, parseTarget, resolveTargets, targetsBuiltFor } from "./targets.js";

/** Where a buildpackage goes. */
export type PackageFormat = "dir" | "file" | "oci" | "image";

/** Options of {@link packageBuildpack}. */
export interface PackageOptions {
  /** The buildpack directory (buildpack.toml, maybe package.toml). */
  dir: string;
  format: PackageFormat;
  /** A directory (dir, oci), a file path (file) or an image reference (image). */
  output: string;
  /** `os/arch` strings (comma-separated lists allowed); default the host arch. */
  targets?: string[];
  /** Bundle every inventory dependency and rewrite its uri to file://. */
  offline?: boolean;
  /**
   * Embed Node in the buildpack (a ~115 MB single executable per target) instead of running
   * it on the shared runtime buildpack that the package then carries beside it. `dir` output
   * is always standalone: a directory on its own has no sibling runtime.
   */
  standalone?: boolean;
  /** Progress lines. */
  onProgress?: (line: string) => void;
  /** Registry options (auth, clients) for `image` output and image dependencies. */
  store?: StoreOptions;
  /**
   * Compressed buildpack layers by diffId, so an unchanged buildpack is not gzipped again
   * (default: a `LayerBlobCache` under the cnbkit cache, bounded by CNBKIT_CACHE_MAX_LAYER_BLOBS).
   */
  layerCache?: LayerBlobStore;
}

/** What was written. */
export interface PackageResult {
  format: PackageFormat;
  output: string;
  /** The targets packaged, `os/arch`. */
  targets: string[];
  /**
   * The manifest (one target) or index (several) digest; undefined for `dir` and for a
   * `file` of several targets, which is one file per target (see {@link PackageResult.files}).
   */
  digest?: Digest;
  /**
   * `file` with several targets: one `.cnb` per target, named as pack names them
   * (`<name>-<os>-<arch>.cnb` beside `output`), since pack reads no image index in a `.cnb`.
   */
  files?: string[];
  /** The main buildpack. */
  id: string;
  version: string;
}

/**
 * The {@link PackageDir} that builder.toml and package.toml components use: a buildpack
 * source directory packaged as an OCI layout, with the caller's progress, registry options
 * and layer cache.
 */
export function packageDirAsOci(options: Pick<PackageOptions, "onProgress" | "store" | "layerCache">): PackageDir {
  return async (dir, output, targets) => {
    await packageBuildpack({ dir, format: "oci", output, targets, ...options });
  };
}

/** What `options.dir` packages: its package.toml (if any), buildpack.toml, kind and targets. */
async function packageInput(options: PackageOptions, progress: (line: string) => void) {
  const dir = resolve(options.dir);
  const pkg = await readPackageToml(dir);
  const bpDir = resolve(dir, pkg?.buildpack.uri ?? ".");
  const descriptor = await readBuildpackToml(bpDir);
  const kind = await buildpackKind(bpDir, descriptor);
  const where = join(bpDir, "buildpack.toml");
  const targets = resolveTargets(options.targets, descriptor.targets, kind.kind === "compiled", where);
  const leftOut = defaultTargetsNote(options.targets, descriptor.targets, targets, hostPlatform());
  if (leftOut) progress(leftOut);
  if (kind.kind === "composite" && !pkg) {
    throw new CnbError(`${where}: a composite buildpack needs a package.toml beside it with [[dependencies]]`);
  }
  return { dir, pkg, bpDir, descriptor, kind, where, targets };
}

/**
 * Packages a buildpack or composite.
 *
 * @example
 * await packageBuildpack({ dir: "buildpacks/nodejs", format: "file", output: "out/nodejs.cnb", targets: ["linux/amd64", "linux/arm64"] });
 */
export async function packageBuildpack(options: PackageOptions): Promise<PackageResult> {
  const progress = options.onProgress ?? (() => {});
  const layerCache = options.layerCache ?? new LayerBlobCache({ onProgress: progress });
  const { dir, pkg, bpDir, descriptor, kind, where, targets } = await packageInput(options, progress);
  const output = options.format === "image" ? options.output : resolve(options.output);
  const scratchParent = options.format === "image" ? tmpdir() : dirname(output);
  await mkdir(scratchParent, { recursive: true });
  const work = await mkdtemp(join(scratchParent, ".cnbkit-package-"));
  const { id, version } = descriptor.buildpack;
  try {
    const stageTargets = targets.map((t) => t.split("/").slice(0, 2).join("/") as CompileTarget);
    const staged = await stageBuildpack({
      dir: bpDir,
      descriptor,
      targets: [...new Set(stageTargets)],
      workDir: join(work, "stage"),
      offline: options.offline,
      form: options.standalone || options.format === "dir" ? "standalone" : "shared",
      onProgress: progress,
    });
    const arch = (t: string) => t.split("/").slice(0, 2).join("/");
    const stageOf = (t: string) => staged.dirs[arch(t)] as string;

    if (options.format === "dir") {
      if (kind.kind === "composite") {
        throw new CnbError(`${where}: a composite has no directory form; use --format file, oci or image`);
      }
      await writeDirFormat(targets, stageOf, join(work, "out"), output);
      progress(`Wrote ${id} ${version} to ${output}`);
      return { format: "dir", output, targets, id, version };
    }

    const layout = await OciLayout.create(join(work, "layout"));
    const components = await openDependencies(pkg, { dir, work, targets, progress, store: options.store, layerCache });
    const manifests: Descriptor[] = [];
    for (const t of targets) {
      const compiled = kind.kind === "compiled";
      const input = {
        layout,
        descriptor,
        stage: stageOf(t),
        runtime: staged.runtimes[arch(t)],
        target: t,
        compiled,
        components,
        where,
        progress,
        layerCache,
      };
      manifests.push(await writePackageImage(input));
    }
    if (options.format !== "file" && options.format !== "oci" && options.format !== "image") {
      throw new CnbError(`package: format "${String(options.format)}" is not one of dir, file, oci, image`);
    }
    const written = await writePackage({
      layout,
      manifests,
      targets,
      format: options.format,
      output,
      scratch: work,
      store: options.store,
      what: `${id} ${version}`,
      progress,
    });
    return { format: options.format, output, targets, ...written, id, version };
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

/** Where package.toml's dependencies are read from and into, and what reading them reports to. */
interface DependencyReading {
  /** The buildpack's directory, which package.toml's relative URIs start from. */
  dir: string;
  /** The packaging's work directory; each dependency unpacks under its `deps/`. */
  work: string;
  targets: string[];
  progress: (line: string) => void;
  store: StoreOptions | undefined;
  layerCache: LayerBlobStore;
}

/** Opens each of package.toml's `[[dependencies]]` as a component, in order. */
async function openDependencies(
  pkg: PackageConfig | undefined,
  { dir, work, targets, progress, store, layerCache }: DependencyReading,
): Promise<Component[]> {
  const out: Component[] = [];
  const file = join(dir, "package.toml");
  for (const [i, dep] of (pkg?.dependencies ?? []).entries()) {
    progress(`Reading dependency ${dep.uri ?? dep.image}`);
    out.push(
      await openComponent(dep, `${file}: [[dependencies]][${i}]`, {
        baseDir: dir,
        workDir: join(work, "deps"),
        targets,
        store,
        packageDir: packageDirAsOci({ onProgress: progress, store, layerCache }),
      }),
    );
  }
  return out;
}

interface PackageImageInput {
  layout: OciLayout;
  descriptor: BuildpackDescriptor<unknown>;
  stage: string;
  /** The runtime buildpack the stage runs on (shared form), packaged beside it. */
  runtime: RuntimeModule | undefined;
  target: string;
  /** A compiled buildpack's label claims only the target it was built for. */
  compiled: boolean;
  components: Component[];
  where: string;
  progress: (line: string) => void;
  layerCache: LayerBlobStore;
}

/** Writes one platform's buildpackage image into `layout`; returns its manifest descriptor. */
async function writePackageImage(input: PackageImageInput): Promise<Descriptor> {
  const { layout, descriptor, stage, target, components, where, progress } = input;
  const platform = parseTarget(target, where);
  const { id, version } = descriptor.buildpack;
  const layersLabel: ModuleLayers = {};
  const layerByDiff = new Map<string, Descriptor>();
  const entries: { key: string; diffId: string }[] = [];

  for (const component of components) {
    const image = await component.forPlatform(platform);
    for (const m of image.modules) {
      if (layersLabel[m.id]?.[m.version]) continue;
      if (!layerByDiff.has(m.info.layerDiffID)) {
        await layout.putBlob(await m.source.blob(m.layer.digest), {
          digest: m.layer.digest,
          mediaType: m.layer.mediaType,
        });
        layerByDiff.set(m.info.layerDiffID, m.layer);
        entries.push({ key: `${m.id}@${m.version}`, diffId: m.info.layerDiffID });
      }
      layersLabel[m.id] = { ...(layersLabel[m.id] ?? {}), [m.version]: m.info };
    }
  }
  descriptor.order.forEach((o, i) => {
    o.group.forEach((e, j) => {
      const versions = layersLabel[e.id];
      if (!versions)
        throw new CnbError(
          `${where}: [[order]][${i}].group[${j}] id "${e.id}" is not among package.toml's [[dependencies]]`,
        );
      if (e.version && !versions[e.version]) {
        throw new CnbError(
          `${where}: [[order]][${i}].group[${j}] ${e.id} version "${e.version}" is not among [[dependencies]] (have ${Object.keys(versions).join(", ")})`,
        );
      }
    });
  });

  progress(`Writing layer of ${id} ${version} for ${target}`);
  const own = await writeBuildpackLayer(stage, id, version, layout.blobDir, { cache: input.layerCache });
  layerByDiff.set(own.diffId, own);
  entries.push({ key: `${id}@${version}`, diffId: own.diffId });
  const rt = input.runtime;
  if (rt && !layersLabel[rt.id]?.[rt.version]) {
    // The runtime dir never changes once made (runtime-module.ts): its tar is hashed once per machine.
    const cache = rememberDiffId(input.layerCache, `${rt.dir}.diffid`);
    const layer = await writeBuildpackLayer(rt.dir, rt.id, rt.version, layout.blobDir, { cache });
    layerByDiff.set(layer.diffId, layer);
    entries.push({ key: `${rt.id}@${rt.version}`, diffId: layer.diffId });
    const info = moduleLayerInfo(await readBuildpackToml(rt.dir), layer.diffId);
    layersLabel[rt.id] = { ...(layersLabel[rt.id] ?? {}), [rt.version]: info };
  }
  const claimed = input.compiled
    ? { ...descriptor, targets: targetsBuiltFor(descriptor.targets, platform) }
    : descriptor;
  layersLabel[id] = { ...(layersLabel[id] ?? {}), [version]: moduleLayerInfo(claimed, own.diffId) };

  entries.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  const layers = entries.map((e) => layerByDiff.get(e.diffId) as Descriptor);
  const config = imageConfig({
    architecture: platform.architecture,
    os: platform.os,
    variant: platform.variant,
    diffIds: layers.map((_, i) => entries[i]?.diffId as Digest),
    config: {
      Labels: {
        [BUILDPACKAGE_METADATA_LABEL]: goJson(buildpackageMetadata(descriptor)),
        [BUILDPACK_LAYERS_LABEL]: stringifyModuleLayers(layersLabel),
      },
    },
  });
  return layout.writeImage({ config, layers });
}

/** `--format dir`: the staged directory (one per target, `<os>-<arch>/`, when several) put at `output` whole. */
async function writeDirFormat(
  targets: string[],
  stageOf: (t: string) => string,
  tmp: string,
  output: string,
): Promise<void> {
  await mkdir(tmp);
  const copy = (from: string, to: string) => cp(from, to, { recursive: true, verbatimSymlinks: true });
  if (targets.length === 1) await copy(stageOf(targets[0] as string), join(tmp, "bp"));
  else for (const t of targets) await copy(stageOf(t), join(tmp, "bp", t.replaceAll("/", "-")));
  await replaceDir(join(tmp, "bp"), output);
}

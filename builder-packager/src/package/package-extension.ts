/**
 * `cnbkit package` for an image extension: a directory with extension.toml becomes a `.cnb`
 * file, an OCI layout or a registry image as pack's `extension package` writes it: one layer
 * at `/cnb/extensions/<id_>/<version>/`, the `io.buildpacks.extension.layers` label (the
 * buildpack layers label's shape) and `io.buildpacks.buildpackage.metadata` with the
 * extension's info (pack's finalizeExtensionImage, pkg/buildpack/builder.go).
 *
 * The extension is either prebuilt (bin/generate, maybe bin/detect, shipped as they are) or
 * written with the framework (`src/index.ts` calling `extension({ detect, generate })`),
 * compiled to one executable per target that bin/detect and bin/generate link to. That is
 * the standalone form: the lifecycle runs an extension from /cnb/extensions, where the
 * shared Node runtime (a sibling in /cnb/buildpacks) is not beside it.
 */
import { existsSync } from "node:fs";
import { cp, mkdir, mkdtemp, rm, symlink } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { CnbError } from "@cnbkit/framework";
import { buildpackDirName, type ExtensionDescriptor, readExtensionToml } from "@cnbkit/framework/cnb-files";
import { isFile } from "@cnbkit/framework/fs";
import { type CompileTarget, compileBuildpack } from "../compile/index.js";
import {
  type Descriptor,
  imageConfig,
  LayerBlobCache,
  type LayerBlobStore,
  type LayerDescriptor,
  layerFromDir,
  OciLayout,
  type StoreOptions,
} from "../oci/index.js";
import { BUILDPACKAGE_METADATA_LABEL, goJson, type ModuleLayers, stringifyModuleLayers } from "./labels.js";
import { packFileMode } from "./module-layer.js";
import { writePackage } from "./write-package.js";
import { parseTarget, resolveTargets } from "./targets.js";

/** The label listing an extension package's (or a builder's) extensions and their layers (pack's `dist.ExtensionLayersLabel`). */
export const EXTENSION_LAYERS_LABEL = "io.buildpacks.extension.layers";

/** `cnb/extensions/<id_>/<version>`: where an extension lives in a package or builder. */
export function extensionLayerPrefix(id: string, version: string): string {
  return `cnb/extensions/${buildpackDirName(id)}/${version}`;
}

/** One extension directory as a layer (owner 0:0, pack's file modes, as a buildpack's layer). */
export function writeExtensionLayer(
  dir: string,
  extension: { id: string; version: string },
  blobDir: string,
  cache?: LayerBlobStore,
): Promise<LayerDescriptor> {
  return layerFromDir(
    dir,
    {
      prefix: extensionLayerPrefix(extension.id, extension.version),
      uid: 0,
      gid: 0,
      modes: packFileMode,
      ...(cache ? { cache } : {}),
    },
    blobDir,
  );
}

/** Options of {@link packageExtension}. */
export interface ExtensionPackageOptions {
  /** The extension directory (extension.toml). */
  dir: string;
  /** `.cnb` file, OCI layout directory or registry image (an extension has no `dir` form). */
  format: "file" | "oci" | "image";
  /** A file path (file), a directory (oci) or an image reference (image). */
  output: string;
  /** `os/arch` strings; default the host's. */
  targets?: string[];
  /** Progress lines. */
  onProgress?: (line: string) => void;
  /** Registry options for `image` output. */
  store?: StoreOptions;
  /** Compressed layers by diffId (default the cnbkit cache's). */
  layerCache?: LayerBlobStore;
}

/** What {@link packageExtension} wrote. */
export interface ExtensionPackageResult {
  format: ExtensionPackageOptions["format"];
  output: string;
  targets: string[];
  /** The manifest (one target) or index (several) digest; undefined for a `file` of several targets. */
  digest?: string;
  /** `file` with several targets: one `.cnb` per target (`<name>-<os>-<arch>.cnb` beside `output`). */
  files?: string[];
  id: string;
  version: string;
}

/** True when `dir` holds an extension (extension.toml) rather than a buildpack. */
export function isExtensionDir(dir: string): boolean {
  return existsSync(join(dir, "extension.toml")) && !existsSync(join(dir, "buildpack.toml"));
}

/**
 * Packages an image extension.
 *
 * @example
 * await packageExtension({ dir: "extensions/apt", format: "file", output: "out/apt.cnb" });
 */
export async function packageExtension(options: ExtensionPackageOptions): Promise<ExtensionPackageResult> {
  const progress = options.onProgress ?? (() => {});
  const layerCache = options.layerCache ?? new LayerBlobCache({ onProgress: progress });
  const dir = resolve(options.dir);
  const descriptor = await readExtensionToml(dir);
  const { id, version } = descriptor.extension;
  const where = join(dir, "extension.toml");
  const targets = resolveTargets(options.targets, [], true, where);
  const entry = join(dir, "src", "index.ts");
  const compiled = await isFile(entry);
  if (!compiled && !existsSync(join(dir, "bin", "generate")))
    throw new CnbError(`${dir}: an extension needs bin/generate, or src/index.ts that calls extension({ generate })`);
  const output = options.format === "image" ? options.output : resolve(options.output);
  const scratchParent = options.format === "image" ? tmpdir() : dirname(output);
  await mkdir(scratchParent, { recursive: true });
  const work = await mkdtemp(join(scratchParent, ".cnbkit-package-"));
  try {
    const arches = [...new Set(targets.map((t) => t.split("/").slice(0, 2).join("/") as CompileTarget))];
    const stages = compiled
      ? await compileExtension(entry, dir, descriptor, arches, join(work, "compiled"), progress)
      : undefined;
    const layout = await OciLayout.create(join(work, "layout"));
    const manifests: Descriptor[] = [];
    for (const t of targets) {
      const stage = stages?.[t.split("/").slice(0, 2).join("/")] ?? dir;
      progress(`Writing layer of ${id} ${version} for ${t}`);
      const layer = await writeExtensionLayer(stage, descriptor.extension, layout.blobDir, layerCache);
      const platform = parseTarget(t, where);
      const layers: ModuleLayers = { [id]: { [version]: { api: descriptor.api, layerDiffID: layer.diffId } } };
      const info = descriptor.extension;
      const config = imageConfig({
        architecture: platform.architecture,
        os: platform.os,
        variant: platform.variant,
        diffIds: [layer.diffId],
        config: {
          Labels: {
            // pack's Metadata{ModuleInfo}: Go's field order, and stacks null (nil slice).
            [BUILDPACKAGE_METADATA_LABEL]: goJson({
              id,
              name: info.name,
              version,
              description: info.description,
              homepage: info.homepage,
              stacks: null,
            }),
            [EXTENSION_LAYERS_LABEL]: stringifyModuleLayers(layers),
          },
        },
      });
      manifests.push(await layout.writeImage({ config, layers: [layer] }));
    }
    const written = await writePackage({
      layout,
      manifests,
      targets,
      format: options.format,
      output,
      scratch: work,
      store: options.store,
      what: `extension ${id} ${version}`,
      progress,
    });
    return { format: options.format, output, targets, ...written, id, version };
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

/**
 * Compiles a framework extension per target: the standalone executable as bin/main, with
 * bin/detect and bin/generate linking to it (the framework's extension() dispatches on the
 * invoked name), and extension.toml beside bin/.
 */
async function compileExtension(
  entry: string,
  dir: string,
  descriptor: ExtensionDescriptor,
  targets: CompileTarget[],
  outDir: string,
  progress: (line: string) => void,
): Promise<Record<string, string>> {
  const { id, version } = descriptor.extension;
  progress(`Compiling ${id} ${version} for ${targets.join(", ")}`);
  await compileBuildpack({
    entry,
    outDir,
    targets,
    form: "standalone",
    buildpack: { id, version },
    onProgress: (e) => progress(e.message),
  });
  const stages: Record<string, string> = {};
  for (const t of targets) {
    const stage = join(outDir, `linux-${t.split("/")[1]}`);
    // compileBuildpack lays out a buildpack: an extension has generate where a buildpack has build.
    await rm(join(stage, "bin", "build"), { force: true });
    await rm(join(stage, "bin", "generate"), { force: true });
    await symlink("main", join(stage, "bin", "generate"));
    await cp(join(dir, "extension.toml"), join(stage, "extension.toml"));
    stages[t] = stage;
  }
  return stages;
}

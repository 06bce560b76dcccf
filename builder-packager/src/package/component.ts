/**
 * Buildpackages as parts of something bigger (a composite buildpackage or a builder):
 * wherever a buildpack comes from — a source directory, a `.cnb` file, an OCI layout or a
 * registry image — it is read as a buildpackage image, and its buildpacks are listed with
 * the layer blob that holds each one, so the layers can be reused by diffID, not rebuilt.
 */
import { stat } from "node:fs/promises";
import { join, resolve } from "node:path";
import { CnbError } from "@cnbkit/framework";
import type { Digest } from "../oci/digest.js";
import type { Descriptor, ImageConfig, Platform } from "../oci/image.js";
import { openImageSource, type ImageSource, type StoreOptions } from "../oci/image-store.js";
import { importLayoutTar } from "../oci/layout-archive.js";
import {
  BUILDPACK_LAYERS_LABEL,
  BUILDPACKAGE_METADATA_LABEL,
  type BuildpackageMetadata,
  type ModuleLayerInfo,
  parseBuildpackageMetadata,
  parseModuleLayers,
} from "./labels.js";
import { isFile } from "@cnbkit/framework/fs";

/** One buildpack inside a buildpackage image, with the blob of its layer. */
export interface BuildpackModule {
  id: string;
  version: string;
  /** Its entry of the layers label, as the image has it. */
  info: ModuleLayerInfo;
  /** The compressed layer blob that holds it (may hold others too, when flattened). */
  layer: Descriptor;
  /** Where to read the blob from. */
  source: ImageSource;
}

/** A buildpackage read for one platform. */
export interface ComponentImage {
  /** The main buildpack (buildpackage metadata label). */
  main: BuildpackageMetadata;
  modules: BuildpackModule[];
  config: ImageConfig;
}

/** A buildpackage that can be read for any platform it has. */
export interface Component {
  /** How the user named it, for messages. */
  display: string;
  forPlatform(platform: Platform): Promise<ComponentImage>;
}

/** Packages a buildpack source dir into an OCI layout for the given targets (injected to avoid a cycle). */
export type PackageDir = (dir: string, layoutDir: string, targets: string[]) => Promise<void>;

/** Options of {@link openComponent}. */
export interface OpenComponentOptions {
  /** Relative paths resolve against this directory. */
  baseDir: string;
  /** Scratch space for imported `.cnb` files and packaged dirs. */
  workDir: string;
  /** The targets a directory is packaged for. */
  targets: string[];
  packageDir: PackageDir;
  store?: StoreOptions;
}

let counter = 0;

/**
 * Opens a buildpack reference: `uri` as pack's builder.toml/package.toml take it (a
 * directory, a `.cnb` file, an OCI layout directory, `oci:dir[:tag]`, `docker://ref`, a
 * `file://` path) or `image` (a registry reference). `where` names the field in messages.
 */
export async function openComponent(
  ref: { uri?: string; image?: string },
  where: string,
  options: OpenComponentOptions,
): Promise<Component> {
  const store = options.store ?? {};
  if (ref.image !== undefined) return imageComponent(ref.image, ref.image, store);
  const uri = ref.uri;
  if (uri === undefined || uri === "") throw new CnbError(`${where}: needs a uri or an image`);
  if (uri.startsWith("docker://")) return imageComponent(uri.slice("docker://".length), uri, store);
  if (uri.startsWith("oci:")) return imageComponent(uri, uri, store);
  if (/^https?:\/\//.test(uri)) {
    throw new CnbError(`${where}: uri "${uri}": http(s) downloads of buildpacks are not supported`, {
      hint: "download the .cnb file and give its path, or use an image reference",
    });
  }
  const path = resolve(options.baseDir, uri.startsWith("file://") ? uri.slice("file://".length) : uri);
  const st = await stat(path).catch(() => undefined);
  if (!st) {
    // A plain image reference ("acme/bp:1", "127.0.0.1:5000/bp") is not a path.
    if (looksLikeImageRef(uri)) return imageComponent(uri, uri, store);
    throw new CnbError(`${where}: uri "${uri}" does not exist (looked at ${path})`);
  }
  if (st.isDirectory()) {
    if (await isFile(join(path, "oci-layout"))) return imageComponent(`oci:${path}`, uri, store);
    const layoutDir = join(options.workDir, `component-${++counter}`);
    await options.packageDir(path, layoutDir, options.targets);
    return imageComponent(`oci:${layoutDir}`, uri, store);
  }
  const layoutDir = join(options.workDir, `component-${++counter}`);
  try {
    await importLayoutTar(path, layoutDir);
  } catch (err) {
    if (err instanceof CnbError) throw new CnbError(`${where}: uri "${uri}": ${err.message}`);
    throw new CnbError(`${where}: uri "${uri}" is neither a directory nor a .cnb file (a tar of an OCI layout)`);
  }
  return imageComponent(`oci:${layoutDir}`, uri, store);
}

function looksLikeImageRef(uri: string): boolean {
  return (
    !uri.startsWith(".") && !uri.startsWith("/") && /^[a-z0-9][a-z0-9._:/@-]*$/i.test(uri) && !uri.endsWith(".cnb")
  );
}

async function imageComponent(ref: string, display: string, store: StoreOptions): Promise<Component> {
  const source = await openImageSource(ref, store);
  return {
    display,
    async forPlatform(platform) {
      const { manifest, config } = await source.image(platform);
      if (config.os !== platform.os || config.architecture !== platform.architecture) {
        throw new CnbError(
          `buildpackage ${display} is ${config.os}/${config.architecture}; ${platform.os}/${platform.architecture} is needed`,
        );
      }
      const labels = config.config?.Labels ?? {};
      const main = parseBuildpackageMetadata(labels[BUILDPACKAGE_METADATA_LABEL], `buildpackage ${display}`);
      const layers = parseModuleLayers(labels[BUILDPACK_LAYERS_LABEL], `buildpackage ${display}`);
      const diffIds = config.rootfs.diff_ids;
      const modules: BuildpackModule[] = [];
      for (const id of Object.keys(layers).sort()) {
        for (const version of Object.keys(layers[id] ?? {}).sort()) {
          const info = layers[id]?.[version] as ModuleLayerInfo;
          const i = diffIds.indexOf(info.layerDiffID as Digest);
          const layer = manifest.manifest.layers[i];
          if (i < 0 || !layer) {
            throw new CnbError(
              `buildpackage ${display}: ${id}@${version} names layer ${info.layerDiffID}, which the image lacks`,
            );
          }
          modules.push({ id, version, info, layer, source });
        }
      }
      return { main, modules, config };
    },
  };
}

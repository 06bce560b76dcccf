/**
 * Buildpackages as parts of something bigger (a composite buildpackage or a builder):
 * wherever a buildpack comes from — a source directory, a `.cnb` file, an OCI layout or a
 * registry image — it is read as a buildpackage image, and its buildpacks are listed with
 * the layer blob that holds each one, so the layers can be reused by diffID, not rebuilt.
 */
import { readdir, stat } from "node:fs/promises";
import { basename, dirname, extname, join, resolve } from "node:path";
import { CnbError } from "@cnbkit/framework";
import {
  type Descriptor,
  type Digest,
  type ImageConfig,
  type ImageSource,
  openImageSource,
  NotLayoutArchiveError,
  openLayoutArchive,
  type Platform,
  type StoreOptions,
} from "../oci/index.js";
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
  /** The label that lists the modules (default the buildpack layers label; an extension package has its own). */
  layersLabel?: string;
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
  if (ref.image !== undefined) return imageComponent(ref.image, ref.image, store, options.layersLabel);
  const uri = ref.uri;
  if (uri === undefined || uri === "") throw new CnbError(`${where}: needs a uri or an image`);
  if (uri.startsWith("docker://"))
    return imageComponent(uri.slice("docker://".length), uri, store, options.layersLabel);
  if (uri.startsWith("oci:")) return imageComponent(uri, uri, store, options.layersLabel);
  if (/^https?:\/\//.test(uri)) {
    throw new CnbError(`${where}: uri "${uri}": http(s) downloads of buildpacks are not supported`, {
      hint: "download the .cnb file and give its path, or use an image reference",
    });
  }
  const path = resolve(options.baseDir, uri.startsWith("file://") ? uri.slice("file://".length) : uri);
  const st = await stat(path).catch(() => undefined);
  if (!st) {
    const perTarget = await perTargetFiles(path);
    if (perTarget) return perTargetComponent(perTarget, uri, where, options);
    // A plain image reference ("acme/bp:1", "127.0.0.1:5000/bp") is not a path.
    if (looksLikeImageRef(uri)) return imageComponent(uri, uri, store, options.layersLabel);
    throw new CnbError(`${where}: uri "${uri}" does not exist (looked at ${path})`);
  }
  if (st.isDirectory()) {
    if (await isFile(join(path, "oci-layout"))) return imageComponent(`oci:${path}`, uri, store, options.layersLabel);
    const layoutDir = join(options.workDir, `component-${++counter}`);
    await options.packageDir(path, layoutDir, options.targets);
    return imageComponent(`oci:${layoutDir}`, uri, store, options.layersLabel);
  }
  return imageComponent(await importCnb(path, uri, where, options), uri, store, options.layersLabel);
}

/**
 * Opens a `.cnb` in place: its manifests and configs go to the scratch dir, its layer blobs
 * are read from the file when they are pushed or copied (never unpacked).
 */
async function importCnb(
  path: string,
  uri: string,
  where: string,
  options: OpenComponentOptions,
): Promise<ImageSource> {
  const layoutDir = join(options.workDir, `component-${++counter}`);
  try {
    return await openLayoutArchive(path, layoutDir);
  } catch (err) {
    // A file with no oci-layout entry (a text file, another archive) is simply not a .cnb:
    // say what the uri may be rather than what the tar lacked.
    const notLayout = err instanceof NotLayoutArchiveError;
    if (err instanceof CnbError && !notLayout) throw new CnbError(`${where}: uri "${uri}": ${err.message}`);
    throw new CnbError(`${where}: uri "${uri}" is neither a directory nor a .cnb file (a tar of an OCI layout)`);
  }
}

/**
 * `x.cnb` that is not there but `x-<os>-<arch>.cnb` files are (what pack and cnbkit write
 * for several targets): those files by `os/arch`, else undefined.
 */
async function perTargetFiles(path: string): Promise<Map<string, string> | undefined> {
  if (extname(path) !== ".cnb") return undefined;
  const stem = basename(path, ".cnb");
  const names = await readdir(dirname(path)).catch(() => [] as string[]);
  const found = new Map<string, string>();
  for (const name of names) {
    if (!name.startsWith(`${stem}-`) || !name.endsWith(".cnb")) continue;
    const parts = name.slice(stem.length + 1, -".cnb".length).split("-");
    if (parts.length === 2 && parts.every((p) => /^[a-z0-9]+$/.test(p)))
      found.set(parts.join("/"), join(dirname(path), name));
  }
  return found.size ? found : undefined;
}

/** A buildpackage given as one `.cnb` per target: each platform reads its own file. */
function perTargetComponent(
  files: Map<string, string>,
  uri: string,
  where: string,
  options: OpenComponentOptions,
): Component {
  const opened = new Map<string, Promise<Component>>();
  return {
    display: uri,
    async forPlatform(platform) {
      const key = `${platform.os}/${platform.architecture}`;
      const file = files.get(key);
      if (!file) {
        throw new CnbError(`${where}: uri "${uri}" has no file for ${key} (found ${[...files.keys()].join(", ")})`);
      }
      let c = opened.get(key);
      if (!c) {
        c = importCnb(file, uri, where, options).then((ref) =>
          imageComponent(ref, uri, options.store ?? {}, options.layersLabel),
        );
        opened.set(key, c);
      }
      return (await c).forPlatform(platform);
    },
  };
}

function looksLikeImageRef(uri: string): boolean {
  return (
    !uri.startsWith(".") && !uri.startsWith("/") && /^[a-z0-9][a-z0-9._:/@-]*$/i.test(uri) && !uri.endsWith(".cnb")
  );
}

async function imageComponent(
  ref: string | ImageSource,
  display: string,
  store: StoreOptions,
  layersLabel = BUILDPACK_LAYERS_LABEL,
): Promise<Component> {
  const source = typeof ref === "string" ? await openImageSource(ref, store) : ref;
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
      const layers = parseModuleLayers(labels[layersLabel], `buildpackage ${display}`);
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

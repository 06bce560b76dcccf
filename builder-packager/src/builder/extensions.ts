/**
 * The builder's image extensions: each `[[extensions]]` entry becomes one layer at
 * `/cnb/extensions/<id with / as _>/<version>/` (owner 0:0, pack's file modes, as a
 * buildpack's layer is), listed in the `io.buildpacks.extension.layers` label (pack's
 * `dist.ExtensionLayersLabel`, the same shape as the buildpack layers label).
 *
 * An entry's uri is an extension directory (laid out here), or a package `cnbkit package`
 * or `pack extension package` wrote: a `.cnb` file, an OCI layout (`oci:<dir>` or the
 * directory) or an image, whose layer is taken as it is, as pack does.
 */
import { createWriteStream } from "node:fs";
import { stat } from "node:fs/promises";
import { isAbsolute, join, resolve } from "node:path";
import { pipeline } from "node:stream/promises";
import { CnbError } from "@cnbkit/framework";
import { readExtensionToml } from "@cnbkit/framework/cnb-files";
import { isFile } from "@cnbkit/framework/fs";
import { type Digest, type LayerBlobStore, type LayerDescriptor, MEDIA_TYPES, type Platform } from "../oci/index.js";
import {
  EXTENSION_LAYERS_LABEL,
  extensionLayerPrefix,
  type ModuleLayerInfo,
  type ModuleLayers,
  openComponent,
  writeExtensionLayer,
} from "../package/index.js";
import type { BuilderExtension } from "./config.js";

export { EXTENSION_LAYERS_LABEL, extensionLayerPrefix };

/** One extension laid out as a layer. */
export interface ExtensionModule {
  id: string;
  version: string;
  info: ModuleLayerInfo;
  layer: LayerDescriptor;
}

/** Options of {@link writeExtensionLayers}. */
export interface ExtensionLayersOptions {
  /** Relative uris resolve against this directory (builder.toml's). */
  baseDir: string;
  /** builder.toml, for messages. */
  file: string;
  /** Where layer blobs go (the builder layout's blob dir). */
  blobDir: string;
  cache?: LayerBlobStore;
  /** The builder image's platform: which manifest of a packaged extension to take. */
  platform?: Platform;
  /** Scratch space for imported `.cnb` files. */
  workDir?: string;
}

/** A uri that names an extension source directory (not an OCI layout), or undefined for a package. */
async function sourceDir(uri: string, baseDir: string, where: string): Promise<string | undefined> {
  if (uri.startsWith("oci:") || uri.startsWith("docker://")) return undefined;
  if (/^https?:\/\//.test(uri))
    throw new CnbError(`${where}.uri "${uri}": http(s) downloads are not supported`, {
      hint: "download the .cnb file and give its path, or use an image reference",
    });
  const path = uri.startsWith("file://") ? uri.slice("file://".length) : uri;
  const dir = isAbsolute(path) ? path : resolve(baseDir, path);
  const st = await stat(dir).catch(() => undefined);
  if (!st?.isDirectory()) return undefined;
  if (await isFile(join(dir, "oci-layout"))) return undefined;
  return dir;
}

/**
 * Reads every `[[extensions]]` entry and writes (or brings) its layer into `blobDir`; the id
 * and version given in builder.toml must match the extension's, and an id@version is laid
 * out once.
 */
export async function writeExtensionLayers(
  extensions: BuilderExtension[],
  opts: ExtensionLayersOptions,
): Promise<ExtensionModule[]> {
  const modules = new Map<string, ExtensionModule>();
  for (const [i, ext] of extensions.entries()) {
    const where = `${opts.file}: [[extensions]][${i}]`;
    const dir = await sourceDir(ext.uri, opts.baseDir, where);
    const found = dir ? [await fromDir(dir, opts)] : await fromPackage(ext.uri, where, opts);
    for (const m of found) {
      const what = dir ? join(dir, "extension.toml") : `the package's ${EXTENSION_LAYERS_LABEL} label`;
      if (ext.id && ext.id !== m.id)
        throw new CnbError(`${where}.id "${ext.id}" does not match ${what}, which is "${m.id}"`);
      if (ext.version && ext.version !== m.version)
        throw new CnbError(`${where}.version "${ext.version}" does not match ${what}, which is ${m.version}`);
      const key = `${m.id}@${m.version}`;
      if (!modules.has(key)) modules.set(key, m);
    }
  }
  return [...modules.values()].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : a.version < b.version ? -1 : 1));
}

async function fromDir(dir: string, opts: ExtensionLayersOptions): Promise<ExtensionModule> {
  const { api, extension } = await readExtensionToml(dir);
  const layer = await writeExtensionLayer(dir, extension, opts.blobDir, opts.cache);
  const info: ModuleLayerInfo = {
    api,
    layerDiffID: layer.diffId,
    ...(extension.homepage ? { homepage: extension.homepage } : {}),
    ...(extension.name ? { name: extension.name } : {}),
  };
  return { id: extension.id, version: extension.version, info, layer };
}

/** The extensions of a packaged extension, for this builder's platform, their blobs copied into `blobDir`. */
async function fromPackage(uri: string, where: string, opts: ExtensionLayersOptions): Promise<ExtensionModule[]> {
  if (!opts.platform || !opts.workDir)
    throw new CnbError(`${where}.uri "${uri}": a packaged extension needs the builder's platform; give a directory`);
  const component = await openComponent({ uri }, where, {
    baseDir: opts.baseDir,
    workDir: opts.workDir,
    targets: [],
    layersLabel: EXTENSION_LAYERS_LABEL,
    packageDir: async () => {
      throw new CnbError(`${where}.uri "${uri}": not an extension package`);
    },
  });
  const image = await component.forPlatform(opts.platform);
  if (image.modules.length === 0)
    throw new CnbError(`${where}.uri "${uri}": its ${EXTENSION_LAYERS_LABEL} label lists no extension`);
  const out: ExtensionModule[] = [];
  for (const m of image.modules) {
    if (m.layer.mediaType !== MEDIA_TYPES.layerGzip)
      throw new CnbError(`${where}.uri "${uri}": ${m.id}'s layer is ${m.layer.mediaType}; a gzip layer is needed`);
    const hex = m.layer.digest.slice("sha256:".length);
    await pipeline(await m.source.blob(m.layer.digest), createWriteStream(join(opts.blobDir, hex)));
    const layer: LayerDescriptor = {
      mediaType: MEDIA_TYPES.layerGzip,
      digest: m.layer.digest as Digest,
      size: m.layer.size,
      diffId: m.info.layerDiffID as Digest,
    };
    out.push({ id: m.id, version: m.version, info: m.info, layer });
  }
  return out;
}

/** The extension layers label's value (id → version → layer info). */
export function extensionLayers(modules: ExtensionModule[]): ModuleLayers {
  const label: ModuleLayers = {};
  for (const m of modules) label[m.id] = { ...(label[m.id] ?? {}), [m.version]: m.info };
  return label;
}

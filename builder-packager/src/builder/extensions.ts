/**
 * The builder's image extensions: each `[[extensions]]` directory becomes one layer at
 * `/cnb/extensions/<id with / as _>/<version>/` (owner 0:0, pack's file modes, as a
 * buildpack's layer is), listed in the `io.buildpacks.extension.layers` label (pack's
 * `dist.ExtensionLayersLabel`, the same shape as the buildpack layers label).
 */
import { stat } from "node:fs/promises";
import { isAbsolute, join, resolve } from "node:path";
import { CnbError } from "@cnbkit/framework";
import { buildpackDirName, readExtensionToml } from "@cnbkit/framework/cnb-files";
import { type LayerBlobStore, type LayerDescriptor, layerFromDir } from "../oci/index.js";
import { type ModuleLayerInfo, type ModuleLayers, packFileMode } from "../package/index.js";
import type { BuilderExtension } from "./config.js";

/** The label listing every extension of a builder (or extension package) and its layer. */
export const EXTENSION_LAYERS_LABEL = "io.buildpacks.extension.layers";

/** One extension laid out as a layer. */
export interface ExtensionModule {
  id: string;
  version: string;
  info: ModuleLayerInfo;
  layer: LayerDescriptor;
}

/** `cnb/extensions/<id_>/<version>`: where an extension lives in a builder. */
export function extensionLayerPrefix(id: string, version: string): string {
  return `cnb/extensions/${buildpackDirName(id)}/${version}`;
}

/** The directory an `[[extensions]]` uri names (a path or `file://` path, relative to builder.toml). */
async function extensionDir(uri: string, baseDir: string, where: string): Promise<string> {
  const path = uri.startsWith("file://") ? uri.slice("file://".length) : uri;
  if (/^[a-z]+:\/\//.test(path) || path.startsWith("oci:"))
    throw new CnbError(`${where}.uri "${uri}": only an extension directory is supported; give its path`);
  const dir = isAbsolute(path) ? path : resolve(baseDir, path);
  const st = await stat(dir).catch(() => undefined);
  if (!st) throw new CnbError(`${where}.uri "${uri}": ${dir} does not exist`);
  if (!st.isDirectory())
    throw new CnbError(
      `${where}.uri "${uri}": ${dir} is not a directory; give the extension's directory (extension.toml, bin/)`,
    );
  return dir;
}

/**
 * Reads every `[[extensions]]` entry and writes its layer into `blobDir`; the id and version
 * given in builder.toml must match extension.toml, and an id@version is laid out once.
 */
export async function writeExtensionLayers(
  extensions: BuilderExtension[],
  opts: { baseDir: string; file: string; blobDir: string; cache?: LayerBlobStore },
): Promise<ExtensionModule[]> {
  const modules = new Map<string, ExtensionModule>();
  for (const [i, ext] of extensions.entries()) {
    const where = `${opts.file}: [[extensions]][${i}]`;
    const dir = await extensionDir(ext.uri, opts.baseDir, where);
    const { api, extension } = await readExtensionToml(dir);
    if (ext.id && ext.id !== extension.id)
      throw new CnbError(
        `${where}.id "${ext.id}" does not match ${join(dir, "extension.toml")}, which is "${extension.id}"`,
      );
    if (ext.version && ext.version !== extension.version) {
      throw new CnbError(
        `${where}.version "${ext.version}" does not match ${join(dir, "extension.toml")}, which is ${extension.version}`,
      );
    }
    const key = `${extension.id}@${extension.version}`;
    if (modules.has(key)) continue;
    const layer = await layerFromDir(
      dir,
      {
        prefix: extensionLayerPrefix(extension.id, extension.version),
        uid: 0,
        gid: 0,
        modes: packFileMode,
        ...(opts.cache ? { cache: opts.cache } : {}),
      },
      opts.blobDir,
    );
    const info: ModuleLayerInfo = {
      api,
      layerDiffID: layer.diffId,
      ...(extension.homepage ? { homepage: extension.homepage } : {}),
      ...(extension.name ? { name: extension.name } : {}),
    };
    modules.set(key, { id: extension.id, version: extension.version, info, layer });
  }
  return [...modules.values()].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : a.version < b.version ? -1 : 1));
}

/** The extension layers label's value (id → version → layer info). */
export function extensionLayers(modules: ExtensionModule[]): ModuleLayers {
  const label: ModuleLayers = {};
  for (const m of modules) label[m.id] = { ...(label[m.id] ?? {}), [m.version]: m.info };
  return label;
}

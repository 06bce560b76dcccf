/**
 * Reads a buildpack back into what `pack buildpack inspect` shows: the main buildpack, its
 * stacks and targets, every buildpack it holds (with homepages) and its detection order.
 * It takes a buildpack source directory (its buildpack.toml), a `.cnb` file, an OCI layout
 * (`oci:dir[:tag]` or a layout directory) or a registry reference.
 */
import { mkdtemp, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { CnbError } from "@cnbkit/framework";
import { readBuildpackToml } from "@cnbkit/framework/cnb-files";
import { isFile } from "@cnbkit/framework/fs";
import { importLayoutTar, openImageSource, type Platform, type StoreOptions } from "../oci/index.js";
import { nestedOrder, type OrderNode } from "./detection-order.js";
import {
  BUILDPACK_LAYERS_LABEL,
  BUILDPACKAGE_METADATA_LABEL,
  type ModuleInfoJson,
  type ModuleLayers,
  moduleInfo,
  moduleLayerInfo,
  parseBuildpackageMetadata,
  parseModuleLayers,
  type StackJson,
  type TargetJson,
} from "./labels.js";

/** What `cnbkit buildpack inspect` prints. */
export interface BuildpackageInfo {
  /** As the user named it. */
  source: string;
  kind: "directory" | "buildpackage";
  /** The main buildpack. */
  buildpack: ModuleInfoJson & { api?: string };
  stacks: StackJson[];
  targets: TargetJson[];
  /** Every buildpack inside, sorted by id then version (just the main one for a directory). */
  buildpacks: (ModuleInfoJson & { api?: string })[];
  /** The main buildpack as the one group, composites nested (pack buildpack inspect's tree). */
  detection_order: { group: OrderNode[] }[];
}

/** Options of {@link inspectBuildpackage}. */
export interface InspectBuildpackageOptions {
  /** Which image of a multi-platform buildpackage (default: the host's, else the only one). */
  platform?: Platform;
  /** Levels of composite buildpacks to expand in the detection order (negative: all). */
  depth?: number;
  store?: StoreOptions;
}

/**
 * Reads `source`: a directory with buildpack.toml, a `.cnb`, `oci:dir[:tag]`, a layout
 * directory or a registry reference.
 *
 * @example
 * const info = await inspectBuildpackage("out/nodejs.cnb");
 * info.buildpack.id; // "acme/nodejs"
 */
export async function inspectBuildpackage(
  source: string,
  options: InspectBuildpackageOptions = {},
): Promise<BuildpackageInfo> {
  if (source.startsWith("oci:")) return fromImage(source, source, options);
  const path = resolve(source);
  const st = await stat(path).catch(() => undefined);
  if (st?.isDirectory()) {
    if (await isFile(join(path, "oci-layout"))) return fromImage(`oci:${path}`, source, options);
    if (await isFile(join(path, "buildpack.toml"))) return fromDirectory(path, source, options.depth ?? -1);
    throw new CnbError(`${source}: a directory without buildpack.toml or oci-layout`, {
      hint: "Give a buildpack directory, a .cnb file, oci:<dir>[:tag] or an image reference.",
    });
  }
  if (st?.isFile()) return fromCnb(path, source, options);
  if (/^[a-z0-9][a-z0-9._:/@-]*$/i.test(source) && !source.endsWith(".cnb") && !source.startsWith(".")) {
    return fromImage(source, source, options);
  }
  throw new CnbError(`${source}: no such file or directory (looked at ${path})`, {
    hint: "Give a buildpack directory, a .cnb file, oci:<dir>[:tag] or an image reference.",
  });
}

async function fromDirectory(dir: string, source: string, depth: number): Promise<BuildpackageInfo> {
  const d = await readBuildpackToml(dir);
  const info = { ...moduleInfo(d), api: d.api };
  // The directory's own order is its layers entry: composites expand to their groups.
  const layers: ModuleLayers = { [d.buildpack.id]: { [d.buildpack.version]: moduleLayerInfo(d, "") } };
  return {
    source,
    kind: "directory",
    buildpack: info,
    stacks: [],
    targets: layers[d.buildpack.id]?.[d.buildpack.version]?.targets ?? [],
    buildpacks: [info],
    detection_order: nestedOrder([{ group: [{ id: info.id, version: info.version }] }], layers, depth),
  };
}

/** A `.cnb` is an OCI layout in a tar: unpacked to a temp dir, read, removed. */
async function fromCnb(file: string, source: string, options: InspectBuildpackageOptions): Promise<BuildpackageInfo> {
  const work = await mkdtemp(join(tmpdir(), "cnbkit-inspect-"));
  try {
    try {
      await importLayoutTar(file, join(work, "layout"));
    } catch (err) {
      const why = err instanceof Error ? err.message : String(err);
      throw new CnbError(`${source}: not a .cnb buildpackage (a tar of an OCI layout): ${why}`);
    }
    return await fromImage(`oci:${join(work, "layout")}`, source, options);
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

async function fromImage(ref: string, source: string, options: InspectBuildpackageOptions): Promise<BuildpackageInfo> {
  const image = await openImageSource(ref, options.store);
  const config = await image.config(options.platform);
  const want = options.platform;
  if (want && (config.os !== want.os || config.architecture !== want.architecture)) {
    throw new CnbError(
      `buildpackage ${source} is ${config.os}/${config.architecture} only; ${want.os}/${want.architecture} was asked`,
      {
        hint: "Drop --platform, or give the buildpackage made for that target.",
      },
    );
  }
  const labels = config.config?.Labels ?? {};
  const where = `buildpackage ${source}`;
  const main = parseBuildpackageMetadata(labels[BUILDPACKAGE_METADATA_LABEL], where);
  const layers = parseModuleLayers(labels[BUILDPACK_LAYERS_LABEL], where);
  const { stacks, ...mainInfo } = main;
  const buildpacks = Object.keys(layers)
    .sort()
    .flatMap((id) =>
      Object.keys(layers[id] ?? {})
        .sort()
        .map((version) => {
          const l = layers[id]![version]!;
          return { id, name: l.name, version, homepage: l.homepage, api: l.api };
        }),
    );
  return {
    source,
    kind: "buildpackage",
    buildpack: { ...mainInfo, api: layers[main.id]?.[main.version]?.api },
    stacks: stacks ?? [],
    targets: layers[main.id]?.[main.version]?.targets ?? [],
    buildpacks,
    detection_order: nestedOrder([{ group: [{ id: main.id, version: main.version }] }], layers, options.depth ?? -1),
  };
}

/**
 * Reads a builder image's labels back into what `pack builder inspect` shows, in the shape
 * of its `--output json` `remote_info` (so the two compare field by field): description,
 * creator, stack, lifecycle and its APIs, run images with mirrors, buildpacks (unique,
 * sorted by id), the detection order with composites expanded, extensions and their order, and
 * the system buildpacks (`[system]`, Platform API 0.15).
 */
import { CnbError } from "@cnbkit/framework";
import { type ImageSource, openImageSource, type Platform, type StoreOptions } from "../oci/index.js";
import {
  BUILDPACK_LAYERS_LABEL,
  type DetectionOrderEntry,
  detectionOrder,
  type ModuleInfoJson,
  type OrderJson,
  parseModuleLayers,
} from "../package/index.js";
import type { ApiVersions } from "./lifecycle-binary.js";
import {
  BUILDER_METADATA_LABEL,
  BUILDER_ORDER_EXTENSIONS_LABEL,
  BUILDER_ORDER_LABEL,
  BUILDER_SYSTEM_LABEL,
  type BuilderMetadata,
} from "./metadata.js";

/** A `[system]` side as pack's label carries it: each buildpack's id, and its version when given. */
export interface SystemBuildpacksJson {
  buildpacks: { id: string; version?: string; optional?: boolean }[];
}

/** What `cnbkit builder inspect` prints (pack's `BuilderInfo` JSON keys, plus the image's own facts). */
export interface BuilderInfo {
  image: { reference: string; os: string; architecture: string; platforms: string[] };
  description?: string;
  created_by: { name: string; version: string };
  stack?: { id: string };
  lifecycle: { version: string | null; buildpack_apis: ApiVersions; platform_apis: ApiVersions };
  run_images: { name: string }[];
  buildpacks: ModuleInfoJson[];
  detection_order: DetectionOrderEntry[];
  extensions?: ModuleInfoJson[];
  /** The extension order (pack's `order_extensions`), when the builder has extensions. */
  order_extensions?: OrderJson[];
  /**
   * The system buildpacks the lifecycle puts before and after every group, as builder.toml's
   * `[system]` gave them (the `io.buildpacks.buildpack.system` label); absent when none.
   * pack 0.40's inspect has no section for them, so the name follows the label's own.
   */
  system?: { pre?: SystemBuildpacksJson; post?: SystemBuildpacksJson };
}

/** Options of {@link inspectBuilder}. */
export interface InspectBuilderOptions {
  /** Which image of a multi-platform builder (default: the host's, else the only one). */
  platform?: Platform;
  /** Levels of composite buildpacks to expand in the detection order (negative: all). */
  depth?: number;
  store?: StoreOptions;
}

/**
 * Reads the builder `ref` (`oci:dir[:tag]` or a registry reference).
 *
 * @example
 * const info = await inspectBuilder("oci:out/builder:latest");
 * info.detection_order[0]?.buildpacks?.map((b) => b.id); // ["acme/node", ...]
 */
export async function inspectBuilder(ref: string, options: InspectBuilderOptions = {}): Promise<BuilderInfo> {
  const source = await openImageSource(ref, options.store);
  const config = await source.config(options.platform);
  const want = options.platform;
  if (want && (config.os !== want.os || config.architecture !== want.architecture)) {
    throw new CnbError(
      `builder ${ref} is ${config.os}/${config.architecture} only; ${want.os}/${want.architecture} was asked`,
      {
        hint: "Drop --platform, or give a builder made for that target (cnbkit builder create --target).",
      },
    );
  }
  const labels = config.config?.Labels ?? {};
  const where = `builder ${ref}`;
  const meta = parseLabel<BuilderMetadata>(labels, BUILDER_METADATA_LABEL, where);
  const order = parseLabel<OrderJson[]>(labels, BUILDER_ORDER_LABEL, where, []);
  const orderExtensions = parseLabel<OrderJson[]>(labels, BUILDER_ORDER_EXTENSIONS_LABEL, where, []);
  const system = parseLabel<BuilderInfo["system"]>(labels, BUILDER_SYSTEM_LABEL, where, {});
  const layers = labels[BUILDPACK_LAYERS_LABEL] ? parseModuleLayers(labels[BUILDPACK_LAYERS_LABEL], where) : {};
  const stack = labels["io.buildpacks.stack.id"];
  return {
    image: {
      reference: ref,
      os: config.os,
      architecture: config.architecture,
      platforms: await platforms(source),
    },
    description: meta.description || undefined,
    created_by: { name: meta.createdBy?.name ?? "", version: meta.createdBy?.version ?? "" },
    stack: stack ? { id: stack } : undefined,
    lifecycle: {
      version: meta.lifecycle?.version || null,
      buildpack_apis: apis(meta.lifecycle?.apis?.buildpack, meta.lifecycle?.api?.buildpack),
      platform_apis: apis(meta.lifecycle?.apis?.platform, meta.lifecycle?.api?.platform),
    },
    run_images: runImages(meta).map((name) => ({ name })),
    buildpacks: uniqueSorted(meta.buildpacks ?? []),
    detection_order: detectionOrder(order, layers, options.depth ?? -1),
    extensions: meta.extensions?.length ? meta.extensions : undefined,
    order_extensions: orderExtensions.length ? orderExtensions : undefined,
    system: system?.pre?.buildpacks?.length || system?.post?.buildpacks?.length ? system : undefined,
  };
}

/** A JSON label; a one-line error naming the image when it is missing (and no fallback) or bad. */
function parseLabel<T>(labels: Record<string, string>, label: string, where: string, fallback?: T): T {
  const text = labels[label];
  if (text === undefined) {
    if (fallback !== undefined) return fallback;
    throw new CnbError(`${where}: has no ${label} label; is it a builder?`, {
      hint: "Give a builder image (cnbkit builder create makes one); for a buildpackage use 'cnbkit buildpack inspect'.",
    });
  }
  try {
    return JSON.parse(text) as T;
  } catch {
    throw new CnbError(`${where}: label ${label} is not valid JSON`);
  }
}

/** pack's CompatDescriptor: an old builder with only `api` supports that one version. */
function apis(v: ApiVersions | undefined, single: string | undefined): ApiVersions {
  if (v && (v.supported?.length || v.deprecated?.length)) {
    return { deprecated: v.deprecated ?? [], supported: v.supported ?? [] };
  }
  return { deprecated: [], supported: single ? [single] : [] };
}

/** Run images and their mirrors in pack's order: `images`, then `stack.runImage` when not among them. */
function runImages(meta: BuilderMetadata): string[] {
  const images = [...(meta.images ?? [])];
  const stackRun = meta.stack?.runImage;
  if (stackRun?.image && !images.some((i) => i.image === stackRun.image)) images.push(stackRun);
  return images.flatMap((i) => [i.image, ...(i.mirrors ?? [])]).filter((name) => name !== "");
}

/** Unique by id@version, sorted by id then version (as pack lists them). */
function uniqueSorted(buildpacks: ModuleInfoJson[]): ModuleInfoJson[] {
  const seen = new Set<string>();
  const out = buildpacks.filter((b) => {
    const key = `${b.id}@${b.version}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
  const cmp = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
  return out.sort((a, b) => cmp(a.id, b.id) || cmp(a.version, b.version));
}

/** The `os/arch[/variant]` of every image in an index (the one image's otherwise). */
async function platforms(source: ImageSource): Promise<string[]> {
  const top = await source.manifest();
  if (top.kind === "manifest") {
    const c = await source.config();
    return [`${c.os}/${c.architecture}${c.variant ? `/${c.variant}` : ""}`];
  }
  return top.index.manifests
    .filter((d) => d.platform)
    .map((d) => `${d.platform!.os}/${d.platform!.architecture}${d.platform!.variant ? `/${d.platform!.variant}` : ""}`);
}

/**
 * The buildpackage labels, in exactly the JSON shapes pack writes them
 * (pack pkg/buildpack/buildpackage.go `Metadata`, pkg/dist `ModuleLayers`, `ModuleInfo`,
 * `Target`, `Stack`, `Order`): same keys, same key order (Go struct field order; map keys
 * sorted), same omissions (`omitempty`), and Go's HTML-safe escaping, so pack, kpack and
 * the lifecycle read them as if pack had made the image.
 */
import { CnbError } from "@cnbkit/framework";
import type { BuildpackDescriptor, OrderGroup, Target } from "@cnbkit/framework/cnb-files";

/** Label with the main buildpack's info: `{id, name?, version, ..., stacks}`. */
export const BUILDPACKAGE_METADATA_LABEL = "io.buildpacks.buildpackage.metadata";
/** Label mapping every buildpack in the image to its layer: `{id: {version: ModuleLayerInfo}}`. */
export const BUILDPACK_LAYERS_LABEL = "io.buildpacks.buildpack.layers";

/** pack's `dist.Stack`. */
export interface StackJson {
  id: string;
  mixins?: string[];
}

/** pack's `dist.Target` (os and arch always present, as pack writes them). */
export interface TargetJson {
  os: string;
  arch: string;
  variant?: string;
  distros?: { name?: string; version?: string }[];
}

/** pack's `dist.ModuleRef` in an order: ModuleInfo fields plus `optional`. */
export interface ModuleRefJson {
  id: string;
  version?: string;
  optional?: boolean;
}

/** pack's `dist.OrderEntry`. */
export interface OrderJson {
  group: ModuleRefJson[];
}

/** pack's `dist.ModuleLayerInfo`: one buildpack's entry in the layers label. */
export interface ModuleLayerInfo {
  api: string;
  stacks?: StackJson[];
  targets?: TargetJson[];
  order?: OrderJson[];
  layerDiffID: string;
  homepage?: string;
  name?: string;
}

/** pack's `dist.ModuleLayers`: id → version → layer info. */
export type ModuleLayers = Record<string, Record<string, ModuleLayerInfo>>;

/** pack's `dist.ModuleInfo` (the fields a buildpackage or builder label carries). */
export interface ModuleInfoJson {
  id: string;
  name?: string;
  version: string;
  description?: string;
  homepage?: string;
  keywords?: string[];
  "exec-env"?: string[];
  licenses?: { type: string; uri: string }[];
  "clear-env"?: boolean;
}

/** pack's `buildpack.Metadata`: ModuleInfo inline plus `stacks` (never omitted). */
export interface BuildpackageMetadata extends ModuleInfoJson {
  stacks: StackJson[] | null;
}

/**
 * JSON as Go's encoding/json writes it: object keys in insertion order (callers build
 * objects in struct field order), `undefined` dropped, and `<`, `>`, `&`, U+2028, U+2029
 * escaped.
 */
export function goJson(value: unknown): string {
  return JSON.stringify(value).replace(
    /[<>&\u2028\u2029]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`,
  );
}

/** Keys of a Go map are written sorted; this returns a copy with sorted keys (one level). */
export function sortedRecord<T>(record: Record<string, T>): Record<string, T> {
  const out: Record<string, T> = {};
  for (const k of Object.keys(record).sort()) out[k] = record[k] as T;
  return out;
}

/** ModuleInfo of a descriptor, in pack's field order with its omissions. */
export function moduleInfo(d: BuildpackDescriptor<unknown>): ModuleInfoJson {
  const b = d.buildpack;
  return {
    id: b.id,
    name: b.name || undefined,
    version: b.version,
    description: b.description || undefined,
    homepage: b.homepage || undefined,
    keywords: b.keywords?.length ? b.keywords : undefined,
    "exec-env": b.execEnv?.length ? b.execEnv : undefined,
    licenses: b.licenses?.length ? b.licenses.map((l) => ({ type: l.type ?? "", uri: l.uri ?? "" })) : undefined,
    "clear-env": b.clearEnv || undefined,
  };
}

/** A target in pack's shape. */
export function targetJson(t: Target): TargetJson {
  return {
    os: t.os ?? "",
    arch: t.arch ?? "",
    variant: t.variant || undefined,
    distros: t.distros?.length
      ? t.distros.map((x) => ({ name: x.name || undefined, version: x.version || undefined }))
      : undefined,
  };
}

/** An order in pack's shape. */
export function orderJson(order: OrderGroup[]): OrderJson[] {
  return order.map((o) => ({
    group: o.group.map((e) => ({ id: e.id, version: e.version || undefined, optional: e.optional || undefined })),
  }));
}

/**
 * The layers-label entry of a buildpack (pack's `dist.AddToLayersMD`). A buildpack that
 * is not a composite gets `stacks: [{id: "*"}]` only when it declares no targets, as pack
 * does for target-less buildpacks; composites carry their order instead.
 */
export function moduleLayerInfo(d: BuildpackDescriptor<unknown>, diffId: string): ModuleLayerInfo {
  return {
    api: d.api,
    stacks: undefined,
    targets: d.targets.length ? d.targets.map(targetJson) : undefined,
    order: d.order.length ? orderJson(d.order) : undefined,
    layerDiffID: diffId,
    homepage: d.buildpack.homepage || undefined,
    name: d.buildpack.name || undefined,
  };
}

/** The buildpackage metadata label value for the main buildpack (pack: stacks `[{id:"*"}]`). */
export function buildpackageMetadata(d: BuildpackDescriptor<unknown>): BuildpackageMetadata {
  return { ...moduleInfo(d), stacks: [{ id: "*" }] };
}

/** Serialises a layers label: ids and versions sorted as Go writes map keys. */
export function stringifyModuleLayers(layers: ModuleLayers): string {
  const out: ModuleLayers = {};
  for (const id of Object.keys(layers).sort()) out[id] = sortedRecord(layers[id] ?? {});
  return goJson(out);
}

/** Parses a layers label; a one-line error naming `where` when it is not pack's shape. */
export function parseModuleLayers(text: string | undefined, where: string): ModuleLayers {
  if (text === undefined) throw new CnbError(`${where}: has no ${BUILDPACK_LAYERS_LABEL} label; is it a buildpackage?`);
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    throw new CnbError(`${where}: label ${BUILDPACK_LAYERS_LABEL} is not valid JSON`);
  }
  if (!doc || typeof doc !== "object" || Array.isArray(doc)) {
    throw new CnbError(`${where}: label ${BUILDPACK_LAYERS_LABEL} must be a JSON object`);
  }
  for (const [id, versions] of Object.entries(doc as Record<string, unknown>)) {
    if (!versions || typeof versions !== "object") {
      throw new CnbError(`${where}: label ${BUILDPACK_LAYERS_LABEL}: "${id}" must map versions to layers`);
    }
    for (const [version, info] of Object.entries(versions as Record<string, unknown>)) {
      const diff = (info as { layerDiffID?: unknown })?.layerDiffID;
      if (typeof diff !== "string" || !diff.startsWith("sha256:")) {
        throw new CnbError(`${where}: label ${BUILDPACK_LAYERS_LABEL}: ${id}@${version} has no layerDiffID`);
      }
    }
  }
  return doc as ModuleLayers;
}

/** Parses the buildpackage metadata label (id and version are required). */
export function parseBuildpackageMetadata(text: string | undefined, where: string): BuildpackageMetadata {
  if (text === undefined) {
    throw new CnbError(`${where}: has no ${BUILDPACKAGE_METADATA_LABEL} label; is it a buildpackage?`);
  }
  let doc: BuildpackageMetadata;
  try {
    doc = JSON.parse(text);
  } catch {
    throw new CnbError(`${where}: label ${BUILDPACKAGE_METADATA_LABEL} is not valid JSON`);
  }
  if (typeof doc?.id !== "string" || typeof doc.version !== "string") {
    throw new CnbError(`${where}: label ${BUILDPACKAGE_METADATA_LABEL} lacks id or version`);
  }
  return doc;
}

/**
 * The builder's labels and /cnb files in pack's shapes: `io.buildpacks.builder.metadata`
 * (pack internal/builder/metadata.go `Metadata`: description, buildpacks, extensions,
 * stack, lifecycle {version, api, apis}, createdBy, images), `io.buildpacks.buildpack.order`,
 * `io.buildpacks.buildpack.system`, and the TOML of /cnb/order.toml, /cnb/system.toml,
 * /cnb/run.toml and /cnb/stack.toml.
 */
import { stringifyToml, type TomlTable } from "@cnbkit/framework/cnb-files";
import { goJson, type ModuleInfoJson } from "../package/index.js";
import type { BuilderOrderEntry, BuilderSystem, RunImage } from "./config.js";
import type { ApiVersions, Lifecycle } from "./lifecycle-binary.js";

/** The builder metadata label. */
export const BUILDER_METADATA_LABEL = "io.buildpacks.builder.metadata";
/** The builder's order label. */
export const BUILDER_ORDER_LABEL = "io.buildpacks.buildpack.order";

/** The builder's extension order label (pack internal/builder `OrderExtensionsLabel`). */
export const BUILDER_ORDER_EXTENSIONS_LABEL = "io.buildpacks.buildpack.order-extensions";

/** The builder's system buildpacks label (pack internal/builder/metadata.go `SystemLabel`). */
export const BUILDER_SYSTEM_LABEL = "io.buildpacks.buildpack.system";

/** The creator name written in `createdBy`. */
export const CREATOR_NAME = "cnbkit";

/** pack's `builder.Metadata`. */
export interface BuilderMetadata {
  description: string;
  buildpacks: ModuleInfoJson[];
  extensions: ModuleInfoJson[];
  stack: { runImage: RunImage };
  lifecycle: {
    version: string;
    api: { buildpack: string; platform: string };
    apis: { buildpack: ApiVersions; platform: ApiVersions };
  };
  createdBy: { name: string; version: string };
  images: RunImage[];
}

function compareApi(a: string, b: string): number {
  const [am, an] = a.split(".").map(Number);
  const [bm, bn] = b.split(".").map(Number);
  return (am ?? 0) - (bm ?? 0) || (an ?? 0) - (bn ?? 0);
}

/** The earliest of deprecated + supported (pack's `CompatDescriptor` for the old `api` field). */
export function earliestApi(v: ApiVersions): string {
  return [...v.deprecated, ...v.supported].sort(compareApi)[0] ?? "";
}

/** Builds the metadata label value (keys in pack's field order). */
export function builderMetadata(input: {
  description: string;
  buildpacks: ModuleInfoJson[];
  /** The image extensions (pack's `extensions` list); empty without any. */
  extensions?: ModuleInfoJson[];
  runImages: RunImage[];
  lifecycle: Lifecycle;
  creatorVersion: string;
}): BuilderMetadata {
  const run = input.runImages[0] ?? { image: "", mirrors: [] };
  const { apis } = input.lifecycle;
  return {
    description: input.description,
    buildpacks: input.buildpacks,
    extensions: input.extensions ?? [],
    stack: { runImage: { image: run.image, mirrors: run.mirrors } },
    lifecycle: {
      version: input.lifecycle.version,
      api: { buildpack: earliestApi(apis.buildpack), platform: earliestApi(apis.platform) },
      apis: {
        buildpack: { deprecated: apis.buildpack.deprecated, supported: apis.buildpack.supported },
        platform: { deprecated: apis.platform.deprecated, supported: apis.platform.supported },
      },
    },
    createdBy: { name: CREATOR_NAME, version: input.creatorVersion },
    images: input.runImages.map((r) => ({ image: r.image, mirrors: r.mirrors })),
  };
}

/** The order in pack's JSON shape (`[{group: [{id, version, optional?}]}]`). */
export function orderLabel(order: { group: BuilderOrderEntry[] }[]): string {
  return goJson(
    order.map((o) => ({
      group: o.group.map((e) => ({ id: e.id, version: e.version, optional: e.optional || undefined })),
    })),
  );
}

/** /cnb/order.toml: `[[order]]`, and `[[order-extensions]]` when the builder has extensions. */
export function orderToml(
  order: { group: BuilderOrderEntry[] }[],
  orderExtensions: { group: BuilderOrderEntry[] }[] = [],
): string {
  const groups = (list: { group: BuilderOrderEntry[] }[]) =>
    list.map((o) => ({
      group: o.group.map((e) => ({ id: e.id, version: e.version, optional: e.optional || undefined })),
    }));
  return stringifyToml({
    order: groups(order),
    ...(orderExtensions.length ? { "order-extensions": groups(orderExtensions) } : {}),
  });
}

/** A group entry in pack's TOML/JSON shape (`dist.ModuleRef`): `optional` only when true. */
interface RefShape {
  id: string;
  version?: string;
  optional?: boolean;
}

function refShape(e: BuilderOrderEntry): RefShape {
  return { id: e.id, version: e.version, optional: e.optional || undefined };
}

/** True when `[system]` names any buildpack (pack then writes /cnb/system.toml and its label). */
export function hasSystem(system: BuilderSystem): boolean {
  return system.pre.length > 0 || system.post.length > 0;
}

/** pack's `dist.System`: `pre` and `post`, each `{ buildpacks }`, an empty side left out. */
function systemShape(system: BuilderSystem): { pre?: { buildpacks: RefShape[] }; post?: { buildpacks: RefShape[] } } {
  const side = (list: BuilderOrderEntry[]) => (list.length ? { buildpacks: list.map(refShape) } : undefined);
  return { pre: side(system.pre), post: side(system.post) };
}

/** The system label as pack writes it: builder.toml's `[system]` as given (versions as written). */
export function systemLabel(system: BuilderSystem): string {
  return goJson(systemShape(system));
}

/** /cnb/system.toml, which the lifecycle reads at Platform API 0.15: `[system]` with versions resolved. */
export function systemToml(system: BuilderSystem): string {
  return stringifyToml({ system: systemShape(system) as TomlTable });
}

/** /cnb/run.toml: `[[images]] image, mirrors`. */
export function runToml(images: RunImage[]): string {
  return stringifyToml({
    images: images.map((i) => ({ image: i.image, mirrors: i.mirrors.length ? i.mirrors : undefined })),
  });
}

/** /cnb/stack.toml for older platforms: `[run-image] image, mirrors` from the first run image. */
export function stackToml(images: RunImage[]): string {
  const first = images[0];
  if (!first) return "";
  return stringifyToml({
    "run-image": { image: first.image, mirrors: first.mirrors.length ? first.mirrors : undefined },
  });
}

/**
 * The patchable layers of one app image, read from its config alone: each buildpack layer
 * whose `[metadata]` (in the lifecycle's `io.buildpacks.lifecycle.metadata` label) holds a
 * patch record (`@cnbkit/framework/dependencies` patch-rule.ts), with the checks that say the
 * layer is still what the buildpack recorded, and the comparison of two such layers' shapes
 * (what a reference layer must share with the one it replaces).
 */
import { type PatchRecord, readPatchRecord } from "@cnbkit/framework/dependencies";
import type { Digest, ImageConfig } from "../oci/index.js";
import { appMetadata } from "../platform/index.js";

/** A layer as the lifecycle label records it. */
export interface LabelLayer {
  sha: string;
  data?: Record<string, unknown>;
  build?: boolean;
  launch?: boolean;
  cache?: boolean;
}

/** One layer of an image that says it may be patched. */
export interface PatchableLayer {
  /** `<buildpack id>:<layer name>`, e.g. `cnbkit/nodejs:node`. */
  key: string;
  buildpack: string;
  name: string;
  /** The label's entry (diffID, metadata, types). */
  entry: LabelLayer;
  record: PatchRecord;
  /** Its index among the config's diff_ids (= the manifest's layers). */
  index: number;
}

/** Each layer of `config` with a patch record, or the reason the image cannot be patched at all. */
export function patchableLayers(
  config: ImageConfig,
  where: string,
): { layers: PatchableLayer[]; unusable: { key: string; why: string }[] } {
  const { lifecycle } = appMetadata(config, where);
  const layers: PatchableLayer[] = [];
  const unusable: { key: string; why: string }[] = [];
  for (const bp of lifecycle.buildpacks ?? []) {
    for (const [name, raw] of Object.entries(bp.layers ?? {})) {
      const entry = raw as LabelLayer;
      const record = readPatchRecord(entry.data);
      if (!record) continue;
      const key = `${bp.key}:${name}`;
      const why = recordedMismatch(entry, record, config);
      if (why) unusable.push({ key, why });
      else
        layers.push({
          key,
          buildpack: bp.key,
          name,
          entry,
          record,
          index: config.rootfs.diff_ids.lastIndexOf(entry.sha as Digest),
        });
    }
  }
  return { layers, unusable };
}

/**
 * Why a layer is not what its buildpack recorded (undefined when it is): its diffID must be
 * among the image's layers, and the patch record must name the dependency its cache key names.
 */
function recordedMismatch(entry: LabelLayer, record: PatchRecord, config: ImageConfig): string | undefined {
  if (!config.rootfs.diff_ids.includes(entry.sha as Digest))
    return `its recorded diffID ${entry.sha.slice(0, 19)} is not among the image's layers`;
  const key = entry.data?.["cache-key"] as Record<string, unknown> | undefined;
  if (key && (key.version !== record.version || key.sha256 !== record.sha256))
    return `its cache key names ${String(key.version)} but its patch record ${record.version}`;
  return undefined;
}

/** The keys of a layer's `cache-key` that name the dependency itself (they change with a patch). */
const DEPENDENCY_KEYS = new Set(["id", "version", "sha256"]);

/**
 * What a replacement must share with the layer it replaces: the layer types (a launch-only
 * Node.js runtime leaves out its C headers; a build one keeps them) and every cache-key entry
 * but the dependency's own (e.g. NODE_ENV, the arch). Undefined when the shapes match.
 */
export function shapeMismatch(image: LabelLayer, reference: LabelLayer): string | undefined {
  const types = (l: LabelLayer) => ["build", "launch", "cache"].filter((t) => l[t as "build"]).join("+") || "none";
  if (types(image) !== types(reference))
    return `the reference's layer is ${types(reference)}, this image's ${types(image)}: use a reference built like it`;
  const rest = (l: LabelLayer) => {
    const key = (l.data?.["cache-key"] ?? {}) as Record<string, unknown>;
    return JSON.stringify(
      Object.keys(key)
        .filter((k) => !DEPENDENCY_KEYS.has(k))
        .sort()
        .map((k) => [k, key[k]]),
    );
  };
  if (rest(image) !== rest(reference))
    return `the reference's layer was made with ${rest(reference)}, this image's with ${rest(image)}`;
  return undefined;
}

/**
 * The check between the lifecycle and the destination: every layer the build made (the
 * image's new layers in the layout repository, the cache's new layer tars) is scanned once
 * (a diffID in both is read from the cache's uncompressed tar), for the bindings' secrets
 * (secret-needles.ts) and, in the image's layers, for setuid/setgid and world-writable files
 * and owners (layer-hygiene.ts). A secret or a setuid file stops the build in one line,
 * before anything is copied out, and puts the cache back as it was (cache-snapshot.ts). An
 * image layer the exporter has just made from a buildpack's layer dir is read from that dir
 * when the dir makes its tar again, byte for byte (dir-layer-scan.ts), not gunzipped.
 *
 * The lifecycle always exports to cnbkit's layout repository in the per-build work dir
 * (build-app.ts), registry output included, so "before anything is written" needs no extra
 * hold: write-image.ts copies the image out only after this check passes.
 */
import { readFile, readdir } from "node:fs/promises";
import { join } from "node:path";
import { CnbError } from "@cnbkit/framework";
import { OciLayout } from "../../../oci/index.js";
import { LABELS, type LifecycleMetadata } from "../../app-image.js";
import { CACHE_METADATA } from "./cache-image.js";
import type { CacheSnapshot } from "./cache-snapshot.js";
import { type CnbOwner, type HygieneFinding, octalMode } from "./layer-hygiene.js";
import { type LayerScan, scanLayerFile } from "./layer-scan.js";
import { needleSearch } from "./needle-search.js";
import { scanLayerDir } from "./dir-layer-scan.js";
import { buildpackLayerDirs } from "../layer-dirs.js";
import type { Needle } from "./secret-needles.js";

/**
 * One layer to scan: its diffID, where its tar is, how the user knows it, where it goes, and
 * for an image-only layer of a buildpack, its directory under the build's /layers.
 */
interface NewLayer {
  diffId: string;
  file: string;
  dir?: string;
  name: string;
  inImage: boolean;
  inCache: boolean;
}

/** What {@link checkNewLayers} needs. */
export interface LayerCheckInput {
  /** The app image's layout dir in the layout repository, and its tag there. */
  appPath: string;
  tag: string;
  cacheDir: string;
  cache: CacheSnapshot;
  needles: readonly Needle[];
  owner: CnbOwner;
  /**
   * The build's /layers on this machine, while the exporter's layer dirs are still in it: a
   * new image layer of a buildpack is read from its dir (dir-layer-scan.ts), not gunzipped.
   */
  layersDir?: string;
  /** What the user sees the image as (the error says it is unchanged). */
  output: string;
  say: (line: string) => void;
}

/**
 * Scans the build's new layers; throws a one-line {@link CnbError} (after restoring the
 * cache) on a secret or a setuid/setgid file, says world-writable files and foreign owners.
 * Returns the diffIDs of the image layers read from their buildpacks' dirs: each of those
 * dirs made its layer's tar again, byte for byte, so what else reads the dir (the ABI label,
 * abi-label.ts) reads the layer.
 */
export async function checkNewLayers(input: LayerCheckInput): Promise<ReadonlySet<string>> {
  const started = performance.now();
  await checkMetadata(input);
  const layers = await newLayers(input);
  const scans = await scanAll(layers, input);
  let bytes = 0;
  for (const [i, layer] of layers.entries()) {
    const scan = scans[i]!;
    bytes += scan.bytes;
    if (scan.secret) {
      const needle = input.needles[scan.secret.needle]!;
      await refuse(input, `${needle.source} (its ${needle.file}) is in ${where(layer)} at /${scan.secret.path}`);
    }
    if (!layer.inImage) continue;
    const setuid = scan.hygiene.find((f) => f.kind === "setuid");
    if (setuid) {
      await refuse(input, `${where(layer)} has a setuid/setgid file: /${setuid.path} (mode ${octalMode(setuid.mode)})`);
    }
    warnHygiene(input.say, layer, scan.hygiene);
  }
  const secs = ((performance.now() - started) / 1000).toFixed(1);
  const proven = new Set(layers.filter((_, i) => scans[i]!.fromDir).map((l) => l.diffId));
  const fromDirs = proven.size;
  input.say(
    `Checked ${layers.length} new layer${layers.length === 1 ? "" : "s"} (${(bytes / 1e6).toFixed(0)} MB) for ${input.needles.length} secret value${input.needles.length === 1 ? "" : "s"} and setuid files in ${secs} s${fromDirs ? `, ${fromDirs} read from ${fromDirs === 1 ? "its layer directory" : "their layer directories"}` : ""}`,
  );
  return proven;
}

/** Layers scanned at once: gunzip runs on libuv's threads, so two overlap it with tar parsing. */
const SCAN_CONCURRENCY = 2;

/** Each layer's scan, {@link SCAN_CONCURRENCY} at a time, in the layers' order. */
async function scanAll(layers: NewLayer[], input: LayerCheckInput): Promise<DoneScan[]> {
  const needles = input.needles.map((n) => n.bytes);
  const scans: DoneScan[] = [];
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < layers.length) {
      const i = next++;
      scans[i] = await scanLayer(layers[i]!, needles, input);
    }
  };
  await Promise.all(Array.from({ length: SCAN_CONCURRENCY }, worker));
  return scans;
}

/** A layer's scan, and whether it was read from its buildpack's dir (said in the summary line). */
type DoneScan = LayerScan & { fromDir: boolean };

/** One layer's scan: from its buildpack's dir when that makes its tar again, else from its tar. */
async function scanLayer(layer: NewLayer, needles: readonly Buffer[], input: LayerCheckInput): Promise<DoneScan> {
  const fromDir =
    layer.dir && input.layersDir
      ? await scanLayerDir(
          { blob: layer.file, diffId: layer.diffId, layersDir: input.layersDir, dir: layer.dir },
          needles,
          input.owner,
        )
      : undefined;
  if (fromDir) return { ...fromDir, fromDir: true };
  return { ...(await scanLayerFile(layer.file, needles, input.owner)), fromDir: false };
}

/**
 * The image's config (its labels hold each layer's `<layer>.toml` [metadata] and the
 * processes) and the cache's metadata file: a secret a buildpack put in layer metadata or a
 * process command is there, not in a layer. JSON escapes a value's quotes and backslashes, so
 * each needle is looked for as JSON writes it too.
 */
async function checkMetadata(input: LayerCheckInput): Promise<void> {
  const needles = input.needles.flatMap((n, i) => {
    const json = Buffer.from(JSON.stringify(n.bytes.toString()).slice(1, -1));
    return json.equals(n.bytes)
      ? [{ bytes: n.bytes, i }]
      : [
          { bytes: n.bytes, i },
          { bytes: json, i },
        ];
  });
  const layout = await OciLayout.open(input.appPath);
  const manifest = await layout.resolve(input.tag).catch(() => layout.resolve());
  const documents: [string, Buffer | undefined][] = [
    [
      "the image config (its labels)",
      manifest.kind === "manifest" ? await layout.readBlob(manifest.manifest.config.digest) : undefined,
    ],
    [
      "the build cache's metadata",
      await readFile(join(input.cacheDir, "committed", CACHE_METADATA)).catch(() => undefined),
    ],
  ];
  for (const [what, bytes] of documents) {
    const found = bytes ? needleSearch(needles.map((n) => n.bytes)).push(bytes) : -1;
    if (found === -1) continue;
    const needle = input.needles[needles[found]!.i]!;
    await refuse(
      input,
      `${needle.source} (its ${needle.file}) is in ${what}, put there as layer metadata or a process`,
    );
  }
}

async function refuse(input: LayerCheckInput, what: string): Promise<never> {
  await input.cache.restore();
  throw new CnbError(`${what}: nothing was written, ${input.output} and the build cache are as they were`, {
    hint: "the buildpack that made the layer must not put it there; remove it from the builder or fix it",
  });
}

function where(layer: NewLayer): string {
  const places = [layer.inImage ? "image" : "", layer.inCache ? "cache" : ""].filter(Boolean).join(" and ");
  return `${layer.name} (${places})`;
}

/** Warns of world-writable entries and foreign owners of one layer, a few named and the rest counted. */
function warnHygiene(say: (line: string) => void, layer: NewLayer, findings: HygieneFinding[]): void {
  for (const kind of ["world-writable", "owner"] as const) {
    const found = findings.filter((f) => f.kind === kind);
    if (found.length === 0) continue;
    const named = found
      .slice(0, 3)
      .map((f) => `/${f.path}`)
      .join(", ");
    const more = found.length > 3 ? ` and ${found.length - 3} more` : "";
    const what = kind === "owner" ? "not owned by the CNB user" : "world-writable";
    say(`Warning: ${layer.name} has ${what} entries: ${named}${more}`);
  }
}

/** The image's layers whose blobs the exporter wrote, and the cache's new tars, each once. */
async function newLayers(input: LayerCheckInput): Promise<NewLayer[]> {
  const byDiffId = new Map<string, NewLayer>();
  const layout = await OciLayout.open(input.appPath);
  const manifest = await layout.resolve(input.tag).catch(() => layout.resolve());
  if (manifest.kind === "manifest") {
    const config = await layout.readConfig(manifest.manifest.config.digest);
    const meta = lifecycleMetadata(config.config?.Labels?.[LABELS.lifecycle]);
    const names = imageLayerNames(meta);
    // Only a blob this export wrote was made from its dir as it is now (as in abi-label.ts).
    const dirs = buildpackLayerDirs(meta);
    for (const [i, desc] of manifest.manifest.layers.entries()) {
      const diffId = config.rootfs.diff_ids[i];
      if (!diffId || !(await layout.hasBlob(desc.digest))) continue;
      const name = names.get(diffId) ?? `layer ${diffId.slice(0, 19)}`;
      const file = layout.blobPath(desc.digest);
      byDiffId.set(diffId, { diffId, file, dir: dirs.get(diffId), name, inImage: true, inCache: false });
    }
  }
  const committed = join(input.cacheDir, "committed");
  const cacheNames = await cacheLayerNames(committed);
  for (const file of await readdir(committed).catch(() => [] as string[])) {
    if (!file.endsWith(".tar") || input.cache.before.has(file)) continue;
    const diffId = file.slice(0, -".tar".length);
    const known = byDiffId.get(diffId);
    const name = known?.name ?? cacheNames.get(diffId) ?? `cache layer ${diffId.slice(0, 19)}`;
    // The same tar (one diffID), but not compressed: the fallback when the dir does not make
    // it. A layer for launch and cache is still read from its dir first, so the ABI label
    // (abi-label.ts) may read that dir too.
    const dir = known?.dir;
    byDiffId.set(diffId, { diffId, file: join(committed, file), dir, name, inImage: !!known, inCache: true });
  }
  return [...byDiffId.values()];
}

/** The lifecycle's label, parsed; empty when it is not JSON (the names and dirs are then unknown). */
function lifecycleMetadata(label: string | undefined): LifecycleMetadata {
  try {
    return JSON.parse(label ?? "{}") as LifecycleMetadata;
  } catch {
    return {};
  }
}

/** diffID → "layer <buildpack>:<layer>" (or the app, launcher, config, SBOM layer) from the lifecycle's label. */
function imageLayerNames(meta: LifecycleMetadata): Map<string, string> {
  const names = new Map<string, string>();
  for (const bp of meta.buildpacks ?? []) {
    for (const [layer, { sha }] of Object.entries(bp.layers ?? {})) names.set(sha, `layer ${bp.key}:${layer}`);
  }
  for (const app of meta.app ?? []) names.set(app.sha, "the app layer");
  if (meta.launcher) names.set(meta.launcher.sha, "the launcher layer");
  if (meta.config) names.set(meta.config.sha, "the config layer");
  if (meta["process-types"]) names.set(meta["process-types"].sha, "the process-types layer");
  if (meta.sbom) names.set(meta.sbom.sha, "the SBOM layer");
  return names;
}

/** diffID → "cache layer <buildpack>:<layer>" from the cache's metadata file. */
async function cacheLayerNames(committed: string): Promise<Map<string, string>> {
  const names = new Map<string, string>();
  const text = await readFile(join(committed, CACHE_METADATA), "utf8").catch(() => "{}");
  try {
    const meta = JSON.parse(text) as LifecycleMetadata;
    for (const bp of meta.buildpacks ?? []) {
      for (const [layer, { sha }] of Object.entries(bp.layers ?? {})) names.set(sha, `cache layer ${bp.key}:${layer}`);
    }
  } catch {
    // names are for the message only
  }
  return names;
}

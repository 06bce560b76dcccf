/**
 * What a build can say of itself once its image is written: which builder, buildpacks, run
 * image and lifecycle made it, from which source tree, with which build-time variables
 * (names only), and when. Provenance is made from this record; the platform only gathers it.
 */
import { createHash } from "node:crypto";
import { createReadStream } from "node:fs";
import { lstat, readdir, readlink } from "node:fs/promises";
import { join } from "node:path";
import type { Digest, ImageConfig } from "../../oci/index.js";
import { appMetadata } from "../app-image.js";

/** The builder metadata label (pack's), for the lifecycle's version. */
const BUILDER_METADATA = "io.buildpacks.builder.metadata";
/** The builder label naming each buildpack's layer diffID, by id and version. */
const BUILDPACK_LAYERS = "io.buildpacks.buildpack.layers";

/** A digest of the source tree the lifecycle saw in /workspace. */
export interface SourceTree {
  digest: Digest;
  files: number;
}

/** The facts of one build (see the module doc). */
export interface BuildRecord {
  /** The builder as named, and its manifest digest when it is an image. */
  builder: { ref: string; digest?: string };
  /** The buildpacks of the group that built the image, with their layer diffIDs from the builder. */
  buildpacks: { id: string; version: string; digest?: string }[];
  runImage: { ref: string; digest?: string };
  lifecycleVersion?: string;
  platformApi: string;
  sourceTree: SourceTree;
  /** Build-time environment variable names (never their values). */
  envNames: string[];
  startedOn: Date;
  finishedOn: Date;
}

function parseJson<T>(text: string | undefined): T | undefined {
  if (text === undefined) return undefined;
  try {
    return JSON.parse(text) as T;
  } catch {
    return undefined;
  }
}

/** The lifecycle version and buildpack layer diffIDs a builder's labels record. */
export function builderFacts(labels: Record<string, string>): {
  lifecycleVersion?: string;
  layerOf: (id: string, version: string) => string | undefined;
} {
  const meta = parseJson<{ lifecycle?: { version?: string } }>(labels[BUILDER_METADATA]);
  const layers = parseJson<Record<string, Record<string, { layerDiffID?: string }>>>(labels[BUILDPACK_LAYERS]) ?? {};
  return {
    ...(meta?.lifecycle?.version ? { lifecycleVersion: meta.lifecycle.version } : {}),
    layerOf: (id, version) => layers[id]?.[version]?.layerDiffID,
  };
}

/** The buildpacks an app image's labels say built it, with the builder's layer diffID for each. */
export function builtBy(appConfig: ImageConfig, builderLabels: Record<string, string>): BuildRecord["buildpacks"] {
  const { build } = appMetadata(appConfig, "the exported image");
  const { layerOf } = builderFacts(builderLabels);
  return (build.buildpacks ?? []).map((bp) => {
    const digest = layerOf(bp.id, bp.version);
    return { id: bp.id, version: bp.version, ...(digest ? { digest } : {}) };
  });
}

/**
 * A digest of the tree under `dir`: each entry's path (sorted, byte order), kind, executable
 * bit and content (a file's sha256, a link's target), so it changes exactly when what the
 * buildpacks could read changes. Ownership and times are left out: the copy sets them.
 */
export async function treeDigest(dir: string): Promise<SourceTree> {
  const lines: string[] = [];
  let files = 0;
  async function walk(rel: string): Promise<void> {
    const names = (await readdir(join(dir, rel))).sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
    for (const name of names) {
      const path = rel ? `${rel}/${name}` : name;
      const st = await lstat(join(dir, path));
      if (st.isDirectory()) {
        lines.push(`d ${path}`);
        await walk(path);
      } else if (st.isSymbolicLink()) {
        lines.push(`l ${path} ${await readlink(join(dir, path))}`);
      } else if (st.isFile()) {
        files++;
        lines.push(`f ${path} ${st.mode & 0o111 ? "x" : "-"} ${await fileSha256(join(dir, path))}`);
      }
    }
  }
  await walk("");
  return { digest: `sha256:${createHash("sha256").update(lines.join("\n")).digest("hex")}` as Digest, files };
}

async function fileSha256(path: string): Promise<string> {
  const h = createHash("sha256");
  for await (const chunk of createReadStream(path)) h.update(chunk as Buffer);
  return h.digest("hex");
}

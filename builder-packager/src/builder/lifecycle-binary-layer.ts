/**
 * The builder's /cnb/lifecycle layer, one per arch, made in the background from the start
 * of `builder create`: from a release tarball it is the one layer a cold create compresses
 * itself (the buildpackages bring theirs), so it overlaps reading them and pushing run
 * images. What it would have said is held and said when the builder image takes the
 * layer, so the log reads in the order it always did, and an error surfaces at that point.
 */
import { createHash } from "node:crypto";
import { lstat, readdir, readlink } from "node:fs/promises";
import { join } from "node:path";
import {
  FAST_GZIP_LEVEL,
  rememberDiffId,
  type LayerBlobStore,
  type LayerDescriptor,
  type LayerEntry,
  normalizedMode,
  writeLayer,
} from "../oci/index.js";
import { type Lifecycle, type LifecycleConfig, type LifecycleContext, loadLifecycle } from "./lifecycle-binary.js";
import { lifecycleSboms } from "./lifecycle-binary-sbom.js";

/** The lifecycle layers being made, by arch. */
export interface LifecycleLayers {
  /** The lifecycle and its layer for `arch`, saying what was held on `say` first. */
  take(arch: string, say: (line: string) => void): Promise<{ lifecycle: Lifecycle; layer: LayerDescriptor }>;
  /** Resolves once every layer is made or failed (before the scratch dir is removed). */
  settled(): Promise<void>;
}

/** Where the layers are made: the lifecycle context, the blob dir, and the compressed-layer cache to use. */
export interface LifecycleLayerContext extends Omit<LifecycleContext, "say"> {
  blobDir: string;
  /** The layer cache, given the function its lines go to. */
  cache: (say: (line: string) => void) => LayerBlobStore;
}

interface Made {
  lifecycle: Lifecycle;
  layer: LayerDescriptor;
  /** Lines before "Adding lifecycle" (locating, downloading) and after it (the layer cache's). */
  before: string[];
  after: string[];
}

/**
 * Starts making the lifecycle layer of each distinct arch among `platforms`.
 *
 * @example
 * const lifecycles = startLifecycleLayers(cfg.lifecycle, platforms, { baseDir, workDir, file, blobDir, cache });
 * const { lifecycle, layer } = await lifecycles.take("amd64", progress);
 */
export function startLifecycleLayers(
  config: LifecycleConfig,
  platforms: { architecture: string }[],
  ctx: LifecycleLayerContext,
): LifecycleLayers {
  const jobs = new Map<string, { made: Promise<Made>; lines: { before: string[]; after: string[] } }>();
  for (const arch of new Set(platforms.map((p) => p.architecture))) {
    const lines = { before: [] as string[], after: [] as string[] };
    const made = (async (): Promise<Made> => {
      const lifecycle = await loadLifecycle(config, arch, { ...ctx, say: (l) => lines.before.push(l) });
      const entries = await lifecycleEntries(lifecycle);
      const store = ctx.cache((l) => lines.after.push(l));
      // An unpacked tarball never changes, so its tar's diffId is remembered beside it, keyed
      // by the entries (names, sizes, modes, generated SBOM text) and the compression.
      const cache = lifecycle.immutable
        ? rememberDiffId(store, `${lifecycle.dir}.diffid-${entriesKey(entries)}`)
        : store;
      const layer = await writeLayer(entries, ctx.blobDir, { cache, level: FAST_GZIP_LEVEL });
      return { lifecycle, layer, ...lines };
    })();
    made.catch(() => {}); // taken (and thrown) by take(), or only waited for by settled()
    jobs.set(arch, { made, lines });
  }
  return {
    async take(arch, say) {
      const job = jobs.get(arch);
      if (!job) throw new Error(`no lifecycle layer was started for ${arch}`);
      try {
        const made = await job.made;
        for (const l of made.before) say(l);
        say(`Adding lifecycle ${made.lifecycle.version}`);
        for (const l of made.after) say(l);
        return made;
      } catch (err) {
        for (const l of job.lines.before) say(l);
        throw err;
      }
    },
    async settled() {
      await Promise.allSettled([...jobs.values()].map((j) => j.made));
    },
  };
}

/**
 * /cnb/lifecycle/* from the lifecycle dir, the SBOMs a release carries when the dir has none
 * (made from the binaries' Go build info), and pack's compat link /lifecycle -> /cnb/lifecycle.
 */
async function lifecycleEntries(lifecycle: Lifecycle): Promise<LayerEntry[]> {
  const entries: LayerEntry[] = [{ type: "dir", path: "cnb/lifecycle", mode: 0o755 }];
  for (const name of (await readdir(lifecycle.dir)).sort()) {
    const abs = join(lifecycle.dir, name);
    const st = await lstat(abs);
    const path = `cnb/lifecycle/${name}`;
    if (st.isSymbolicLink()) entries.push({ type: "symlink", path, target: await readlink(abs) });
    else if (st.isFile())
      entries.push({ type: "file", path, size: st.size, sourcePath: abs, mode: normalizedMode(st) });
  }
  for (const [name, text] of Object.entries(await lifecycleSboms(lifecycle.dir, lifecycle.version))) {
    entries.push({
      type: "file",
      path: `cnb/lifecycle/${name}`,
      size: Buffer.byteLength(text),
      data: text,
      mode: 0o644,
    });
  }
  entries.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  entries.push({ type: "symlink", path: "lifecycle", target: "/cnb/lifecycle" });
  return entries;
}

/** A short key of what a layer of `entries` holds, for files that never change in place. */
function entriesKey(entries: LayerEntry[]): string {
  const hash = createHash("sha256");
  for (const e of entries) {
    const data = e.type === "file" && "data" in e ? createHash("sha256").update(e.data).digest("hex") : "";
    hash.update(`${JSON.stringify({ ...e, data: undefined })}${data}\n`);
  }
  return hash.digest("hex").slice(0, 16);
}

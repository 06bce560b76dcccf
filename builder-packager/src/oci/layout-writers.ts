/**
 * A layout shared by writers: the layout's lock (`.cnbkit-lock`, a pid lock dir) around every
 * read-modify-write of index.json, the registry of live writers (`.cnbkit-writers/`), and the
 * collection of blobs nothing references any more.
 *
 * Concurrent writers (8 `cnbkit rebase --output oci:DIR:tN` at once kept 4 of 8 tags) take
 * the lock for every change of index.json. After a tag changes, unreferenced blobs are
 * collected under the same lock (7 builds had left 19 of 30 blobs unreferenced); while
 * another live writer is registered nothing is collected, so a blob written (or found and
 * reused) but not yet indexed is never taken. Partial `.tmp-<pid>-*` blobs of dead writers
 * are removed when a writer registers.
 */
import { mkdir, readdir, readFile, rm, stat, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { isProcessAlive, processIdentity, withDirLock } from "../cache/index.js";
import { compactRemembered } from "./blob-check.js";
import { type ImageIndex, isIndexType, isManifestType, type ParsedManifest, parseManifest } from "./image.js";

const LOCK = ".cnbkit-lock";
const WRITERS = ".cnbkit-writers";
/** Blobs changed this recently before the collector's own registration are left alone (clock granularity). */
const GC_MARGIN_MS = 2000;
/** When this process registered as a writer of each layout dir (ms since the epoch). */
const registeredAt = new Map<string, number>();

/** What the writers' bookkeeping reads of a layout. */
export interface LayoutFiles {
  /** Absolute path of the layout directory. */
  readonly dir: string;
  /** Its `blobs/sha256` directory. */
  readonly blobDir: string;
  /** Path of a blob (whether or not it exists). */
  blobPath(digest: string): string;
  /** The layout's index.json. */
  index(): Promise<ImageIndex>;
}

/** Runs `fn` holding the layout's lock (every index.json change and the collection of blobs). */
export function withLayoutLock<T>(dir: string, fn: () => Promise<T>): Promise<T> {
  return withDirLock(join(dir, LOCK), fn, { pollMs: 20 });
}

/**
 * Once per process and layout, under the lock: records this process in `.cnbkit-writers/`
 * (so no other writer collects blobs it is about to write or reuse) and removes what dead
 * writers left: partial `.tmp-<pid>-*` files (on a nearly full disk they made the next
 * write fail with ENOSPC) and their registrations.
 */
export async function registerWriter(layout: LayoutFiles): Promise<void> {
  const { dir } = layout;
  if (registeredAt.has(dir)) return;
  await withLayoutLock(dir, async () => {
    const writers = join(dir, WRITERS);
    await mkdir(writers, { recursive: true });
    await writeFile(join(writers, String(process.pid)), `${processIdentity() ?? ""}\n`);
    registeredAt.set(dir, Date.now());
    for (const name of await readdir(writers)) {
      if (!(await writerAlive(dir, name))) await rm(join(writers, name), { force: true });
    }
    for (const d of [dir, layout.blobDir]) {
      for (const name of await readdir(d).catch(() => [] as string[])) {
        const pid = /^(?:.+)?\.tmp-(\d+)-/.exec(name)?.[1]; // ours and writeAtomic's <file>.tmp-<pid>-*
        if (pid && !isProcessAlive(Number(pid))) await rm(join(d, name), { recursive: true, force: true });
      }
    }
  });
}

async function writerAlive(dir: string, name: string): Promise<boolean> {
  const identity = (await readFile(join(dir, WRITERS, name), "utf8").catch(() => "")).trim();
  return isProcessAlive(Number(name), identity || undefined);
}

/**
 * Removes blobs that nothing in index.json reaches (manifests, indexes, configs, layers,
 * subjects), when this process is the only live writer and the blob is older than its
 * registration. The caller holds the lock. Returns how many went; does nothing when a
 * referenced manifest cannot be read (better keep garbage than lose an image).
 */
export async function collectUnreferenced(layout: LayoutFiles): Promise<number> {
  const { dir, blobDir } = layout;
  const since = registeredAt.get(dir);
  if (since === undefined) return 0; // opened to read only
  for (const name of await readdir(join(dir, WRITERS)).catch(() => [] as string[])) {
    if (name !== String(process.pid) && (await writerAlive(dir, name))) return 0;
  }
  const reachable = await reachableBlobs(layout);
  if (!reachable) return 0;
  let removed = 0;
  const cutoff = since - GC_MARGIN_MS;
  for (const hex of await readdir(blobDir).catch(() => [] as string[])) {
    if (hex.startsWith(".") || reachable.has(`sha256:${hex}`)) continue;
    const st = await stat(join(blobDir, hex)).catch(() => undefined);
    // ctime, not mtime: a blob hardlinked in keeps its mtime but gets a new ctime.
    if (!st?.isFile() || st.ctimeMs >= cutoff) continue;
    await rm(join(blobDir, hex), { force: true });
    removed++;
  }
  if (removed > 0) {
    const keep = new Set((await readdir(blobDir).catch(() => [] as string[])).filter((n) => !n.startsWith(".")));
    await compactRemembered(dir, keep);
  }
  return removed;
}

/** Every digest index.json reaches; undefined when a referenced manifest cannot be read. */
async function reachableBlobs(layout: LayoutFiles): Promise<Set<string> | undefined> {
  const reachable = new Set<string>();
  const walk = async (d: { digest: string; mediaType?: string }): Promise<boolean> => {
    if (reachable.has(d.digest)) return true;
    reachable.add(d.digest);
    if (!isIndexType(d.mediaType ?? "") && !isManifestType(d.mediaType)) return true;
    let parsed: ParsedManifest;
    try {
      parsed = parseManifest(await readFile(layout.blobPath(d.digest)), d.mediaType, d.digest);
    } catch {
      return false;
    }
    const children =
      parsed.kind === "index"
        ? parsed.index.manifests
        : [
            parsed.manifest.config,
            ...parsed.manifest.layers,
            ...(parsed.manifest.subject ? [parsed.manifest.subject] : []),
          ];
    for (const c of children) if (!(await walk(c))) return false;
    return true;
  };
  for (const m of (await layout.index()).manifests) if (!(await walk(m))) return undefined;
  return reachable;
}

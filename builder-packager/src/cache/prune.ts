/**
 * Keeps cnbkit's cache directories bounded: each one holds entries (one child dir per key:
 * an unpacked image, a compiled executable, a build cache, a compressed layer) that are
 * cheap to recreate but large (~0.5 GB rootfs, ~112 MB executables, ~31 MB layer blobs), so
 * without a bound they fill the disk.
 *
 * The policy is least-recently-used, by count and optionally by size:
 * - Using an entry (a hit or a new one) sets its dir's mtime to now and leaves a marker
 *   `<root>/.in-use/<name>.<pid>`. An entry counts as in use while a process that used it
 *   is alive, or until that process says it is done with it ({@link releaseCacheEntry}):
 *   a rootfs is the lower dir of a build's or run's overlay for as long as that lasts. A
 *   long-lived process (a test worker, a server running apps one after another) must
 *   release what it no longer uses, or every image it ever ran stays pinned, counts toward
 *   the bound, and each new entry anyone makes then evicts all the idle ones.
 * - Pruning runs after a new entry was made, never on a hit. It keeps the entry just made,
 *   every entry in use, then the most recently used ones while the bounds allow.
 * - An entry is taken only under its lock (`<name>.lock`, {@link withDirLock}), which
 *   {@link useCacheEntry} also holds while it records a hit, so a concurrent process never
 *   has its entry pulled away between "it is there" and "I use it".
 * - Deletion renames the entry to `.trash-<name>-<pid>-<time>` first, then removes it: a crash
 *   halfway leaves a trash dir (removed by the next prune), never a half-deleted entry that
 *   a later hit would take for a whole one. `.tmp-*` dirs and locks of dead processes go too.
 */
import { existsSync, lstatSync, readdirSync, readFileSync } from "node:fs";
import { mkdir, readdir, rename, rm, stat, utimes, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { formatBytes, parseBytes } from "@cnbkit/framework/log";
import { withDirLock } from "./dir-lock.js";
import { isProcessAlive, processIdentity } from "./pid.js";
import { STALE_PREFIXES, sweepStaleIn } from "./stale.js";
export { formatBytes };

const IN_USE = ".in-use";

/** Uses this process marked and has not released, by `<root>\0<name>`. */
const uses = new Map<string, number>();

/** Bounds of one cache dir; a missing bound does not limit. */
export interface CacheBounds {
  /** Keep at most this many entries. */
  maxEntries?: number;
  /** Keep at most this many bytes (disk usage) of entries. */
  maxBytes?: number;
}

/** Options of {@link pruneCache}. */
export interface PruneOptions extends CacheBounds {
  /** The entry just made or used: never removed, whatever the bounds say. */
  keep?: string;
  /**
   * Entries that others share (a builder, a run image's layers) rather than one-offs (an app
   * image run once): idle one-offs go first, least recently used first, then these.
   */
  shared?: (name: string) => boolean;
  /**
   * Entries used this recently (ms) are never removed, whatever the bounds say (they still
   * count toward them): a build cache a build of the last hour used is an author's loop,
   * not an idle entry, even when other apps' builds filled the pool since.
   */
  keepUsedWithinMs?: number;
  /**
   * The entries are files rather than dirs (the ABI facts of one layer are one small JSON
   * file); files still being written (`writeAtomic`'s `<name>.tmp-*`) are not entries.
   */
  files?: boolean;
  /**
   * The suffix of an entry's companion dir (`<name><companion>` beside it: a build cache's
   * layer store, `.layers`): not an entry of its own, it counts toward its entry's size and
   * goes with it; one whose entry is gone and unused is a leftover.
   */
  companion?: string;
}

/** What {@link pruneCache} removed. */
export interface PruneResult {
  /** Names of the evicted entries, least recently used first. */
  evicted: string[];
  /** Disk usage of the evicted entries, in bytes. */
  bytes: number;
  /** Leftovers of dead processes removed (`.trash-*`, `.tmp-*`, stale locks and markers). */
  leftovers: number;
}

/** The lock dir of entry `name`: the one {@link useCacheEntry} and {@link pruneCache} take, and creators should hold. */
export function cacheEntryLock(root: string, name: string): string {
  return `${join(root, name)}.lock`;
}

/**
 * Records that this process uses entry `name` now: bumps its last-used time and marks it in
 * use. Call it while holding {@link cacheEntryLock} (e.g. right after renaming a new entry
 * into place), or before the entry exists.
 */
export async function markCacheEntryUsed(root: string, name: string): Promise<void> {
  const use = `${root}\0${name}`;
  uses.set(use, (uses.get(use) ?? 0) + 1);
  await mkdir(join(root, IN_USE), { recursive: true });
  await writeFile(join(root, IN_USE, `${name}.${process.pid}`), processIdentity() ?? "");
  const now = new Date();
  await utimes(join(root, name), now, now).catch((err: NodeJS.ErrnoException) => {
    if (err.code !== "ENOENT") throw err;
  });
}

/**
 * Ends one use of entry `name` that {@link markCacheEntryUsed} (or a hit of
 * {@link useCacheEntry}) recorded. After this process's last use is released the entry is
 * idle again, so a prune may take it; an entry never released stays in use until the
 * process ends. Takes the entry's lock, so a use being marked at the same time is not lost.
 *
 * @example
 * if (await useCacheEntry(root, key, present)) try { await runOn(join(root, key)); } finally { await releaseCacheEntry(root, key); }
 */
export async function releaseCacheEntry(root: string, name: string): Promise<void> {
  const use = `${root}\0${name}`;
  await withDirLock(cacheEntryLock(root, name), async () => {
    const left = (uses.get(use) ?? 0) - 1;
    if (left > 0) {
      uses.set(use, left);
      return;
    }
    uses.delete(use);
    await rm(join(root, IN_USE, `${name}.${process.pid}`), { force: true });
  });
}

/**
 * Takes entry `name` for this process if `present(dir)` says it is complete (or when no
 * `present` is given): under the entry's lock, so a concurrent prune cannot remove it
 * between the check and the mark. Returns false, marking nothing, for a miss.
 *
 * @example
 * if (await useCacheEntry(root, key, (dir) => existsSync(join(dir, "config.json")))) return hit();
 */
export async function useCacheEntry(
  root: string,
  name: string,
  present?: (dir: string) => boolean | Promise<boolean>,
): Promise<boolean> {
  const dir = join(root, name);
  if (present && !(await present(dir))) return false; // a miss needs no lock
  await mkdir(root, { recursive: true });
  return withDirLock(cacheEntryLock(root, name), async () => {
    if (present && !(await present(dir))) return false;
    await markCacheEntryUsed(root, name);
    return true;
  });
}

/**
 * Removes the least recently used entries of `root` beyond the bounds, skipping `keep` and
 * entries in use, and the leftovers of dead processes. Entries in use still count toward
 * the bounds, so older idle entries make room for them.
 *
 * @example
 * const r = await pruneCache(join(cache, "sea"), { maxEntries: 12, keep: key });
 */
export async function pruneCache(root: string, options: PruneOptions = {}): Promise<PruneResult> {
  const result: PruneResult = { evicted: [], bytes: 0, leftovers: 0 };
  const names = await readdir(root).catch(() => [] as string[]);
  result.leftovers += await removeLeftovers(root, names);
  const { used: inUse, removed } = await liveUsers(root);
  result.leftovers += removed;
  const maxEntries = options.maxEntries ?? Number.POSITIVE_INFINITY;
  const maxBytes = options.maxBytes ?? Number.POSITIVE_INFINITY;
  const sized = options.maxBytes !== undefined;

  const companion = options.companion;
  if (companion) result.leftovers += await removeOrphanCompanions(root, names, companion, inUse);
  const entries: { name: string; used: number; size: number; pinned: boolean; shared: boolean }[] = [];
  for (const name of names) {
    if (name.startsWith(".") || name.endsWith(".lock")) continue;
    if (options.files && name.includes(".tmp-")) continue;
    if (companion && name.endsWith(companion)) continue;
    const st = await stat(join(root, name)).catch(() => undefined);
    if (!st || !(options.files ? st.isFile() : st.isDirectory())) continue;
    const size = sized ? diskUsage(join(root, name)) + (companion ? diskUsage(join(root, name + companion)) : 0) : 0;
    const recent = options.keepUsedWithinMs !== undefined && Date.now() - st.mtimeMs < options.keepUsedWithinMs;
    const pinned = name === options.keep || inUse.has(name) || recent;
    entries.push({ name, used: st.mtimeMs, size, pinned, shared: options.shared?.(name) ?? false });
  }
  // Kept first: shared entries, then the rest, each most recently used first.
  entries.sort((a, b) => Number(b.shared) - Number(a.shared) || b.used - a.used || a.name.localeCompare(b.name));
  let count = 0;
  let bytes = 0;
  for (const e of entries.filter((e) => e.pinned)) {
    count++;
    bytes += e.size;
  }
  // Strict LRU (within shared and one-off entries): once an entry does not fit, it and every
  // entry after it in that order go.
  let full = false;
  const victims: string[] = [];
  for (const e of entries) {
    if (e.pinned) continue;
    full ||= count + 1 > maxEntries || bytes + e.size > maxBytes;
    if (full) victims.push(e.name);
    else {
      count++;
      bytes += e.size;
    }
  }
  for (const name of victims.reverse()) {
    const trash = await tryLocked(cacheEntryLock(root, name), async () => {
      if ((await liveUsers(root)).used.has(name)) return undefined; // used since we looked
      const to = join(root, `.trash-${name}-${process.pid}-${Date.now()}`);
      try {
        await rename(join(root, name), to);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === "ENOENT") return undefined; // another prune took it
        throw err;
      }
      // The companion goes under the same lock, after its entry: a crash between leaves an orphan, removed next time.
      const withIt = companion ? await trashCompanion(root, name, companion) : undefined;
      return withIt ? [to, withIt] : [to];
    });
    if (trash === undefined) continue;
    for (const dir of trash) {
      result.bytes += diskUsage(dir);
      await rm(dir, { recursive: true, force: true });
    }
    result.evicted.push(name);
  }
  return result;
}

/** The cnbkit caches that {@link pruneCacheKind} bounds, with their env variables and defaults. */
export const CACHE_KINDS = {
  rootfs: { env: "CNBKIT_CACHE_MAX_ROOTFS", maxEntries: 10, one: "unpacked image", many: "unpacked images" },
  sea: { env: "CNBKIT_CACHE_MAX_SEA", maxEntries: 12, one: "compiled executable", many: "compiled executables" },
  bundles: { env: "CNBKIT_CACHE_MAX_BUNDLES", maxEntries: 40, one: "bundled script", many: "bundled scripts" },
  goHelpers: {
    env: "CNBKIT_CACHE_MAX_GO_HELPERS",
    maxEntries: 40,
    one: "Go helper binary",
    many: "Go helper binaries",
  },
  buildCaches: {
    env: "CNBKIT_CACHE_MAX_BUILD_CACHES",
    maxEntries: 20,
    one: "build cache",
    many: "build caches",
    // Its layer store (platform/app-build/layer-store/): counted with it, pruned with it.
    companion: ".layers",
    // A busy machine's other builds pruned an author's 612 MiB cache right after it was used.
    keepUsedWithinMs: 60 * 60_000,
  },
  lifecycleTarballs: {
    env: "CNBKIT_CACHE_MAX_LIFECYCLE_TARBALLS",
    maxEntries: 4,
    one: "unpacked lifecycle tarball",
    many: "unpacked lifecycle tarballs",
  },
  layerBlobs: {
    env: "CNBKIT_CACHE_MAX_LAYER_BLOBS",
    maxEntries: 40,
    one: "compressed layer",
    many: "compressed layers",
  },
  // abi/image-abi.ts: one JSON file of a few KB per layer and scan scope, by diffID; cheap to
  // read again, but a fleet of tens of thousands of images adds one per app layer it reads.
  abi: {
    env: "CNBKIT_CACHE_MAX_ABI",
    maxEntries: 20_000,
    one: "layer's ABI facts",
    many: "layers' ABI facts",
    files: true,
  },
} as const;

/** One of {@link CACHE_KINDS}. */
export type CacheKind = keyof typeof CACHE_KINDS;

/**
 * The bounds of a cnbkit cache from the environment: `<VAR>` is a count (default per kind),
 * `<VAR>_SIZE` an optional total size such as `20G` (K, M, G, T are powers of 1024). A value
 * that does not parse is reported through `warn` and the default is used: a cache setting
 * must not fail a build that already succeeded.
 *
 * @example
 * cacheBounds("rootfs", { CNBKIT_CACHE_MAX_ROOTFS: "3", CNBKIT_CACHE_MAX_ROOTFS_SIZE: "10G" }); // { maxEntries: 3, maxBytes: 10737418240 }
 */
export function cacheBounds(
  kind: CacheKind,
  env: Record<string, string | undefined> = process.env,
  warn?: (line: string) => void,
): CacheBounds {
  const spec = CACHE_KINDS[kind];
  const bounds: CacheBounds = { maxEntries: spec.maxEntries };
  const count = env[spec.env]?.trim();
  if (count) {
    if (/^\d+$/.test(count)) bounds.maxEntries = Number(count);
    else warn?.(`${spec.env}=${count} is not a whole number; keeping at most ${spec.maxEntries} ${spec.many}`);
  }
  const size = env[`${spec.env}_SIZE`]?.trim();
  if (size) {
    const bytes = parseBytes(size);
    if (bytes !== undefined) bounds.maxBytes = bytes;
    else warn?.(`${spec.env}_SIZE=${size} is not a size such as 500M or 20G; not bounding ${spec.many} by size`);
  }
  return bounds;
}

/**
 * Prunes the cnbkit cache `root` of `kind` with the bounds from the environment and reports
 * an eviction in one line ("Pruned 2 unpacked images (1.2 GiB) from the cache"). Never
 * throws: a cache that could not be pruned is reported, not fatal.
 *
 * @example
 * await pruneCacheKind("rootfs", join(cache, "rootfs-by-digest"), { keep: key, onProgress: console.error });
 */
export async function pruneCacheKind(
  kind: CacheKind,
  root: string,
  options: {
    keep?: string;
    shared?: (name: string) => boolean;
    onProgress?: (line: string) => void;
    env?: Record<string, string | undefined>;
  } = {},
): Promise<PruneResult | undefined> {
  const spec = CACHE_KINDS[kind];
  try {
    const bounds = cacheBounds(kind, options.env, options.onProgress);
    const recent = "keepUsedWithinMs" in spec ? { keepUsedWithinMs: spec.keepUsedWithinMs } : {};
    const files = "files" in spec ? { files: spec.files } : {};
    const companion = "companion" in spec ? { companion: spec.companion } : {};
    const r = await pruneCache(root, {
      ...bounds,
      keep: options.keep,
      shared: options.shared,
      ...recent,
      ...files,
      ...companion,
    });
    const n = r.evicted.length;
    if (n > 0)
      options.onProgress?.(`Pruned ${n} ${n === 1 ? spec.one : spec.many} (${formatBytes(r.bytes)}) from the cache`);
    return r;
  } catch (err) {
    options.onProgress?.(`Could not prune ${spec.many} in ${root}: ${err instanceof Error ? err.message : err}`);
    return undefined;
  }
}

/** Runs `fn` holding `lockDir`, or returns undefined at once when a live process holds it (a stale lock is taken over). */
async function tryLocked<T>(lockDir: string, fn: () => Promise<T | undefined>): Promise<T | undefined> {
  const busy = Symbol("busy");
  try {
    return await withDirLock(lockDir, fn, {
      onWait: () => {
        throw busy; // withDirLock calls this instead of waiting, before it holds anything
      },
    });
  } catch (err) {
    if (err === busy) return undefined;
    throw err;
  }
}

/** Renames `<name><companion>` to a trash dir; undefined when there is none. */
async function trashCompanion(root: string, name: string, companion: string): Promise<string | undefined> {
  const to = join(root, `.trash-${name}${companion}-${process.pid}-${Date.now()}`);
  // A build that died there left its overlay mounted (a layer store's); rm cannot remove a mount point.
  await sweepStaleIn(join(root, name + companion), STALE_PREFIXES.layers);
  try {
    await rename(join(root, name + companion), to);
    return to;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw err;
  }
}

/** Removes companions whose entry is gone and not in use (a crash mid-eviction); returns how many. */
async function removeOrphanCompanions(
  root: string,
  names: string[],
  companion: string,
  inUse: Set<string>,
): Promise<number> {
  const present = new Set(names);
  let removed = 0;
  for (const name of names) {
    if (name.startsWith(".") || !name.endsWith(companion)) continue;
    const entry = name.slice(0, -companion.length);
    if (present.has(entry) || inUse.has(entry)) continue;
    const trash = await tryLocked(cacheEntryLock(root, entry), async () => {
      if (existsSync(join(root, entry)) || (await liveUsers(root)).used.has(entry)) return undefined;
      return trashCompanion(root, entry, companion);
    });
    if (trash === undefined) continue;
    await rm(trash, { recursive: true, force: true });
    removed++;
  }
  return removed;
}

/** Removes `.trash-*` and `.tmp-*` dirs of dead processes and stale locks; returns how many. */
async function removeLeftovers(root: string, names: string[]): Promise<number> {
  let removed = 0;
  for (const name of names) {
    if (name.startsWith(".trash-") || name.startsWith(".tmp-")) {
      const pid = Number(/-(\d+)-\d+$/.exec(name)?.[1]);
      if (!Number.isInteger(pid) || pid <= 0 || isProcessAlive(pid)) continue;
      await rm(join(root, name), { recursive: true, force: true });
      removed++;
    } else if (name.endsWith(".lock")) {
      // Taking a stale lock removes it; a live one is left to its owner.
      if ((await tryLocked(join(root, name), async () => true)) === true) removed++;
    }
  }
  return removed;
}

/** Names of entries some live process marked in use; removes (and counts) the markers of dead ones. */
async function liveUsers(root: string): Promise<{ used: Set<string>; removed: number }> {
  const dir = join(root, IN_USE);
  const used = new Set<string>();
  let removed = 0;
  for (const marker of await readdir(dir).catch(() => [] as string[])) {
    const dot = marker.lastIndexOf(".");
    const pid = Number(marker.slice(dot + 1));
    if (dot > 0 && Number.isInteger(pid) && pid > 0) {
      let identity: string;
      try {
        identity = readFileSync(join(dir, marker), "utf8");
      } catch {
        continue; // removed meanwhile by another prune
      }
      if (isProcessAlive(pid, identity)) {
        used.add(marker.slice(0, dot));
        continue;
      }
    }
    await rm(join(dir, marker), { force: true });
    removed++;
  }
  return { used, removed };
}

/** Disk usage of a tree in bytes (allocated blocks; hardlinked files once), like `du -s`. */
export function diskUsage(path: string): number {
  const seen = new Set<string>();
  let total = 0;
  // Synchronous: an unpacked rootfs has tens of thousands of entries, and a thread-pool round
  // trip per lstat made the walk several times slower.
  const walk = (p: string) => {
    const st = lstatSync(p, { throwIfNoEntry: false });
    if (!st) return;
    if (!st.isDirectory() && st.nlink > 1) {
      const id = `${st.dev}:${st.ino}`;
      if (seen.has(id)) return;
      seen.add(id);
    }
    total += st.blocks * 512;
    if (!st.isDirectory()) return;
    let names: string[] = [];
    try {
      names = readdirSync(p);
    } catch {
      // removed meanwhile (a concurrent prune) or unreadable: count what we saw
    }
    for (const name of names) walk(join(p, name));
  };
  walk(path);
  return total;
}

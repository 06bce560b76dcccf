/**
 * The cache stage: where cnbkit keeps what it reuses (cache dirs), how processes take turns
 * on it (locks), how it stays bounded (pruning), and how leftovers of dead cnbkit processes
 * are found and removed (stale sweeps), all asking one pid-liveness check.
 */
export { lockBuildCache } from "./build-cache-lock.js";
export { type ContentMemoOptions, memoByContent, stringRecord } from "./content-memo.js";
export { cnbkitCacheDir } from "./dir.js";
export { fillCacheEntry, type RemoveDir } from "./fill-entry.js";
export { acquireDirLock, type DirLockOptions, type HeldDirLock, withDirLock } from "./dir-lock.js";
export { isProcessAlive, processIdentity } from "./pid.js";
export {
  CACHE_KINDS,
  type CacheBounds,
  type CacheKind,
  cacheBounds,
  cacheEntryLock,
  diskUsage,
  formatBytes,
  markCacheEntryUsed,
  type PruneOptions,
  type PruneResult,
  pruneCache,
  pruneCacheKind,
  releaseCacheEntry,
  useCacheEntry,
} from "./prune.js";
export { ownedPrefix, STALE_PREFIXES, sweepStale, sweepStaleIn } from "./stale.js";

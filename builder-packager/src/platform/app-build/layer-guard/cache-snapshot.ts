/**
 * The build cache as it was before the lifecycle ran, kept until the new layers are checked:
 * the exporter commits the cache itself (the volume cache's `staging` renamed to
 * `committed`), before cnbkit sees any layer, so a layer refused afterwards would stay in
 * the cache and be restored into the next build. The snapshot is hard links of
 * `committed/`'s files (the lifecycle never writes a committed file in place: it links a
 * reused layer into `staging` and renames), made in the per-build work dir, outside the
 * cache's mount; a copy where the two are on different filesystems.
 */
import { chown, copyFile, link, mkdir, readdir, rename, rm, stat } from "node:fs/promises";
import { join } from "node:path";

/** The cache's committed layers before the build, and the way back to them. */
export interface CacheSnapshot {
  /** The file names `committed/` had (layer tars are named by their diffID). */
  before: ReadonlySet<string>;
  /** Puts `committed/` back as it was (and drops `staging/`): the cache's earlier contents. */
  restore(): Promise<void>;
  /** Drops the snapshot: the new cache passed. */
  drop(): Promise<void>;
}

/** Snapshots `<cacheDir>/committed` into `<work>/cache-before`. */
export async function snapshotCache(cacheDir: string, work: string): Promise<CacheSnapshot> {
  const committed = join(cacheDir, "committed");
  const kept = join(work, "cache-before");
  const names = (await stat(committed).catch(() => undefined))?.isDirectory() ? await readdir(committed) : undefined;
  if (names) {
    await mkdir(kept, { recursive: true });
    for (const name of names) {
      await link(join(committed, name), join(kept, name)).catch((err: NodeJS.ErrnoException) => {
        if (err.code !== "EXDEV") throw err;
        return copyFile(join(committed, name), join(kept, name));
      });
    }
  }
  let restored = false;
  return {
    before: new Set(names ?? []),
    async restore() {
      if (restored) return;
      restored = true;
      await rm(join(cacheDir, "staging"), { recursive: true, force: true });
      await rm(committed, { recursive: true, force: true });
      if (!names) return;
      await rename(kept, committed).catch(async (err: NodeJS.ErrnoException) => {
        if (err.code !== "EXDEV") throw err;
        await mkdir(committed);
        for (const name of names) await copyFile(join(kept, name), join(committed, name));
      });
      // The lifecycle's user owns the cache dir; the restored committed/ is theirs too.
      const owner = await stat(cacheDir);
      await chown(committed, owner.uid, owner.gid);
    },
    async drop() {
      await rm(kept, { recursive: true, force: true });
    },
  };
}

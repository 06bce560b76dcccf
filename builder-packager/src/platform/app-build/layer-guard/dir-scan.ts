/**
 * The secret check of the cache layers kept by reference (../layer-store/): they never pass
 * through a layer tar, so check-layers.ts does not see them. What a build changed there is
 * its overlay's upper dir, read file by file with the same needle search; the size of the
 * store does not matter, only what the build wrote.
 */
import { createReadStream } from "node:fs";
import { readdir } from "node:fs/promises";
import { join } from "node:path";
import { needleSearch } from "./needle-search.js";
import type { Needle } from "./secret-needles.js";

/** Where a needle was found in a dir: the needle's index and the file's path below the dir. */
export interface DirSecret {
  needle: number;
  path: string;
}

/**
 * The first file under `dir` (regular files only: a link is not followed, a whiteout holds
 * nothing) that holds one of `needles`; undefined when none does.
 *
 * @example
 * await findSecretInDir(upper, needles) // { needle: 0, path: "cnbkit_go/go-build/ab/npmrc" }
 */
export async function findSecretInDir(dir: string, needles: readonly Needle[]): Promise<DirSecret | undefined> {
  if (needles.length === 0) return undefined;
  const bytes = needles.map((n) => n.bytes);
  const walk = async (rel: string): Promise<DirSecret | undefined> => {
    const entries = await readdir(join(dir, rel), { withFileTypes: true }).catch(() => []);
    for (const e of entries) {
      const path = rel ? `${rel}/${e.name}` : e.name;
      if (e.isDirectory()) {
        const below = await walk(path);
        if (below) return below;
      } else if (e.isFile()) {
        const needle = await scanFile(join(dir, path), bytes);
        if (needle !== -1) return { needle, path };
      }
    }
    return undefined;
  };
  return walk("");
}

async function scanFile(file: string, needles: readonly Buffer[]): Promise<number> {
  const search = needleSearch(needles);
  for await (const chunk of createReadStream(file)) {
    const found = search.push(chunk as Buffer);
    if (found !== -1) return found;
  }
  return -1;
}

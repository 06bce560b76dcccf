/**
 * The per-command work dir under cnbkit's cache: a single-platform build's (its view, inputs
 * and layout repository) and a multi-platform build's staging dir, each swept when the
 * process that made it is gone.
 */
import { mkdir, mkdtemp } from "node:fs/promises";
import { join } from "node:path";
import { ownedPrefix, STALE_PREFIXES, sweepStale } from "../../cache/index.js";

/** A fresh work dir under `<cache>/tmp`, after sweeping those of dead builds. */
export async function makeWorkDir(cache: string): Promise<string> {
  const tmpRoot = join(cache, "tmp");
  await mkdir(tmpRoot, { recursive: true });
  await sweepStale(tmpRoot);
  return mkdtemp(join(tmpRoot, ownedPrefix(STALE_PREFIXES.build)));
}

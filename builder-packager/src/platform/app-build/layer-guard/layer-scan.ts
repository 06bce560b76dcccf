/**
 * One pass over one layer: its tar (gzip or not, told by its first bytes) streamed entry by
 * entry, each header checked for hygiene and each file's bytes searched for the secrets.
 * Nothing is held but one chunk and a needle's length of tail: a JDK layer scans in the
 * memory of a small file.
 */
import { createReadStream } from "node:fs";
import { open } from "node:fs/promises";
import type { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { createGunzip } from "node:zlib";
import tar from "tar-stream";
import { type CnbOwner, entryHygiene, entryPath, type HygieneFinding } from "./layer-hygiene.js";
import { needleSearch } from "./needle-search.js";

/** What one layer holds that must not leave the build. */
export interface LayerScan {
  /** The first secret found: the needle's index and the entry's path. */
  secret?: { needle: number; path: string };
  hygiene: HygieneFinding[];
  /** Bytes of tar content read (for the cost figures). */
  bytes: number;
}

/** Scans the layer tar at `file` for `needles` and for the hygiene of {@link entryHygiene}. */
export async function scanLayerFile(file: string, needles: readonly Buffer[], owner: CnbOwner): Promise<LayerScan> {
  const gzip = await isGzip(file);
  const input: Readable = createReadStream(file, { highWaterMark: 256 * 1024 });
  return scanLayerStream(gzip ? input.pipe(createGunzip({ chunkSize: 256 * 1024 })) : input, needles, owner);
}

/** {@link scanLayerFile} of a stream of uncompressed tar bytes. */
export async function scanLayerStream(
  input: Readable,
  needles: readonly Buffer[],
  owner: CnbOwner,
): Promise<LayerScan> {
  const result: LayerScan = { hygiene: [], bytes: 0 };
  const extract = tar.extract();
  const consume = (async () => {
    for await (const entry of extract) {
      const path = entryPath(entry.header.name);
      result.hygiene.push(...entryHygiene(entry.header, owner));
      const search = needleSearch(needles);
      for await (const chunk of entry as AsyncIterable<Buffer>) {
        result.bytes += chunk.length;
        if (result.secret) continue; // drain: the tar must be read through to its end
        const found = search.push(chunk);
        if (found !== -1) result.secret = { needle: found, path };
      }
    }
  })();
  await Promise.all([pipeline(input, extract), consume]);
  return result;
}

async function isGzip(file: string): Promise<boolean> {
  const handle = await open(file, "r");
  try {
    const head = Buffer.alloc(2);
    await handle.read(head, 0, 2, 0);
    return head[0] === 0x1f && head[1] === 0x8b;
  } finally {
    await handle.close();
  }
}

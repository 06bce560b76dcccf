/**
 * The scan of layer-scan.ts for an image layer the exporter has just written from a
 * buildpack's layer directory, read from that directory (still there in the build's view)
 * instead of gunzipping its blob: Caddy's 57 MB binary is a read from the page cache, not a
 * 0.2-0.3 s inflate, on every rebuild after an edit. The findings are the tar's:
 *
 * - The exporter's tar (lifecycle layers/dir.go DirLayer) holds the layer dir's parents
 *   (`/layers`, `/layers/<buildpack>`), with the owners and modes they have on disk, then the
 *   layer dir and everything below it in its walk (../layer-dirs.ts), each header made by
 *   Go's tar.FileInfoHeader from the file's lstat (mode = st_mode & 07777, setuid, setgid and
 *   sticky bits included) with uid and gid set to the exporter's user, and the files' bytes.
 * - So what differs between the dir and the tar is the headers of the entries above what the
 *   dir's walk sees, and the owners. Those are read from the tar itself: its head (the
 *   parents and the layer dir, a few hundred bytes of gzip) is inflated, its headers checked
 *   as layer-scan.ts checks them, and the layer dir's entry gives the owner of all below it.
 * - Each file's bytes are searched as the tar entry's are, file by file in the tar's order,
 *   so the first secret is in the same file.
 *
 * Anything that does not match (the head is not those entries, the layer dir's owner in the
 * tar is not the CNB user, its mode is not the dir's, a read fails) gives undefined, and the
 * caller scans the blob: the dir is only ever a faster way to the same findings.
 */
import type { Stats } from "node:fs";
import { lstat, open } from "node:fs/promises";
import { join } from "node:path";
import { constants, gunzipSync } from "node:zlib";
import tar from "tar-stream";
import { walkLayerDir } from "../layer-dirs.js";
import { type CnbOwner, type EntryHeader, entryHygiene } from "./layer-hygiene.js";
import type { LayerScan } from "./layer-scan.js";
import { findNeedleInFile } from "./dir-scan.js";

/** Compressed bytes read for the tar's head: three directory headers deflate to far less. */
const HEAD_BYTES = 4096;

/**
 * The {@link LayerScan} of the image layer whose blob is `blob`, made by the exporter from
 * `<layersDir>/<dir>` (`dir` as ../layer-dirs.ts names it: `cnbkit_go/app`), read from that
 * directory; undefined when the directory is not the one the tar was made from as far as
 * its head shows, or cannot be read (scan the blob then).
 */
export async function scanLayerDir(
  blob: string,
  layersDir: string,
  dir: string,
  needles: readonly Buffer[],
  owner: CnbOwner,
): Promise<LayerScan | undefined> {
  try {
    const parts = dir.split("/");
    const head = await tarHead(blob, parts.length + 1);
    const names = ["layers", ...parts.map((_, i) => `layers/${parts.slice(0, i + 1).join("/")}`)];
    if (!head || head.length !== names.length) return undefined;
    const top = head.at(-1)!;
    const st = await lstat(join(layersDir, dir));
    const matches =
      head.every((h, i) => bare(h.name) === names[i] && h.type === "directory" && !h.size) &&
      top.uid === owner.uid &&
      top.gid === owner.gid &&
      st.isDirectory() &&
      top.mode === (st.mode & 0o7777);
    if (!matches) return undefined;
    const result: LayerScan = { hygiene: head.flatMap((h) => entryHygiene(h, owner)), bytes: 0 };
    await walkLayerDir(join(layersDir, dir), async (rel, entry) => {
      const path = `${names.at(-1)}/${rel}`;
      // The owner is the layer dir's entry's: the exporter gives everything below it the same.
      result.hygiene.push(
        ...entryHygiene(
          { name: path, type: typeOf(entry), mode: entry.mode & 0o7777, uid: top.uid, gid: top.gid },
          owner,
        ),
      );
      if (!entry.isFile()) return;
      result.bytes += entry.size;
      if (result.secret || needles.length === 0) return;
      const found = await findNeedleInFile(join(layersDir, dir, rel), needles);
      if (found !== -1) result.secret = { needle: found, path };
    });
    return result;
  } catch {
    return undefined;
  }
}

/** A path as layer-hygiene.ts compares it: no leading `/` or `./`, no trailing `/`. */
function bare(name: string): string {
  return name.replace(/^\.?\//, "").replace(/\/$/, "");
}

/** The tar entry type (tar-stream's names) the exporter writes for what lstat saw. */
function typeOf(st: Stats): string {
  if (st.isSymbolicLink()) return "symlink";
  if (st.isDirectory()) return "directory";
  if (st.isFile()) return "file";
  if (st.isFIFO()) return "fifo";
  return st.isCharacterDevice() ? "character-device" : "block-device";
}

/**
 * The first `count` entry headers of the (gzip or plain) tar at `file`, from its first
 * {@link HEAD_BYTES} bytes; undefined when they hold fewer.
 */
async function tarHead(file: string, count: number): Promise<(EntryHeader & { size?: number | null })[] | undefined> {
  const handle = await open(file, "r");
  let raw: Buffer;
  try {
    const buf = Buffer.alloc(HEAD_BYTES);
    raw = buf.subarray(0, (await handle.read(buf, 0, HEAD_BYTES, 0)).bytesRead);
  } finally {
    await handle.close();
  }
  // A truncated gzip stream inflates as far as it goes with a sync flush.
  const bytes = raw[0] === 0x1f && raw[1] === 0x8b ? gunzipSync(raw, { finishFlush: constants.Z_SYNC_FLUSH }) : raw;
  const headers: tar.Header[] = [];
  const extract = tar.extract();
  extract.on("error", () => {}); // the head ends mid-tar by design
  extract.end(bytes);
  try {
    for await (const entry of extract) {
      headers.push(entry.header);
      if (headers.length === count) break;
      entry.resume();
    }
  } catch {
    // fewer entries than asked: undefined below
  }
  return headers.length === count ? headers : undefined;
}

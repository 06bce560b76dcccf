/**
 * The upper dir of an overlayfs mount as one OCI layer: what changed over the lower dir.
 *
 * overlayfs already records the diff the way OCI layers do, in its own words: a new or
 * changed file is a file in the upper dir, a deleted one a character device 0/0 (an OCI
 * `.wh.<name>` entry), and a directory whose lower contents were replaced carries the
 * `trusted.overlay.opaque` xattr (an OCI `.wh..wh..opq` entry). This walks the upper dir,
 * translates those, and leaves out entries that are byte-for-byte what the lower dir holds
 * (a log apt truncated back to empty, a directory overlay copied up only to hold a child),
 * so the layer holds what changed and nothing else. Owners and modes are kept, as a base
 * image needs (rootfs-layer.ts).
 */
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { createReadStream, type Stats } from "node:fs";
import { lstat, readdir, readlink } from "node:fs/promises";
import { join, posix } from "node:path";
import { CnbError } from "@cnbkit/framework";
import type { LayerEntry } from "../oci/index.js";

/** OCI's whiteout prefix and opaque-dir marker (image-spec layer.md). */
const WHITEOUT = ".wh.";
const OPAQUE = ".wh..wh..opq";

/** What {@link overlayDiffEntries} found. */
export interface OverlayDiff {
  entries: LayerEntry[];
  /** Paths added or changed (files, links, dirs whose own metadata changed). */
  changed: number;
  /** Paths deleted (whiteouts, opaque dirs). */
  deleted: number;
}

/** True when the directory at `path` is marked opaque by overlayfs. */
function isOpaque(path: string): boolean {
  const r = spawnSync("getfattr", ["--only-values", "-n", "trusted.overlay.opaque", path], { encoding: "utf8" });
  return r.status === 0 && r.stdout.trim() === "y";
}

async function sha256(path: string): Promise<string> {
  const hash = createHash("sha256");
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest("hex");
}

/** Whether `upper` (a file, link or dir in the upper dir) equals `lower` in every way a layer records. */
async function sameAsLower(upperPath: string, up: Stats, lowerPath: string): Promise<boolean> {
  const low = await lstat(lowerPath).catch(() => undefined);
  if (!low) return false;
  if (up.mode !== low.mode || up.uid !== low.uid || up.gid !== low.gid) return false;
  if (up.isDirectory()) return low.isDirectory();
  if (up.isSymbolicLink()) return low.isSymbolicLink() && (await readlink(upperPath)) === (await readlink(lowerPath));
  if (up.isFile())
    return low.isFile() && up.size === low.size && (await sha256(upperPath)) === (await sha256(lowerPath));
  return false;
}

/**
 * The layer entries of the overlay upper dir `upper` over `lower`, in any order (the layer
 * writer sorts them). Hard links inside the upper dir are kept as tar hard links.
 *
 * @example
 * const { entries } = await overlayDiffEntries(view.upper, unpacked.rootfs);
 * const layer = await writeLayer(entries, layout.blobDir);
 */
export async function overlayDiffEntries(upper: string, lower: string): Promise<OverlayDiff> {
  const entries: LayerEntry[] = [];
  const inodeOf = new Map<string, string>(); // path -> dev:ino, for files with more than one link
  let changed = 0;
  let deleted = 0;

  async function walk(rel: string): Promise<void> {
    for (const name of await readdir(rel === "" ? upper : join(upper, rel))) {
      const path = rel === "" ? name : `${rel}/${name}`;
      const abs = join(upper, path);
      const st = await lstat(abs);
      const owner = { uid: st.uid, gid: st.gid };
      if (st.isCharacterDevice() && st.rdev === 0) {
        entries.push({ type: "file", path: posix.join(rel, `${WHITEOUT}${name}`), size: 0, data: "" });
        deleted++;
        continue;
      }
      if (st.isDirectory()) {
        // Kept even when unchanged (overlay copies a directory up to hold a changed child):
        // with its real owner and mode it is what the lower layer has, as docker's diffs are.
        entries.push({ type: "dir", path, mode: st.mode & 0o7777, ...owner });
        if (!(await sameAsLower(abs, st, join(lower, path)))) changed++;
        if (isOpaque(abs)) {
          entries.push({ type: "file", path: `${path}/${OPAQUE}`, size: 0, data: "" });
          deleted++;
        }
        await walk(path);
        continue;
      }
      if (!st.isFile() && !st.isSymbolicLink()) {
        throw new CnbError(`${abs}: only files, directories and symlinks can go into an image layer`, {
          hint: "device nodes, fifos and sockets belong to the runtime; remove them in the extend step",
        });
      }
      if (await sameAsLower(abs, st, join(lower, path))) continue;
      changed++;
      if (st.isSymbolicLink()) {
        entries.push({ type: "symlink", path, target: await readlink(abs), ...owner });
        continue;
      }
      if (st.nlink > 1) inodeOf.set(path, `${st.dev}:${st.ino}`);
      entries.push({ type: "file", path, size: st.size, sourcePath: abs, mode: st.mode & 0o7777, ...owner });
    }
  }
  await walk("");

  // Hard links: the first path in byte order carries the data, the others link to it (as tar does).
  const first = new Map<string, string>();
  for (const path of [...inodeOf.keys()].sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)))) {
    const key = inodeOf.get(path) as string;
    if (!first.has(key)) first.set(key, path);
  }
  const linked = entries.map((e): LayerEntry => {
    const key = e.type === "file" ? inodeOf.get(e.path) : undefined;
    const target = key ? first.get(key) : undefined;
    if (e.type !== "file" || !target || target === e.path) return e;
    return { type: "hardlink", path: e.path, target, mode: e.mode, uid: e.uid, gid: e.gid };
  });
  return { entries: linked, changed, deleted };
}

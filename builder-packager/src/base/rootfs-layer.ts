/**
 * A whole root filesystem as one reproducible OCI layer, with its real owners and modes.
 *
 * `layerFromDir` in the oci module gives every entry one owner and normalised modes, which is
 * right for buildpacks but wrong for an OS: /etc/shadow is root:shadow 0640, /usr/bin/su is
 * setuid, /tmp is 1777 and /home/cnb belongs to the CNB user. So this walks the tree itself,
 * keeps uid, gid and permission bits (including setuid, setgid and sticky), and hands the
 * entries to the oci module's {@link writeLayer}, which sorts them, fixes mtimes and
 * compresses deterministically: the same rootfs always gives the same digest.
 */
import { lstat, readdir, readlink } from "node:fs/promises";
import { join } from "node:path";
import { CnbError } from "@cnbkit/framework";
import { type LayerDescriptor, type LayerEntry, writeLayer } from "../oci/index.js";

/** A written rootfs layer plus the figures progress and reports show. */
export interface RootfsLayer extends LayerDescriptor {
  /** Size of the uncompressed tar in bytes. */
  tarSize: number;
  /** Number of entries (files, dirs, links). */
  entries: number;
}

/** Options for {@link writeRootfsLayer}. */
export interface WriteRootfsLayerOptions {
  /** Called with the uncompressed bytes written so far. */
  onProgress?: (bytes: number) => void;
}

/**
 * Packs the tree at `rootfs` as a gzip layer blob in `blobDir` (e.g. an OciLayout's blobDir),
 * keeping ownership and permission bits. Device nodes, fifos and sockets are refused: a base
 * rootfs has none (the runtime provides /dev).
 *
 * @example
 * const layer = await writeRootfsLayer(await ensureDebianRootfs(spec), layout.blobDir);
 */
export async function writeRootfsLayer(
  rootfs: string,
  blobDir: string,
  options: WriteRootfsLayerOptions = {},
): Promise<RootfsLayer> {
  const entries: LayerEntry[] = [];
  const firstPathOfInode = new Map<string, string>();
  const inodeOf = new Map<string, string>(); // path -> dev:ino, for files with more than one link

  async function walk(rel: string): Promise<void> {
    const abs = rel === "" ? rootfs : join(rootfs, rel);
    const st = await lstat(abs);
    const owner = { uid: st.uid, gid: st.gid };
    if (st.isDirectory()) {
      if (rel !== "") entries.push({ type: "dir", path: rel, mode: st.mode & 0o7777, ...owner });
      for (const name of await readdir(abs)) await walk(rel === "" ? name : `${rel}/${name}`);
    } else if (st.isSymbolicLink()) {
      entries.push({ type: "symlink", path: rel, target: await readlink(abs), ...owner });
    } else if (st.isFile()) {
      if (st.nlink > 1) inodeOf.set(rel, `${st.dev}:${st.ino}`);
      entries.push({ type: "file", path: rel, size: st.size, sourcePath: abs, mode: st.mode & 0o7777, ...owner });
    } else {
      throw new CnbError(`${abs}: a base image rootfs may only hold files, directories and symlinks`, {
        hint: "device nodes, fifos and sockets belong to the runtime; remove them from the rootfs",
      });
    }
  }
  await walk("");

  // Hardlinks: the first path in byte order carries the data, the others link to it (as tar does).
  const byte = (a: string, b: string) => Buffer.compare(Buffer.from(a), Buffer.from(b));
  for (const path of [...inodeOf.keys()].sort(byte)) {
    const key = inodeOf.get(path) as string;
    if (!firstPathOfInode.has(key)) firstPathOfInode.set(key, path);
  }
  const linked = entries.map((e): LayerEntry => {
    if (e.type !== "file") return e;
    const key = inodeOf.get(e.path);
    const first = key ? firstPathOfInode.get(key) : undefined;
    if (!first || first === e.path) return e;
    return { type: "hardlink", path: e.path, target: first, mode: e.mode, uid: e.uid, gid: e.gid };
  });

  let tarSize = 0;
  const layer = await writeLayer(linked, blobDir, {
    onProgress: (bytes) => {
      tarSize = bytes;
      options.onProgress?.(bytes);
    },
  });
  return { ...layer, tarSize, entries: linked.length };
}

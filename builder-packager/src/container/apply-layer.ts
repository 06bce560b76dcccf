/**
 * One layer tar applied to a root filesystem, as runc and containerd would see it: OCI
 * whiteouts (`.wh.<name>` deletes a lower entry, `.wh..wh..opq` empties a lower directory),
 * owners, modes (setuid included), mtimes, symlinks and hardlinks kept, every path resolved
 * inside the rootfs (a symlink never leads outside it), and entries that name `..` or a
 * hardlink outside the rootfs refused. unpack.ts applies an image's layers with it; the
 * build applies ad-hoc buildpack layers with it (../platform/app-build/adhoc-buildpacks.ts).
 */
import { spawn, spawnSync } from "node:child_process";
import {
  chmodSync,
  createWriteStream,
  lchownSync,
  linkSync,
  lstatSync,
  lutimesSync,
  mkdirSync,
  type Stats,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { chmod, lstat, mkdir, readdir, readlink, rm } from "node:fs/promises";
import { join, posix } from "node:path";
import type { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { createGunzip } from "node:zlib";
import tar from "tar-stream";
import { CnbError } from "@cnbkit/framework";
import { type Descriptor, diskFullError } from "../oci/index.js";

const MAX_SYMLINK_HOPS = 40;
/** Files up to this size are written in one call rather than streamed (far fewer syscalls). */
const SMALL_FILE = 1024 * 1024;

/** Decompresses a layer blob by its media type (gzip, zstd through the zstd tool, or plain tar). */
function decompress(blob: Readable, layer: Descriptor): Readable {
  const mt = layer.mediaType;
  if (mt.endsWith("+zstd") || mt.endsWith(".zstd")) {
    const z = spawn("zstd", ["-dc"], { stdio: ["pipe", "pipe", "inherit"] });
    blob.pipe(z.stdin);
    z.on("error", (e) => z.stdout.destroy(new CnbError(`cannot run zstd to unpack ${layer.digest}: ${e.message}`)));
    return z.stdout;
  }
  if (mt.endsWith("+gzip") || mt.endsWith(".gzip") || mt.endsWith("tar.gzip")) {
    const g = createGunzip();
    blob.on("error", (e) => g.destroy(e));
    return blob.pipe(g);
  }
  return blob;
}

/**
 * Applies one layer tar stream to `rootfs`. Exported for tests and for callers that have a
 * layer but no image (a rebased or exported layer). A full disk is one line naming the file
 * being written and its size.
 *
 * Each entry goes through named steps: {@link applyWhiteout} (a deletion), then
 * {@link clearDestination} (whatever is in the way), {@link writeEntry} (the file, dir, link
 * or device) and {@link setMetadata} (owner, mode, mtime).
 */
export async function applyLayer(blob: Readable, layer: Descriptor, rootfs: string): Promise<void> {
  const extract = tar.extract();
  const state: LayerState = {
    rootfs,
    where: `layer ${layer.digest}`,
    seen: new Set(),
    dirs: new Map(),
    current: { rel: "", size: 0 },
  };
  const consume = (async () => {
    for await (const entry of extract) {
      await applyEntry(state, entry);
      entry.resume(); // drained already unless the entry had no content to read
    }
  })();
  try {
    await Promise.all([pipeline(decompress(blob, layer), extract), consume]);
  } catch (err) {
    const { rel, size } = state.current;
    throw await diskFullError(err, `unpacking ${state.where} into ${rootfs}: writing /${rel}`, rootfs, size);
  }
}

/** What applying one layer keeps from entry to entry. */
interface LayerState {
  rootfs: string;
  /** "layer sha256:...", for messages. */
  where: string;
  /** Paths written by this layer (an opaque whiteout keeps them). */
  seen: Set<string>;
  /**
   * Resolved parent dirs. Only a removal can change what a cached path resolves to: a new
   * symlink or file never lands on an existing dir without removing it first.
   */
  dirs: Map<string, string>;
  /** The entry being written, for a disk-full message. */
  current: { rel: string; size: number };
}

/** One entry of a layer tar, as tar-stream yields it. */
type TarEntry = tar.Extract extends AsyncIterable<infer E> ? E : never;

async function parentOf(state: LayerState, dirRel: string): Promise<string> {
  const key = dirRel === "." ? "" : dirRel;
  const hit = state.dirs.get(key);
  if (hit !== undefined) return hit;
  const abs = await resolveInRoot(state.rootfs, key, true);
  state.dirs.set(key, abs);
  return abs;
}

async function applyEntry(state: LayerState, entry: TarEntry): Promise<void> {
  const h = entry.header;
  const rel = cleanEntryPath(h.name, state.where);
  if (rel === "" || (await applyWhiteout(state, rel))) return;
  state.seen.add(rel);
  state.current = { rel, size: h.size ?? 0 };
  const dest = join(await parentOf(state, posix.dirname(rel)), posix.basename(rel));
  const existing = await clearDestination(state, dest, h.type === "directory");
  if (await writeEntry(state, entry, rel, dest, existing)) setMetadata(dest, h);
}

/** Handles a whiteout entry (`.wh.<name>` removes a path, `.wh..wh..opq` empties a dir); false for any other entry. */
async function applyWhiteout(state: LayerState, rel: string): Promise<boolean> {
  const dirRel = posix.dirname(rel);
  const base = posix.basename(rel);
  if (base === ".wh..wh..opq") {
    await clearOpaque(await parentOf(state, dirRel), dirRel === "." ? "" : dirRel, state.seen);
    state.dirs.clear();
    return true;
  }
  if (!base.startsWith(".wh.")) return false;
  await rm(join(await parentOf(state, dirRel), base.slice(4)), { recursive: true, force: true });
  state.dirs.clear();
  state.seen.delete(posix.join(dirRel, base.slice(4)));
  return true;
}

/**
 * Removes what is at `dest` unless a directory entry meets a directory; returns what stays.
 * Synchronous calls for the per-entry metadata: a rootfs has tens of thousands of small
 * entries, and a thread-pool round trip per call made unpacking ~2x slower.
 */
async function clearDestination(state: LayerState, dest: string, isDir: boolean): Promise<Stats | undefined> {
  const existing = lstatSync(dest, { throwIfNoEntry: false });
  if (existing && !(existing.isDirectory() && isDir)) {
    await rm(dest, { recursive: true, force: true });
    state.dirs.clear();
    return undefined;
  }
  return existing;
}

/** Creates the entry at `dest`; true when its owner, mode and mtime are to be set (not for hardlinks and skipped types). */
async function writeEntry(
  state: LayerState,
  entry: TarEntry,
  rel: string,
  dest: string,
  existing: Stats | undefined,
): Promise<boolean> {
  const h = entry.header;
  switch (h.type) {
    case "directory":
      if (!existing?.isDirectory()) mkdirSync(dest);
      return true;
    case "file":
    case "contiguous-file":
      if ((h.size ?? 0) <= SMALL_FILE) {
        const chunks: Buffer[] = [];
        for await (const c of entry) chunks.push(c as Buffer);
        writeFileSync(dest, Buffer.concat(chunks), { mode: 0o600 });
      } else {
        await pipeline(entry, createWriteStream(dest, { mode: 0o600 }));
      }
      return true;
    case "symlink":
      symlinkSync(h.linkname ?? "", dest);
      return true;
    case "link": {
      const target = await resolveInRoot(state.rootfs, cleanEntryPath(h.linkname ?? "", state.where), false);
      linkSync(target, dest);
      return false; // a hardlink shares the target's owner and mode
    }
    case "character-device":
    case "block-device":
    case "fifo": {
      const args =
        h.type === "fifo"
          ? [dest, "p"]
          : [dest, h.type === "character-device" ? "c" : "b", String(h.devmajor ?? 0), String(h.devminor ?? 0)];
      const r = spawnSync("mknod", args, { encoding: "utf8" });
      if (r.status !== 0) throw new CnbError(`${state.where}: cannot create ${rel}: ${r.stderr.trim()}`);
      return true;
    }
    default:
      return false; // pax headers are handled by tar-stream; other types are skipped
  }
}

/** Sets an entry's owner, mode (not for symlinks) and mtime (best effort) from its header. */
function setMetadata(dest: string, h: tar.Header): void {
  lchownSync(dest, h.uid ?? 0, h.gid ?? 0);
  if (h.type !== "symlink") chmodSync(dest, (h.mode ?? 0o644) & 0o7777);
  const mtime = h.mtime ?? new Date(0);
  try {
    lutimesSync(dest, mtime, mtime);
  } catch {
    // mtimes are best effort
  }
}

async function clearOpaque(dir: string, dirRel: string, seen: Set<string>): Promise<void> {
  for (const name of await readdir(dir).catch(() => [] as string[])) {
    const rel = dirRel === "" ? name : `${dirRel}/${name}`;
    if (seen.has(rel)) continue;
    await rm(join(dir, name), { recursive: true, force: true });
  }
}

/** Normalizes a tar entry name to a relative path; refuses `..` components. */
function cleanEntryPath(name: string, where: string): string {
  const parts: string[] = [];
  for (const p of name.split("/")) {
    if (p === "" || p === ".") continue;
    if (p === "..") throw new CnbError(`${where}: entry "${name}" escapes the root filesystem`);
    parts.push(p);
  }
  return parts.join("/");
}

/**
 * Resolves `rel` inside `rootfs`, following symlinks as if `rootfs` were `/` (so an absolute
 * link target stays inside it and `..` stops at the root), like runc's securejoin. With
 * `createDirs`, missing components are created as root-owned 0755 directories.
 */
export async function resolveInRoot(rootfs: string, rel: string, createDirs: boolean): Promise<string> {
  const pending = rel.split("/").filter((p) => p !== "" && p !== ".");
  const resolved: string[] = [];
  let hops = 0;
  while (pending.length > 0) {
    const part = pending.shift() as string;
    if (part === "..") {
      resolved.pop();
      continue;
    }
    const path = join(rootfs, ...resolved, part);
    const st = await lstat(path).catch(() => undefined);
    if (st?.isSymbolicLink() && (pending.length > 0 || createDirs)) {
      if (++hops > MAX_SYMLINK_HOPS) throw new CnbError(`${rel}: too many symlinks inside the image`);
      const target = await readlink(path);
      if (target.startsWith("/")) resolved.length = 0;
      pending.unshift(...target.split("/").filter((p) => p !== "" && p !== "."));
      continue;
    }
    if (!st && createDirs) {
      await mkdir(path);
      await chmod(path, 0o755);
    }
    resolved.push(part);
  }
  return join(rootfs, ...resolved);
}

/**
 * Whether a blob file still holds the bytes its digest names, cheaply enough to ask before
 * every reuse. A flipped byte in an output layout's layer was reused by the next build
 * ("Reusing layer") and the image could not run; in its SBOM layer it failed every later
 * build. Hashing every blob on every build would cost seconds, so a blob that hashed right
 * is remembered by inode, size and mtime (ns) in the layout's `.cnbkit-verified` file, one
 * line per check, appended (a write of one short line with O_APPEND does not interleave).
 * Any write to the file changes its mtime, so a remembered check is void after one, except
 * a write within the same clock tick as the check (mtimes are as coarse as the kernel's
 * tick, or a filesystem's 1-2 s): as git does for its index, a file changed less than
 * {@link SETTLE_MS} before the check is not remembered, only checked.
 */
import { createHash } from "node:crypto";
import { createReadStream } from "node:fs";
import { appendFile, readFile, stat, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { type Digest, digestHex } from "./digest.js";

/** The file in a layout dir that remembers blobs which hashed right. */
export const VERIFIED_FILE = ".cnbkit-verified";

/** What a check found. */
export type BlobCheck = "ok" | "missing" | { corrupt: Digest };

/** How long a blob must have stayed unchanged before a check of it is remembered. */
const SETTLE_MS = 2000;

/** Remembered checks, per layout dir: `hex` -> `ino size mtimeNs` lines seen. */
const memo = new Map<string, Set<string>>();

/**
 * Files this process saw hash right (remembered or hashed), whatever layout holds them, as
 * `dev hex ino size mtimeNs`: a blob hardlinked from the layer cache into a scratch layout
 * is the same file, and hashing it again there cost ~0.1 s per 40 MiB on every builder.
 */
const verifiedFiles = new Set<string>();

function fileKey(st: { dev: bigint }, line: string): string {
  return `${st.dev} ${line}`;
}

function fingerprint(st: { ino: bigint; size: bigint; mtimeNs: bigint }): string {
  return `${st.ino} ${st.size} ${st.mtimeNs}`;
}

async function remembered(layoutDir: string): Promise<Set<string>> {
  let seen = memo.get(layoutDir);
  if (!seen) {
    seen = new Set();
    memo.set(layoutDir, seen);
  }
  const text = await readFile(join(layoutDir, VERIFIED_FILE), "utf8").catch(() => "");
  for (const line of text.split("\n")) if (line) seen.add(line);
  return seen;
}

/** sha256 of a file, streamed. */
export async function sha256OfFile(path: string): Promise<Digest> {
  const hash = createHash("sha256");
  for await (const chunk of createReadStream(path, { highWaterMark: 1 << 20 })) hash.update(chunk as Buffer);
  return `sha256:${hash.digest("hex")}`;
}

/**
 * Checks the blob file `path` of layout `layoutDir` against `digest`: "ok" (hashed now or
 * remembered), "missing", or the digest its bytes really have. Never changes the blob.
 *
 * @example
 * const r = await checkBlobFile(layout.dir, layout.blobPath(d), d);
 * if (typeof r === "object") warn(`blob ${d} is corrupt (its bytes hash to ${r.corrupt})`);
 */
export async function checkBlobFile(layoutDir: string, path: string, digest: Digest): Promise<BlobCheck> {
  const st = await stat(path, { bigint: true }).catch(() => undefined);
  if (!st?.isFile()) return "missing";
  const line = `${digestHex(digest)} ${fingerprint(st)}`;
  if (verifiedFiles.has(fileKey(st, line))) {
    if (!memo.get(layoutDir)?.has(line)) await rememberLine(layoutDir, line);
    return "ok";
  }
  if (memo.get(layoutDir)?.has(line) || (await remembered(layoutDir)).has(line)) {
    verifiedFiles.add(fileKey(st, line));
    return "ok";
  }
  const actual = await sha256OfFile(path);
  if (actual !== digest) return { corrupt: actual };
  if (settled(st)) {
    verifiedFiles.add(fileKey(st, line));
    await rememberLine(layoutDir, line);
  }
  return "ok";
}

/** True when the blob file `path` hashed to `digest` before and has not changed since (no hashing now). */
export async function isRemembered(layoutDir: string, path: string, digest: Digest): Promise<boolean> {
  const st = await stat(path, { bigint: true }).catch(() => undefined);
  if (!st?.isFile()) return false;
  const line = `${digestHex(digest)} ${fingerprint(st)}`;
  if (verifiedFiles.has(fileKey(st, line))) return true;
  return memo.get(layoutDir)?.has(line) || (await remembered(layoutDir)).has(line);
}

/** Records that the blob file `path` has `digest` (it was hashed as it was written or read). */
export async function rememberBlobFile(layoutDir: string, path: string, digest: Digest): Promise<void> {
  const st = await stat(path, { bigint: true }).catch(() => undefined);
  if (!st?.isFile() || !settled(st)) return;
  const line = `${digestHex(digest)} ${fingerprint(st)}`;
  verifiedFiles.add(fileKey(st, line));
  await rememberLine(layoutDir, line);
}

/** True when the file last changed long enough ago that a later change would show in its mtime. */
function settled(st: { mtimeNs: bigint }): boolean {
  return Date.now() - Number(st.mtimeNs / 1_000_000n) > SETTLE_MS;
}

async function rememberLine(layoutDir: string, line: string): Promise<void> {
  let seen = memo.get(layoutDir);
  if (!seen) {
    seen = new Set();
    memo.set(layoutDir, seen);
  }
  seen.add(line);
  // A read-only layout (someone else's builder) is checked again next time; nothing fails.
  await appendFile(join(layoutDir, VERIFIED_FILE), `${line}\n`).catch(() => undefined);
}

/**
 * Rewrites `.cnbkit-verified` with only the lines of blobs in `keep` (hex digests), so it
 * does not outgrow the layout. The caller holds the layout's lock.
 */
export async function compactRemembered(layoutDir: string, keep: Set<string>): Promise<void> {
  const lines = [...(await remembered(layoutDir))].filter((l) => keep.has(l.slice(0, l.indexOf(" "))));
  memo.set(layoutDir, new Set(lines));
  await writeFile(join(layoutDir, VERIFIED_FILE), lines.map((l) => `${l}\n`).join("")).catch(() => undefined);
}

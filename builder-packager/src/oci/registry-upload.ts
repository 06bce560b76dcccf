/**
 * A blob pushed to a registry: HEAD first, then a cross-repository mount, then a monolithic
 * PUT (small blobs) or PATCH chunks streamed from disk and a PUT that commits them. A blob
 * whose upload session went stale after a lost answer is started over from HEAD, a bounded
 * number of times.
 */
import { createReadStream } from "node:fs";
import { type Readable, Transform } from "node:stream";
import { CnbError } from "@cnbkit/framework";
import { formatBytes } from "../cache/index.js";
import { RetriesExhausted } from "./blob-download.js";
import type { Digest } from "./digest.js";
import type { HttpAnswer } from "./registry-http.js";
import { type RegistrySession, UploadSessionError } from "./registry-request.js";

/** A blob to upload: its digest and size, and a way to (re)open a byte range of it. */
export interface BlobUpload {
  digest: Digest;
  size: number;
  /** Opens bytes [start, end) of the blob; called again on retries. */
  open(start: number, end: number): Readable | Promise<Readable>;
}

/** A {@link BlobUpload} backed by a file (streamed, never read whole). */
export function fileBlob(path: string, digest: Digest, size: number): BlobUpload {
  return {
    digest,
    size,
    open: (start, end) => createReadStream(path, { start, end: Math.max(start, end - 1), highWaterMark: 1 << 20 }),
  };
}

/** How `RegistryClient.putBlob` got the blob there. */
export type PutBlobResult = "exists" | "mounted" | "uploaded";

/** Options of `RegistryClient.putBlob`. */
export interface PutBlobOptions {
  /** A repository of the same registry to mount the blob from. */
  mountFrom?: string;
  onProgress?: (done: number, total: number) => void;
  /** A blob just made (a rebased config): upload it without asking first whether it is there. */
  justMade?: boolean;
}

/** True when the repository already has the blob (HEAD). */
export async function hasBlob(session: RegistrySession, repo: string, digest: Digest, push = false): Promise<boolean> {
  session.stats.blobHeads++;
  const res = await session.request({
    method: "HEAD",
    url: `/v2/${repo}/blobs/${digest}`,
    repo,
    push,
    ok: [200, 404],
    what: `HEAD blob ${digest} of ${repo}`,
  });
  await res.body?.cancel();
  if (res.status === 200) session.noteBlob(repo, digest);
  return res.status === 200;
}

/**
 * Uploads a blob unless the repository has it: HEAD, then a cross-repo mount (from
 * `mountFrom`, else from a repository this session saw holding the blob), then a
 * monolithic PUT (small blobs) or chunked PATCHes.
 */
export async function putBlob(
  session: RegistrySession,
  repo: string,
  blob: BlobUpload,
  options: PutBlobOptions = {},
): Promise<PutBlobResult> {
  const { registry, opts } = session;
  // A request whose response was lost may have been applied (a chunk stored, an upload
  // committed); its retry then fails with 4xx on a stale upload session. Start the blob over
  // (beginning with HEAD, which finds a committed blob), a bounded number of times.
  const mountFrom = options.mountFrom ?? session.blobHome(blob.digest);
  for (let attempt = 1; ; attempt++) {
    try {
      // a retry of a blob just made asks first: the lost answer may have been a commit
      const justMade = options.justMade === true && attempt === 1;
      const how = await putBlobOnce(session, repo, blob, { ...options, mountFrom, justMade });
      session.noteBlob(repo, blob.digest);
      return how;
    } catch (err) {
      if (err instanceof RetriesExhausted || (err instanceof UploadSessionError && attempt >= opts.attempts)) {
        // the blob and its size, beside what failed: the one line a push gives up with
        throw new CnbError(
          `registry ${registry}: gave up uploading blob ${blob.digest} (${formatBytes(blob.size)}) to ${repo}: ${err.message.replace(`registry ${registry}: `, "")}`,
          { hint: "the tag was not moved; run the command again" },
        );
      }
      if (!(err instanceof UploadSessionError) || attempt >= opts.attempts) throw err;
      session.stats.retries++;
    }
  }
}

async function putBlobOnce(
  session: RegistrySession,
  repo: string,
  blob: BlobUpload,
  options: PutBlobOptions,
): Promise<PutBlobResult> {
  if (!options.justMade && (await hasBlob(session, repo, blob.digest, true))) {
    options.onProgress?.(blob.size, blob.size);
    return "exists";
  }
  let url = `/v2/${repo}/blobs/uploads/`;
  const extraScopes: string[] = [];
  if (options.mountFrom && options.mountFrom !== repo) {
    url += `?mount=${encodeURIComponent(blob.digest)}&from=${encodeURIComponent(options.mountFrom)}`;
    extraScopes.push(`repository:${options.mountFrom}:pull`);
  }
  const start = await session.request({
    method: "POST",
    url,
    repo,
    push: true,
    extraScopes,
    headers: { "content-length": "0" },
    ok: [201, 202],
    what: `start upload of ${blob.digest} to ${repo}`,
  });
  await start.body?.cancel();
  if (start.status === 201) {
    session.stats.mounts++;
    options.onProgress?.(blob.size, blob.size);
    return "mounted";
  }
  const location = sessionLocation(session, start, repo);
  const progress = (done: number) => options.onProgress?.(done, blob.size);
  session.stats.blobUploads++;
  if (blob.size <= session.opts.chunkSize) {
    const res = await session.request({
      method: "PUT",
      uploadSession: true,
      url: withDigest(location, blob.digest),
      repo,
      push: true,
      headers: { "content-type": "application/octet-stream", "content-length": String(blob.size) },
      body: async () => counted(await blob.open(0, blob.size), 0, progress),
      ok: [201],
      what: `upload of ${blob.digest} to ${repo}`,
    });
    await res.body?.cancel();
    return "uploaded";
  }
  await uploadChunks(session, repo, blob, location, progress);
  return "uploaded";
}

/**
 * A blob over the chunk size, as PATCHes of one chunk each (each retried alone by
 * `request`), then the PUT that commits it; each response may move the session's location.
 */
async function uploadChunks(
  session: RegistrySession,
  repo: string,
  blob: BlobUpload,
  start: string,
  progress: (done: number) => void,
): Promise<void> {
  const { chunkSize } = session.opts;
  let location = start;
  for (let offset = 0; offset < blob.size; offset += chunkSize) {
    const end = Math.min(blob.size, offset + chunkSize);
    const res = await session.request({
      method: "PATCH",
      uploadSession: true,
      url: location,
      repo,
      push: true,
      headers: {
        "content-type": "application/octet-stream",
        "content-length": String(end - offset),
        "content-range": `${offset}-${end - 1}`,
      },
      body: async () => counted(await blob.open(offset, end), offset, progress),
      ok: [202, 204],
      what: `upload of ${blob.digest} to ${repo} (bytes ${offset}-${end - 1})`,
    });
    await res.body?.cancel();
    location = sessionLocation(session, res, repo, location);
  }
  const done = await session.request({
    method: "PUT",
    uploadSession: true,
    url: withDigest(location, blob.digest),
    repo,
    push: true,
    headers: { "content-length": "0" },
    ok: [201],
    what: `finish upload of ${blob.digest} to ${repo}`,
  });
  await done.body?.cancel();
}

/** The upload session's URL an answer names (Location), else `previous`; none at all is an error. */
function sessionLocation(session: RegistrySession, res: HttpAnswer, repo: string, previous?: string): string {
  const loc = res.headers.get("location");
  if (!loc) {
    if (previous) return previous;
    throw new CnbError(`registry ${session.registry}: upload to ${repo} returned no Location`);
  }
  return new URL(loc, `${session.base}/`).toString();
}

function withDigest(location: string, digest: string): string {
  const u = new URL(location);
  u.searchParams.set("digest", digest);
  return u.toString();
}

/** `stream`, reporting the bytes sent so far (from `offset`) with every chunk. */
function counted(stream: Readable, offset: number, progress: (done: number) => void): Readable {
  let done = offset;
  const t = new Transform({
    transform(chunk: Buffer, _e, cb) {
      done += chunk.length;
      progress(done);
      cb(null, chunk);
    },
  });
  stream.on("error", (e) => t.destroy(e));
  return stream.pipe(t);
}

/**
 * One blob download from a registry that survives the network CI meets: a body that ends
 * early (a reset, a premature close, fewer bytes than Content-Length, no byte for the stall
 * timeout) is resumed from the byte where it stopped with `Range: bytes=N-`, as containers/image
 * (skopeo, podman) does. A registry that ignores Range answers 200 with the whole blob: its
 * first N bytes are read and dropped, so the consumer still sees one continuous stream. The
 * digest is checked over every byte the consumer got, at the end.
 *
 * The consumer reads a plain Readable and never sees a retry; what it sees on giving up is one
 * line naming the registry, repository, blob, size, how far it got and what was tried. The
 * body is streamed chunk by chunk (pulled as the consumer reads), so memory stays flat.
 */
import { createHash } from "node:crypto";
import { Readable } from "node:stream";
import { setTimeout as sleep } from "node:timers/promises";
import { CnbError } from "@cnbkit/framework";
import { formatBytes } from "../cache/index.js";
import type { Digest } from "./digest.js";
import { type BodyReader, bodyReader, type HttpAnswer, hasBody } from "./registry-http.js";
import { type StallWatch, formatWait } from "./registry-stall.js";

/** What {@link downloadBlob} needs from the client. */
export interface BlobDownload {
  registry: string;
  repo: string;
  digest: Digest;
  /** The blob's size, when a descriptor gave it (else taken from the registry's answer). */
  size?: number;
  /** Tries in a row that bring no new byte before giving up. */
  attempts: number;
  backoffMs: number;
  watch: StallWatch;
  /**
   * Sends the GET (with `Range: bytes=<offset>-` when offset > 0) and returns the answer once
   * its status is 200, 206, 404 or 416. Faults before an answer are retried there; when those
   * retries run out it throws a {@link RetriesExhausted}.
   */
  open(offset: number): Promise<HttpAnswer>;
  /** Called before each resume (for the client's retry counter). */
  onRetry(): void;
}

/** A request's retries ran out before any answer came: the problems seen, for the give-up line. */
export class RetriesExhausted extends CnbError {
  constructor(
    message: string,
    readonly problems: string[],
  ) {
    super(message);
  }
}

/**
 * Starts a download: the first request goes out now (a missing blob or an unreachable
 * registry throws here), the body streams as the returned Readable is read.
 *
 * @example
 * const stream = await downloadBlob({ registry, repo, digest, attempts: 5, backoffMs: 200, watch, open, onRetry });
 * await pipeline(stream, createWriteStream(tmp));
 */
export async function downloadBlob(d: BlobDownload): Promise<Readable> {
  const stream = Readable.from(await start(d), { objectMode: false, highWaterMark: 1 << 20 });
  // A small blob can fail before the caller listens; the error stays recorded on the stream
  // (pipeline and async iteration still see it).
  stream.on("error", () => {});
  return stream;
}

/**
 * A whole small blob (a config, a signature) as bytes, downloaded as {@link downloadBlob}
 * does it (resumed where a cut left it, verified), without a stream in between: a fleet scan
 * or rebase reads thousands of them.
 */
export async function downloadBlobBytes(d: BlobDownload): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of await start(d)) chunks.push(c);
  return Buffer.concat(chunks);
}

/** Sends the first request (a missing blob or an unreachable registry throws here); the body follows. */
async function start(d: BlobDownload): Promise<AsyncGenerator<Buffer>> {
  const state: DownloadState = { offset: 0, total: d.size, problems: [], resumes: 0, rangeIgnored: 0 };
  let first: HttpAnswer;
  try {
    first = await d.open(0);
  } catch (err) {
    throw err instanceof RetriesExhausted ? giveUp(d, state, err.problems) : err;
  }
  notFound(d, first);
  return body(d, state, first);
}

interface DownloadState {
  /** Bytes handed to the consumer. */
  offset: number;
  total: number | undefined;
  /** Every drop and refusal seen, in order ("connection cut", "HTTP 503", ...). */
  problems: string[];
  resumes: number;
  /** Answers of 200 to a Range request (the whole blob again). */
  rangeIgnored: number;
}

function notFound(d: BlobDownload, res: HttpAnswer): void {
  if (res.status === 404 || !hasBody(res)) {
    void res.body?.cancel().catch(() => {});
    throw new CnbError(`registry ${d.registry}: blob ${d.digest} not found in ${d.repo}`);
  }
}

/** The start of a `Content-Range: bytes S-E/T` header and its total (undefined when `*`). */
function contentRange(header: string | null): { start: number; total: number | undefined } | undefined {
  const m = /^bytes (\d+)-\d+\/(\d+|\*)$/.exec(header?.trim() ?? "");
  if (!m) return undefined;
  return { start: Number(m[1]), total: m[2] === "*" ? undefined : Number(m[2]) };
}

/** Why a body read failed, when it is a drop (else undefined: a bug or a disk, not the network). */
function dropReason(err: unknown, watch: StallWatch): string | undefined {
  if (watch.stalled) return `no bytes for ${formatWait(watch.ms)}`;
  let e: unknown = err;
  for (let i = 0; i < 4 && e; i++) {
    const code = (e as { code?: string }).code;
    if (code === "ECONNRESET" || code === "UND_ERR_SOCKET" || code === "EPIPE") return "connection reset";
    const msg = e instanceof Error ? e.message : "";
    if (/terminated|other side closed|socket|premature close|aborted/i.test(msg)) return "connection cut";
    e = (e as { cause?: unknown }).cause;
  }
  return undefined;
}

async function* body(d: BlobDownload, s: DownloadState, first: HttpAnswer): AsyncGenerator<Buffer> {
  const hash = createHash(d.digest.startsWith("sha512:") ? "sha512" : "sha256");
  let res: HttpAnswer | undefined = first;
  let reader: BodyReader | undefined;
  /** After a 416 or a Content-Range that does not start where asked: ask for the whole blob. */
  let noRange = false;
  let idle = 0; // tries in a row without a new byte
  try {
    for (;;) {
      const before = s.offset;
      if (!res) {
        try {
          res = await d.open(noRange ? 0 : s.offset);
        } catch (err) {
          throw err instanceof RetriesExhausted ? giveUp(d, s, [...s.problems, ...err.problems]) : err;
        }
        notFound(d, res);
      }
      const start = await answerStart(d, s, res);
      if (start === undefined) {
        noRange = true;
        res = undefined;
        continue;
      }
      let pos = start; // where in the blob the next byte of this answer is
      // notFound saw a body
      reader = bodyReader(res)!;
      let problem: string | undefined;
      try {
        for (;;) {
          d.watch.touch();
          const { value, done } = await reader.read();
          d.watch.pause();
          if (done) break;
          let chunk = Buffer.from(value.buffer, value.byteOffset, value.byteLength);
          // a registry that ignored Range sends the bytes the consumer has: drop them
          if (pos < s.offset) {
            const skip = Math.min(chunk.length, s.offset - pos);
            pos += skip;
            chunk = chunk.subarray(skip);
            if (chunk.length === 0) continue;
          }
          pos += chunk.length;
          s.offset += chunk.length;
          hash.update(chunk);
          yield chunk;
        }
        if (s.total === undefined || s.offset >= s.total) break;
        problem = `body ended at ${formatBytes(s.offset)}`;
      } catch (err) {
        d.watch.pause();
        problem = dropReason(err, d.watch);
        if (!problem) throw err;
      }
      await reader.cancel().catch(() => {});
      reader = undefined;
      res = undefined;
      s.problems.push(problem);
      idle = s.offset > before ? 1 : idle + 1;
      s.resumes++;
      // Bounded: `attempts` tries in a row with no new byte, and 4× that many resumes in all.
      if (idle >= d.attempts || s.resumes > 4 * d.attempts) throw giveUp(d, s, s.problems);
      d.onRetry();
      await sleep(Math.min(d.backoffMs * 2 ** (idle - 1), 10_000));
    }
    verifyWhole(d, s, hash.digest("hex"));
  } finally {
    d.watch.pause();
    // the consumer stopped early or something failed: let the connection go
    await reader?.cancel().catch(() => {});
    if (res && !reader) await res.body?.cancel().catch(() => {});
  }
}

/**
 * Where in the blob an answer starts: 0 for a 200 (a registry that ignored Range sends it all
 * again), the offset asked for on a 206; undefined when Range failed (416, or a range that
 * does not start where asked): ask again without it. Throws when the answer's size for the
 * whole blob is not the one expected (other bytes under that digest; retrying cannot help).
 */
async function answerStart(d: BlobDownload, s: DownloadState, res: HttpAnswer): Promise<number | undefined> {
  const range = contentRange(res.headers.get("content-range"));
  if (res.status === 416 || (res.status === 206 && range?.start !== s.offset)) {
    await res.body?.cancel().catch(() => {});
    s.problems.push(res.status === 416 ? "HTTP 416" : "a range that did not start where asked");
    return undefined;
  }
  let whole: number | undefined;
  if (res.status === 206) {
    whole = range?.total;
  } else {
    if (s.offset > 0) s.rangeIgnored++;
    const length = Number(res.headers.get("content-length") ?? Number.NaN);
    if (!res.headers.get("content-encoding") && Number.isInteger(length)) whole = length;
  }
  if (whole !== undefined && s.total !== undefined && whole !== s.total) {
    await res.body?.cancel().catch(() => {});
    throw new CnbError(
      `registry ${d.registry}: blob ${d.digest} of ${d.repo} is ${whole} bytes there, expected ${s.total}`,
    );
  }
  s.total ??= whole;
  return res.status === 206 ? s.offset : 0;
}

/** The end of a download: the digest over every byte handed on, and the size. */
function verifyWhole(d: BlobDownload, s: DownloadState, hex: string): void {
  const actual = `${d.digest.slice(0, d.digest.indexOf(":") + 1)}${hex}`;
  if (actual !== d.digest) {
    throw new CnbError(
      `registry ${d.registry}: blob ${d.digest} of ${d.repo} has content with digest ${actual}${
        s.resumes ? ` (after ${s.resumes} resumed downloads)` : ""
      }`,
    );
  }
  if (s.total !== undefined && s.offset !== s.total) {
    throw new CnbError(
      `registry ${d.registry}: blob ${d.digest} of ${d.repo} sent ${s.offset} bytes, expected ${s.total}`,
    );
  }
}

/** The give-up line: registry, repository, blob, size, how far it got, what was tried. */
function giveUp(d: BlobDownload, s: DownloadState, problems: string[]): CnbError {
  const size = s.total ?? d.size;
  const resumed = s.resumes
    ? `; resumed ${s.resumes} time${s.resumes > 1 ? "s" : ""} with Range requests${
        s.rangeIgnored ? ` (the registry ignored Range ${s.rangeIgnored}×: restarted from byte 0)` : ""
      }`
    : "";
  return new CnbError(
    `registry ${d.registry}: gave up downloading blob ${d.digest} (${size === undefined ? "size unknown" : formatBytes(size)}) of ${
      d.repo
    } at ${formatBytes(s.offset)}${size ? ` (${Math.floor((100 * s.offset) / size)}%)` : ""} after ${problems.length} failed tries (${summarizeProblems(
      problems,
    )})${resumed}`,
    {
      hint: "nothing partial was kept; run the command again (CNBKIT_REGISTRY_STALL_TIMEOUT sets how long a silent download is waited for)",
    },
  );
}

/** Problems seen, counted, in the order first seen: "connection reset ×2, HTTP 503". */
export function summarizeProblems(problems: string[]): string {
  const counts = new Map<string, number>();
  for (const p of problems) counts.set(p, (counts.get(p) ?? 0) + 1);
  return [...counts].map(([p, n]) => (n > 1 ? `${p} ×${n}` : p)).join(", ") || "no answer";
}

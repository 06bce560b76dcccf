/**
 * One dependency fetched over HTTP(S) into a temp file through sha256, retrying network
 * errors, 5xx, 429 and stalled or short bodies with exponential back-off (or the server's
 * Retry-After); other 4xx and TLS certificate errors (tls-trust.ts) fail at once with a hint. download.ts verifies and places the file.
 */
import { createHash } from "node:crypto";
import { createWriteStream } from "node:fs";
import { rm } from "node:fs/promises";
import { Readable, Transform, type TransformCallback } from "node:stream";
import { pipeline } from "node:stream/promises";
import { CnbError, isCnbError } from "../errors/index.js";
import { formatBytes } from "../log/index.js";
import type { DownloadLog, DownloadOptions } from "./download-options.js";
import { redactUri } from "./mirrors.js";
import { envProxyFetch } from "./proxy-fetch.js";
import { tlsCertCode, tlsTrustError } from "./tls-trust.js";

/** A failure worth another attempt (network error, 5xx, 429, stalled body). */
class RetryableError extends Error {
  constructor(
    message: string,
    readonly retryAfterMs?: number,
  ) {
    super(message);
  }
}

/** A pass-through stream that feeds `h` (and counts bytes for `onBytes`). */
export function hashing(h: ReturnType<typeof createHash>, onBytes?: (n: number) => void): Transform {
  return new Transform({
    transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback) {
      h.update(chunk);
      onBytes?.(chunk.length);
      cb(null, chunk);
    },
  });
}

function parseRetryAfter(value: string | null): number | undefined {
  if (!value) return undefined;
  if (/^\d+$/.test(value.trim())) return Number(value.trim()) * 1000;
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max(0, at - Date.now());
}

/** A short description of a fetch failure: the system error code when there is one. */
function networkReason(err: unknown): string {
  let e: unknown = err;
  for (let i = 0; i < 4 && e; i++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === "string" && !code.startsWith("UND_ERR_") && code !== "ABORT_ERR") return code;
    if (code === "UND_ERR_SOCKET") return "connection reset";
    e = (e as { cause?: unknown }).cause;
  }
  const msg = err instanceof Error ? err.message : String(err);
  return msg === "fetch failed" ? "network error" : msg;
}

/** The retry, timeout and progress settings of one download, with their defaults applied. */
interface FetchPolicy {
  fetch: typeof fetch;
  sleep: (ms: number) => Promise<void>;
  retries: number;
  minBackoffMs: number;
  maxBackoffMs: number;
  idleTimeoutMs: number;
  progressIntervalMs: number;
  log: DownloadLog | undefined;
}

function fetchPolicy(opts: DownloadOptions): FetchPolicy {
  return {
    fetch: opts.fetch ?? envProxyFetch({ ...process.env, ...opts.env }),
    sleep: opts.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms))),
    retries: opts.retries ?? 4,
    minBackoffMs: opts.minBackoffMs ?? 1000,
    maxBackoffMs: opts.maxBackoffMs ?? 30_000,
    idleTimeoutMs: opts.idleTimeoutMs ?? 60_000,
    progressIntervalMs: opts.progressIntervalMs ?? (process.stdout.isTTY ? 2000 : 10_000),
    log: opts.log,
  };
}

/** One download over HTTP(S) into `tmp`: what the attempts share. */
interface FetchJob {
  uri: string;
  /** `uri` without credentials, for messages. */
  shown: string;
  host: string;
  tmp: string;
  label: string;
  /** Whether `uri` is a mirror's (changes the hints). */
  mirrored: boolean;
}

/**
 * Downloads `uri` into `tmp` and returns its sha256, retrying network errors, 5xx, 429 and
 * stalled or short bodies with exponential back-off (or the server's Retry-After).
 */
export async function fetchWithRetries(
  uri: string,
  tmp: string,
  label: string,
  opts: DownloadOptions,
  mirrored: boolean,
): Promise<string> {
  const policy = fetchPolicy(opts);
  const job: FetchJob = { uri, shown: redactUri(uri), host: new URL(uri).host, tmp, label, mirrored };
  let last: RetryableError | undefined;
  for (let attempt = 0; attempt <= policy.retries; attempt++) {
    if (attempt > 0 && last) {
      const delay = Math.min(last.retryAfterMs ?? policy.minBackoffMs * 2 ** (attempt - 1), policy.maxBackoffMs);
      policy.log?.warn(
        `${label}: ${last.message}; retrying in ${delay}ms (attempt ${attempt + 1} of ${policy.retries + 1})`,
      );
      await policy.sleep(delay);
    }
    try {
      return await fetchOnce(job, policy);
    } catch (err) {
      if (!(err instanceof RetryableError)) throw err;
      last = err;
      await rm(tmp, { force: true });
    }
  }
  throw retriesExhausted(job, policy.retries + 1, last);
}

/** One attempt: request, check the status, stream the body; aborts when no data arrives for the idle timeout. */
async function fetchOnce(job: FetchJob, policy: FetchPolicy): Promise<string> {
  const abort = new AbortController();
  let idle: NodeJS.Timeout | undefined;
  const arm = () => {
    clearTimeout(idle);
    idle = setTimeout(
      () => abort.abort(new RetryableError(`no data from ${job.host} for ${policy.idleTimeoutMs}ms`)),
      policy.idleTimeoutMs,
    );
  };
  try {
    arm();
    let res: Response;
    try {
      res = await policy.fetch(job.uri, { signal: abort.signal, headers: { "user-agent": "cnbkit" } });
    } catch (err) {
      if (abort.signal.aborted) throw abort.signal.reason;
      // An unreachable proxy is a setting to fix, said in one line, not a network blip to retry.
      if (isCnbError(err)) throw err;
      // Neither does a certificate the build does not trust: every retry fails the same way.
      const cert = tlsCertCode(err);
      if (cert) throw tlsTrustError(job.label, job.host, job.shown, cert, err);
      throw new RetryableError(`cannot reach ${job.host} (${networkReason(err)})`);
    }
    const body = await checkResponse(job, res);
    return await receiveBody(job, policy, res, body, abort.signal, arm);
  } finally {
    clearTimeout(idle);
  }
}

/** The response body when the status is a success; a RetryableError for 429 and 5xx, a CnbError with a hint otherwise. */
async function checkResponse(job: FetchJob, res: Response): Promise<ReadableStream<Uint8Array>> {
  if (res.ok && res.body) return res.body;
  await res.body?.cancel().catch(() => {});
  if (res.status === 429 || res.status >= 500) {
    throw new RetryableError(
      `${job.shown} returned ${res.status} ${res.statusText}`.trimEnd(),
      parseRetryAfter(res.headers.get("retry-after")),
    );
  }
  throw new CnbError(`${job.label}: ${job.shown} returned ${res.status} ${res.statusText}`.trimEnd(), {
    hint:
      res.status === 404
        ? job.mirrored
          ? "The mirror does not have this file; copy it there or fix the mirror's path layout."
          : "Check the uri in buildpack.toml; offline, set BP_DEPENDENCY_MIRROR or add a dependency-mapping binding."
        : res.status === 401 || res.status === 403
          ? "The server refused access; a mirror needing credentials can carry them in a dependency-mirror binding."
          : undefined,
  });
}

/** Streams `body` through sha256 into `job.tmp`, reporting progress; returns the sha256. */
async function receiveBody(
  job: FetchJob,
  policy: FetchPolicy,
  res: Response,
  body: ReadableStream<Uint8Array>,
  signal: AbortSignal,
  onData: () => void,
): Promise<string> {
  const total = Number(res.headers.get("content-length") ?? "") || undefined;
  let received = 0;
  let lastReport = Date.now();
  const h = createHash("sha256");
  const onBytes = (n: number) => {
    onData();
    received += n;
    const now = Date.now();
    if (policy.log && now - lastReport >= policy.progressIntervalMs) {
      lastReport = now;
      policy.log.detail(
        total
          ? `${Math.floor((received / total) * 100)}% (${formatBytes(received)} of ${formatBytes(total)})`
          : `${formatBytes(received)}`,
      );
    }
  };
  try {
    await pipeline(
      Readable.fromWeb(body as import("node:stream/web").ReadableStream<Uint8Array>),
      hashing(h, onBytes),
      createWriteStream(job.tmp, { mode: 0o644 }),
    );
  } catch (err) {
    if (signal.aborted && signal.reason instanceof RetryableError) throw signal.reason;
    throw new RetryableError(
      `download from ${job.host} broke off after ${formatBytes(received)} (${networkReason(err)})`,
    );
  }
  if (total !== undefined && received !== total) {
    throw new RetryableError(`download from ${job.host} ended after ${received} of ${total} bytes`);
  }
  policy.log?.detail(`Downloaded ${formatBytes(received)}`);
  return h.digest("hex");
}

/** The one-line error after the last attempt failed. */
function retriesExhausted(job: FetchJob, attempts: number, last: RetryableError | undefined): CnbError {
  const msg = last?.message ?? "failed";
  return new CnbError(
    `${job.label}: ${msg.startsWith(job.shown) ? msg : `${msg} while downloading ${job.shown}`} (${attempts} attempts)`,
    {
      hint: job.mirrored
        ? "Check that the mirror is up and reachable from the build."
        : "Check the network from the build; behind a firewall, set BP_DEPENDENCY_MIRROR or add a dependency-mapping binding.",
    },
  );
}

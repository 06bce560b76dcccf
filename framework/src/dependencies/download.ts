/**
 * Verified downloads of inventory dependencies.
 *
 * The body streams through sha256 into a temp file in the destination directory; the file
 * is renamed to its final name only once the checksum matches, so a failed or interrupted
 * download leaves nothing behind. Network errors, 5xx and 429 are retried with exponential
 * back-off (Retry-After is honoured, up to a cap); other 4xx fail at once. `file://` URIs
 * (offline buildpackages) go through the same verification. dependency-mapping bindings and
 * mirrors (see mirrors.ts) decide the URI, and `cacheDir` keeps verified files by sha256.
 *
 * @example
 * const file = await download(dep, layer.path, { env: process.env, bindings, log, cacheDir });
 */
import { createHash, randomBytes } from "node:crypto";
import { createReadStream, createWriteStream } from "node:fs";
import { copyFile, mkdir, rename, rm } from "node:fs/promises";
import { basename, join } from "node:path";
import { Readable, Transform, type TransformCallback } from "node:stream";
import { pipeline } from "node:stream/promises";
import { fileURLToPath } from "node:url";
import type { Binding } from "../environment/index.js";
import { CnbError, isCnbError } from "../errors/index.js";
import { redactUri, resolveUri } from "./mirrors.js";
import { fetchLine } from "./fetch-line.js";
import { envProxyFetch } from "./proxy-fetch.js";
import { isFile } from "../fs/index.js";
import { formatBytes } from "../log/index.js";

/** The logger methods downloads use (a {@link import("../log/index.js").Logger} fits). */
export interface DownloadLog {
  detail(text: string): void;
  warn(text: string): void;
  debug?(text: string): void;
}

/** Options for {@link download}. */
export interface DownloadOptions {
  /** The build's environment: BP_DEPENDENCY_MIRROR* are read from here. */
  env: Record<string, string | undefined>;
  /** Platform bindings: `dependency-mapping` and `dependency-mirror` are used. */
  bindings?: readonly Binding[];
  /** A directory of verified downloads keyed by sha256 (e.g. a cache layer). */
  cacheDir?: string;
  log?: DownloadLog;
  /** Retries after the first attempt (default 4). */
  retries?: number;
  /** First back-off delay; doubles each retry (default 1000 ms). */
  minBackoffMs?: number;
  /** Longest wait honoured from Retry-After or back-off (default 30 s). */
  maxBackoffMs?: number;
  /** Abort and retry an attempt when no bytes arrive for this long (default 60 s). */
  idleTimeoutMs?: number;
  /** Minimum time between progress lines (default 2 s on a terminal, 10 s otherwise). */
  progressIntervalMs?: number;
  /** The file name inside destDir (default: the last segment of the original URI's path). */
  fileName?: string;
  /**
   * A `file://` source (an offline buildpackage's own copy) is verified where it is and its
   * path returned, instead of being copied into `destDir`: for a caller that only reads it.
   */
  inPlace?: boolean;
  /** Injected for tests; defaults to the global fetch through HTTP(S)_PROXY when set ({@link envProxyFetch}). */
  fetch?: typeof fetch;
  /** Injected for tests; defaults to setTimeout. */
  sleep?: (ms: number) => Promise<void>;
}

/** What {@link download} needs to know about an artifact. */
export interface DownloadTarget {
  id?: string;
  version?: string;
  uri: string;
  sha256: string;
}

const HEX64 = /^[0-9a-f]{64}$/;

/** A failure worth another attempt (network error, 5xx, 429, stalled body). */
class RetryableError extends Error {
  constructor(
    message: string,
    readonly retryAfterMs?: number,
  ) {
    super(message);
  }
}

/**
 * Downloads `dep` into `destDir` and returns the verified file's path.
 *
 * @throws CnbError one line naming the dependency and URI: checksum mismatch, 404 and other
 * 4xx, unreachable host, retries exhausted, missing file:// source.
 */
export async function download(dep: DownloadTarget, destDir: string, opts: DownloadOptions): Promise<string> {
  const label = [dep.id, dep.version].filter(Boolean).join(" ") || basename(safePath(dep.uri)) || dep.uri;
  const sha256 = dep.sha256.toLowerCase();
  if (!HEX64.test(sha256)) {
    throw new CnbError(`${label}: sha256 "${dep.sha256}" is not a 64-character hex sha256`);
  }
  const name = sanitizeName(opts.fileName ?? (basename(safePath(dep.uri)) || sha256));
  const dest = join(destDir, name);
  await mkdir(destDir, { recursive: true });

  if (opts.cacheDir) {
    const cached = join(opts.cacheDir, sha256);
    if (await isFile(cached)) {
      if ((await hashFile(cached)) === sha256) {
        opts.log?.detail(`Reusing cached download of ${label} (sha256 ${sha256.slice(0, 12)})`);
        await copyAtomic(cached, dest);
        return dest;
      }
      opts.log?.warn(`cached download ${cached} does not match its sha256; downloading again`);
      await rm(cached, { force: true });
    }
  }

  const resolved = await resolveUri({ uri: dep.uri, sha256 }, opts.env, opts.bindings ?? []);
  const shown = redactUri(resolved.uri);
  const via = resolved.via === "original" ? "" : ` (${resolved.via} from ${resolved.source})`;
  opts.log?.detail(fetchLine(label, resolved.uri, shown, via));

  if (opts.inPlace && resolved.uri.startsWith("file:")) {
    const path = fileURLToPath(resolved.uri);
    if (!(await isFile(path))) {
      throw new CnbError(`${label}: ${path} does not exist (from ${resolved.uri})`, {
        hint: "An offline buildpackage must carry the dependency at this path.",
      });
    }
    const got = await hashFile(path);
    if (got !== sha256) {
      throw new CnbError(`${label}: sha256 mismatch for ${shown}: expected ${sha256}, got ${got}`, {
        hint: "The buildpack's copy of the dependency is damaged; package the buildpack again.",
      });
    }
    opts.log?.debug?.(`verified sha256 ${sha256} for ${path} (in place)`);
    return path;
  }

  const tmp = join(destDir, `.${name}.part-${randomBytes(6).toString("hex")}`);
  try {
    const got = resolved.uri.startsWith("file:")
      ? await copyVerified(resolved.uri, tmp, label)
      : await fetchWithRetries(resolved.uri, tmp, label, opts, resolved.via !== "original");
    if (got !== sha256) {
      throw new CnbError(`${label}: sha256 mismatch for ${shown}: expected ${sha256}, got ${got}`, {
        hint:
          resolved.via === "original"
            ? "The file changed upstream or was corrupted in transit; check the sha256 in buildpack.toml."
            : `The ${resolved.via} (${resolved.source}) serves a different file than buildpack.toml describes.`,
      });
    }
    await rename(tmp, dest);
  } catch (err) {
    await rm(tmp, { force: true });
    throw err;
  }
  opts.log?.debug?.(`verified sha256 ${sha256} for ${dest}`);
  if (opts.cacheDir) {
    try {
      await mkdir(opts.cacheDir, { recursive: true });
      await copyAtomic(dest, join(opts.cacheDir, sha256));
    } catch (err) {
      opts.log?.warn(`could not cache ${label} in ${opts.cacheDir}: ${(err as Error).message}`);
    }
  }
  return dest;
}

function safePath(uri: string): string {
  try {
    return decodeURIComponent(new URL(uri).pathname);
  } catch {
    return uri;
  }
}

function sanitizeName(name: string): string {
  const clean = name.replace(/[/\\\0]/g, "_");
  return clean === "." || clean === ".." || clean === "" ? "download" : clean;
}

async function hashFile(path: string): Promise<string> {
  const h = createHash("sha256");
  await pipeline(createReadStream(path), async (source: AsyncIterable<Buffer>) => {
    for await (const chunk of source) h.update(chunk);
  });
  return h.digest("hex");
}

async function copyAtomic(from: string, to: string): Promise<void> {
  const tmp = `${to}.part-${randomBytes(6).toString("hex")}`;
  try {
    await copyFile(from, tmp);
    await rename(tmp, to);
  } catch (err) {
    await rm(tmp, { force: true });
    throw err;
  }
}

/** Streams a file:// source into `tmp`, returning its sha256. */
async function copyVerified(uri: string, tmp: string, label: string): Promise<string> {
  const path = fileURLToPath(uri);
  if (!(await isFile(path))) {
    throw new CnbError(`${label}: ${path} does not exist (from ${uri})`, {
      hint: "An offline buildpackage must carry the dependency at this path.",
    });
  }
  const h = createHash("sha256");
  await pipeline(createReadStream(path), hashing(h), createWriteStream(tmp, { mode: 0o644 }));
  return h.digest("hex");
}

function hashing(h: ReturnType<typeof createHash>, onBytes?: (n: number) => void): Transform {
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
async function fetchWithRetries(
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

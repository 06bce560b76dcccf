/**
 * One request to a registry as a `RegistryClient` makes it: authenticated (registry-auth.ts),
 * retried within bounds on 5xx, 429 and dropped or stalled connections (registry-retry.ts,
 * registry-stall.ts), on HTTPS or, for a loopback registry that does not speak TLS, plain HTTP.
 * The blob, manifest and listing calls are built on {@link RegistrySession.request} and
 * {@link RegistrySession.requestBytes}.
 */
import { Readable, Transform } from "node:stream";
import { setTimeout as sleep } from "node:timers/promises";
import { CnbError, isCnbError } from "@cnbkit/framework";
import type { Credentials } from "./auth.js";
import { RetriesExhausted, summarizeProblems } from "./blob-download.js";
import type { Digest } from "./digest.js";
import { apiHost, isLoopbackHost } from "./reference.js";
import { authScope, RegistryAuth } from "./registry-auth.js";
import { type HttpAnswer, type HttpSend, readAll, registryHttp } from "./registry-http.js";
import {
  backoffDelay,
  errorMessage,
  FATAL_NET,
  netCode,
  RETRYABLE_NET,
  registryError,
  retryAfterMs,
} from "./registry-retry.js";
import { formatWait, registryStallTimeoutMs, StallWatch } from "./registry-stall.js";
import { isPlainHttpServer, untrustedCertificate } from "./registry-tls.js";

/** Options of a `RegistryClient`. */
export interface RegistryOptions {
  /** Use plain HTTP for a non-loopback registry. */
  insecure?: boolean;
  /** Credentials to use instead of the Docker config's. */
  credentials?: Credentials;
  /** Attempts per request on 5xx/429/connection reset (default 5). */
  attempts?: number;
  /** First back-off delay in ms; doubles each retry (default 200). */
  backoffMs?: number;
  /** Blobs larger than this are uploaded in chunks of this size (default 32 MiB). */
  chunkSize?: number;
  /**
   * A request or download that moves no byte for this long counts as dropped and is retried
   * or resumed (default: `CNBKIT_REGISTRY_STALL_TIMEOUT`, else 60 s; 0: wait forever).
   */
  stallTimeoutMs?: number;
  /**
   * Connections to a host at most (default: unbounded). A caller that bounds its requests in
   * flight (a fleet scan) passes that bound: the pool then never opens more than it uses.
   */
  maxSockets?: number;
}

/** Request counters, for progress lines and for tests that prove a push re-uploaded nothing. */
export interface RegistryStats {
  requests: number;
  retries: number;
  blobHeads: number;
  blobUploads: number;
  mounts: number;
}

/** One request of {@link RegistrySession.request}. */
export interface RequestOptions {
  method: string;
  /** Path under the registry (`/v2/...`) or an absolute URL (upload locations). */
  url: string;
  repo?: string;
  push?: boolean;
  /** Extra pull scopes (mount sources). */
  extraScopes?: string[];
  headers?: Record<string, string>;
  body?: () => Promise<Readable | Buffer | undefined> | Readable | Buffer | undefined;
  /** Statuses to return instead of throwing. */
  ok: number[];
  /** A request on an upload session (PATCH/PUT to a Location): a 4xx after a retry restarts the blob. */
  uploadSession?: boolean;
  what: string;
  /**
   * The stall timer of a caller that reads the body itself (it keeps running after the answer,
   * the caller pauses it); without one the timer covers the request until its answer.
   */
  watch?: StallWatch;
}

const NO_HEADERS: Record<string, string> = Object.freeze({}) as Record<string, string>;

/** An upload session went stale after a lost response; `RegistryClient.putBlob` starts over. */
export class UploadSessionError extends CnbError {}

/** The connection, auth, retries and counters of one registry host, shared by all its calls. */
export class RegistrySession {
  /** The registry as named in references (`docker.io`, `127.0.0.1:5000`). */
  readonly registry: string;
  /** Base URL of the API (`https://registry.corp`, `http://127.0.0.1:5000`). */
  base: string;
  /** Counters since construction. */
  readonly stats: RegistryStats = { requests: 0, retries: 0, blobHeads: 0, blobUploads: 0, mounts: 0 };
  readonly opts: Required<Omit<RegistryOptions, "credentials" | "insecure" | "maxSockets">> & RegistryOptions;
  /** A loopback registry's HTTPS base until it answers on it: it may speak plain HTTP. */
  private httpsUntilAnswered: string | undefined;
  private readonly auth: RegistryAuth;
  /**
   * A repository known to hold each blob (seen in a manifest, HEAD, upload or mount), so a
   * push to another repository of this registry mounts it instead of uploading it again.
   */
  private readonly blobHomes = new Map<string, string>();
  /** Keep-alive node:http, or through HTTP_PROXY/HTTPS_PROXY unless NO_PROXY names the host. */
  private readonly send: HttpSend;

  constructor(registry: string, options: RegistryOptions = {}) {
    this.registry = registry;
    this.base = `${options.insecure ? "http" : "https"}://${apiHost(registry)}`;
    if (!options.insecure && isLoopbackHost(registry)) this.httpsUntilAnswered = this.base;
    this.opts = {
      attempts: 5,
      backoffMs: 200,
      chunkSize: 32 * 1024 * 1024,
      ...options,
      stallTimeoutMs: options.stallTimeoutMs ?? registryStallTimeoutMs(),
    };
    this.send = registryHttp(options.maxSockets !== undefined ? { maxSockets: options.maxSockets } : {});
    this.auth = new RegistryAuth(registry, this.send, this.opts, options.credentials);
  }

  /** Records that `repo` holds `digest`: a later push of it to another repository mounts it. */
  noteBlob(repo: string, digest: Digest): void {
    this.blobHomes.set(digest, repo);
  }

  /** A repository of this registry known to hold `digest`, if any. */
  blobHome(digest: Digest): string | undefined {
    return this.blobHomes.get(digest);
  }

  /**
   * A request that got no answer: what to record before retrying it, or undefined when the
   * registry turned out to speak plain HTTP (retry at once); throws when retrying is useless.
   */
  private failedSend(err: unknown, url: string, watch: StallWatch): string | undefined {
    if (watch.stalled) return `no answer for ${formatWait(watch.ms)}`;
    if (isCnbError(err)) throw err; // the proxy, named by envProxyFetch
    // Also a request that went out on HTTPS beside the one that found plain HTTP.
    if (this.httpsUntilAnswered && url.startsWith(this.httpsUntilAnswered) && isPlainHttpServer(err)) {
      this.base = this.httpsUntilAnswered.replace(/^https:/, "http:");
      return undefined;
    }
    const untrusted = untrustedCertificate(this.registry, err);
    if (untrusted) throw untrusted;
    const code = netCode(err) ?? "";
    if (FATAL_NET[code]) throw new CnbError(`cannot reach registry ${this.registry}: ${FATAL_NET[code]}`);
    const message = errorMessage(err);
    if (!RETRYABLE_NET.has(code) && !/other side closed|terminated|socket/i.test(message)) {
      throw new CnbError(`cannot reach registry ${this.registry}: ${message}`, {
        hint: this.base.startsWith("https") ? "for a plain-HTTP registry, pass insecure" : undefined,
      });
    }
    const reset = ["ECONNRESET", "EPIPE", "UND_ERR_SOCKET", "UND_ERR_CLOSED"].includes(code);
    return reset || /other side closed|socket/i.test(message) ? "connection reset" : code || message;
  }

  /** One request with auth and bounded retries; returns a response whose status is in `ok`. */
  async request(o: RequestOptions): Promise<HttpAnswer> {
    // the scope's key is built only for a registry that asks for auth
    const scopeKey = () => authScope(o.repo, o.push ?? false, o.extraScopes);
    let authTried = false;
    let auth = this.auth.challenge ? await this.auth.authorize(scopeKey(), o.repo) : undefined;
    const problems: string[] = [];
    let retried = false;
    const watch = o.watch ?? new StallWatch(this.opts.stallTimeoutMs);
    for (let attempt = 1; attempt <= this.opts.attempts; ) {
      const url = o.url.startsWith("http") ? o.url : `${this.base}${o.url}`;
      // send copies the headers into the request's own: the caller's object is passed as it is
      const headers = auth ? { ...o.headers, authorization: auth } : (o.headers ?? NO_HEADERS);
      watch.arm();
      const opened = o.body ? await o.body() : undefined;
      // an upload moving bytes is not stalled: the clock restarts with every chunk sent
      const body = opened instanceof Readable ? touching(opened, watch) : opened;
      this.stats.requests++;
      let res: HttpAnswer;
      try {
        res = await this.send(url, { method: o.method, headers, ...(body ? { body } : {}), stall: watch });
      } catch (err) {
        watch.pause();
        if (body instanceof Readable) body.destroy();
        const problem = this.failedSend(err, url, watch);
        if (problem === undefined) continue; // plain HTTP found: not an attempt
        // A chunk cut on its way leaves the session at an offset we do not know (the registry
        // then refuses the same PATCH, a large one by closing the connection): after a second
        // drop on the session, start the blob over.
        if (o.uploadSession && retried) {
          throw new UploadSessionError(
            `registry ${this.registry}: ${o.what} failed (${problems.concat(problem).join(", ")})`,
          );
        }
        problems.push(problem);
        retried = true;
        await this.backoff(attempt++);
        continue;
      }
      if (!o.watch) watch.pause();
      if (this.httpsUntilAnswered && url.startsWith(this.httpsUntilAnswered)) this.httpsUntilAnswered = undefined;
      if (res.status === 401) {
        await res.body?.cancel();
        if (authTried) throw await this.auth.refusal(o.repo);
        auth = await this.auth.challenged(res.headers.get("www-authenticate"), auth, scopeKey(), o.repo);
        authTried = true;
        continue;
      }
      if (res.status === 403) {
        const reason = registryError((await res.text().catch(() => "")).slice(0, 300)).slice(2, -1);
        throw await this.auth.refusal(o.repo, reason);
      }
      if (o.ok.includes(res.status)) return res;
      if (res.status >= 500 || res.status === 429) {
        retried = true;
        const wait = retryAfterMs(res.headers.get("retry-after"));
        await res.body?.cancel().catch(() => {});
        problems.push(`HTTP ${res.status}`);
        await this.backoff(attempt++, wait);
        continue;
      }
      throw await this.refusedRequest(o, res, retried || attempt > 1);
    }
    watch.pause();
    throw new RetriesExhausted(
      `registry ${this.registry}: ${o.what} failed after ${this.opts.attempts} attempts (${summarizeProblems(problems)})`,
      problems,
    );
  }

  /** The error of a request the registry answered with a status no retry changes. */
  private async refusedRequest(o: RequestOptions, res: HttpAnswer, retried: boolean): Promise<CnbError> {
    const text = (await res.text().catch(() => "")).slice(0, 300);
    const message = `registry ${this.registry}: ${o.what} failed: HTTP ${res.status}${registryError(text)}`;
    if (o.uploadSession && [400, 404, 416].includes(res.status) && retried) return new UploadSessionError(message);
    return new CnbError(message);
  }

  /**
   * A request whose whole (small) body is read too: a drop while reading it is retried like a
   * drop before the answer, within the same bounded attempts.
   */
  async requestBytes(o: RequestOptions): Promise<{ res: HttpAnswer; bytes: Buffer }> {
    const problems: string[] = [];
    for (let attempt = 1; ; attempt++) {
      const watch = new StallWatch(this.opts.stallTimeoutMs);
      const res = await this.request({ ...o, watch });
      try {
        const bytes = await readAll(res, () => watch.touch());
        watch.pause();
        return { res, bytes };
      } catch (err) {
        watch.pause();
        await res.body?.cancel().catch(() => {});
        const problem = watch.stalled ? `no bytes for ${formatWait(watch.ms)}` : "connection cut";
        if (!watch.stalled && !/terminated|other side closed|socket|aborted/i.test(errorMessage(err))) throw err;
        problems.push(problem);
        if (attempt >= this.opts.attempts) {
          throw new RetriesExhausted(
            `registry ${this.registry}: ${o.what} failed after ${attempt} attempts (${summarizeProblems(problems)})`,
            problems,
          );
        }
        await this.backoff(attempt);
      }
    }
  }

  /** Waits before retry `attempt` (nothing after the last), counting it in {@link stats}. */
  async backoff(attempt: number, retryAfter?: number): Promise<void> {
    if (attempt >= this.opts.attempts) return;
    this.stats.retries++;
    await sleep(backoffDelay(attempt, this.opts.backoffMs, retryAfter));
  }
}

/** `stream`, touching `watch` with every chunk that goes out. */
function touching(stream: Readable, watch: StallWatch): Readable {
  const t = new Transform({
    transform(chunk: Buffer, _e, cb) {
      watch.touch();
      cb(null, chunk);
    },
  });
  stream.on("error", (e) => t.destroy(e));
  return stream.pipe(t);
}

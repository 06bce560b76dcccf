/**
 * A client for the OCI distribution API (registry v2), on node:http with a keep-alive pool
 * (registry-http.ts; through the proxy-aware fetch where HTTP(S)_PROXY applies).
 *
 * It handles anonymous, basic and bearer-token auth (tokens cached per scope), retries with
 * back-off on 5xx, 429 and dropped connections (bounded), checks blobs with HEAD before
 * uploading, uploads monolithically or in chunks streamed from disk, mounts blobs across
 * repositories, and verifies the digest of everything it pulls. Registries use HTTPS unless
 * `insecure` is set; loopback ones fall back to plain HTTP when they do not speak TLS
 * (registry-tls.ts).
 */
import { createReadStream } from "node:fs";
import { Readable, Transform } from "node:stream";
import { setTimeout as sleep } from "node:timers/promises";
import { CnbError, isCnbError } from "@cnbkit/framework";
import { formatBytes } from "../cache/index.js";
import { basicAuth, type Credentials, loadCredentials, parseChallenge } from "./auth.js";
import {
  type BlobDownload,
  downloadBlob,
  downloadBlobBytes,
  RetriesExhausted,
  summarizeProblems,
} from "./blob-download.js";
import { type Digest, isDigest, sha256 } from "./digest.js";
import { type ImageIndex, MANIFEST_ACCEPT, MEDIA_TYPES, type ParsedManifest, parseManifest } from "./image.js";
import { apiHost, isLoopbackHost } from "./reference.js";
import { formatWait, registryStallTimeoutMs, StallWatch } from "./registry-stall.js";
import { type HttpAnswer, type HttpSend, readAll, registryHttp } from "./registry-http.js";
import { isPlainHttpServer, untrustedCertificate } from "./registry-tls.js";

/** Options of a {@link RegistryClient}. */
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

/** Request counters, for progress lines and for tests that prove a push re-uploaded nothing. */
export interface RegistryStats {
  requests: number;
  retries: number;
  blobHeads: number;
  blobUploads: number;
  mounts: number;
}

/** How {@link RegistryClient.putBlob} got the blob there. */
export type PutBlobResult = "exists" | "mounted" | "uploaded";

interface RequestOptions {
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

const RETRYABLE_NET = new Set([
  "ECONNRESET",
  "EPIPE",
  "ETIMEDOUT",
  "UND_ERR_SOCKET",
  "UND_ERR_CLOSED",
  "UND_ERR_HEADERS_TIMEOUT",
  "UND_ERR_BODY_TIMEOUT",
  "ECONNABORTED",
  "EAI_AGAIN",
]);

const FATAL_NET: Record<string, string> = {
  ECONNREFUSED: "connection refused",
  ENOTFOUND: "host not found",
  EHOSTUNREACH: "host unreachable",
  ENETUNREACH: "network unreachable",
  UND_ERR_CONNECT_TIMEOUT: "connection timed out",
};

function netCode(err: unknown): string | undefined {
  let e: unknown = err;
  for (let i = 0; i < 4 && e; i++) {
    const code = (e as { code?: string }).code;
    if (code) return code;
    e = (e as { cause?: unknown }).cause;
  }
  return undefined;
}

function errorMessage(err: unknown): string {
  let e: unknown = err;
  let msg = String(err);
  for (let i = 0; i < 4 && e; i++) {
    if (e instanceof Error) msg = e.message;
    e = (e as { cause?: unknown }).cause;
  }
  return msg.split("\n")[0]!;
}

/**
 * A distribution-API client for one registry host.
 *
 * @example
 * const reg = new RegistryClient("127.0.0.1:5000");
 * await reg.putBlob("acme/bp", fileBlob(path, layer.digest, layer.size));
 * await reg.putManifest("acme/bp", "latest", bytes, MEDIA_TYPES.manifest);
 */
export class RegistryClient {
  /** The registry as named in references (`docker.io`, `127.0.0.1:5000`). */
  readonly registry: string;
  /** Base URL of the API (`https://registry.corp`, `http://127.0.0.1:5000`). */
  base: string;
  /** A loopback registry's HTTPS base until it answers on it: it may speak plain HTTP. */
  private httpsUntilAnswered: string | undefined;
  /** Counters since construction. */
  readonly stats: RegistryStats = { requests: 0, retries: 0, blobHeads: 0, blobUploads: 0, mounts: 0 };
  private readonly opts: Required<Omit<RegistryOptions, "credentials" | "insecure" | "maxSockets">> & RegistryOptions;
  private credentials: Credentials | undefined | null = null;
  /** Last challenge seen, so new scopes authenticate without a 401 round trip. */
  private challenge: { scheme: string; params: Record<string, string> } | undefined;
  private readonly tokens = new Map<string, Promise<string>>();
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
    if (options.credentials) this.credentials = options.credentials;
    this.send = registryHttp(options.maxSockets !== undefined ? { maxSockets: options.maxSockets } : {});
  }

  private async creds(): Promise<Credentials | undefined> {
    if (this.credentials === null) this.credentials = await loadCredentials(this.registry);
    return this.credentials;
  }

  private scopeKey(repo: string | undefined, push: boolean, extra: string[] = []): string {
    return [repo ? `repository:${repo}:${push ? "pull,push" : "pull"}` : "", ...extra].join(" ");
  }

  private refused(repo: string | undefined, anonymous: boolean, reason = ""): RegistryRefusal {
    const what = repo ?? "the registry";
    const said = reason ? ` (${reason})` : "";
    return anonymous
      ? new RegistryRefusal(
          reason,
          `registry ${this.registry} requires credentials for ${what}: none found in ~/.docker/config.json${said}`,
          {
            hint: "add them with `docker login` or to the auths of $DOCKER_CONFIG/config.json",
          },
        )
      : new RegistryRefusal(
          reason,
          `registry ${this.registry} refused credentials for ${what}: check ~/.docker/config.json${said}`,
        );
  }

  /** Gets an Authorization header for a scope from the last challenge (token request for bearer). */
  private async authorize(scopeKey: string, repo: string | undefined): Promise<string | undefined> {
    const ch = this.challenge;
    if (!ch) return undefined;
    const creds = await this.creds();
    if (ch.scheme === "basic") {
      if (!creds) throw this.refused(repo, true);
      return basicAuth(creds);
    }
    if (ch.scheme !== "bearer") throw new CnbError(`registry ${this.registry}: unsupported auth scheme "${ch.scheme}"`);
    const cached = this.tokens.get(scopeKey);
    if (cached) return cached;
    // One token request per scope, shared by concurrent requests.
    const pending = this.fetchToken(ch.params, scopeKey, repo, creds);
    this.tokens.set(scopeKey, pending);
    pending.catch(() => this.tokens.delete(scopeKey));
    return pending;
  }

  private async fetchToken(
    params: Record<string, string>,
    scopeKey: string,
    repo: string | undefined,
    creds: Credentials | undefined,
  ): Promise<string> {
    const ch = { params };
    const realm = ch.params.realm;
    if (!realm) throw new CnbError(`registry ${this.registry}: bearer challenge without a realm`);
    const url = new URL(realm);
    if (ch.params.service) url.searchParams.set("service", ch.params.service);
    for (const s of scopeKey.split(" ").filter(Boolean)) url.searchParams.append("scope", s);
    let res: HttpAnswer | undefined;
    for (let attempt = 1; ; attempt++) {
      try {
        res = await this.send(url.toString(), {
          method: "GET",
          headers: creds ? { authorization: basicAuth(creds) } : {},
        });
        if ((res.status >= 500 || res.status === 429) && attempt < this.opts.attempts) {
          await res.body?.cancel();
          await sleep(this.opts.backoffMs * 2 ** (attempt - 1));
          continue;
        }
        break;
      } catch (err) {
        if (isCnbError(err)) throw err; // the proxy, named by envProxyFetch
        if (attempt >= this.opts.attempts || !RETRYABLE_NET.has(netCode(err) ?? "")) {
          throw new CnbError(
            `cannot reach token service ${url.host}: ${FATAL_NET[netCode(err) ?? ""] ?? errorMessage(err)}`,
          );
        }
        await sleep(this.opts.backoffMs * 2 ** (attempt - 1));
      }
    }
    if (res.status === 401 || res.status === 403) {
      await res.body?.cancel();
      throw this.refused(repo, !creds);
    }
    if (!res.ok) {
      await res.body?.cancel();
      throw new CnbError(`registry ${this.registry}: token service ${url.host} answered ${res.status}`);
    }
    let body: { token?: string; access_token?: string };
    try {
      body = (await res.json()) as typeof body;
    } catch (err) {
      // a cut answer or not JSON: one line, not undici's "terminated"
      throw new CnbError(
        `registry ${this.registry}: token service ${url.host} sent no readable token (${errorMessage(err)})`,
        {
          hint: "run the command again",
        },
      );
    }
    const token = body.token ?? body.access_token;
    if (!token) throw new CnbError(`registry ${this.registry}: token service ${url.host} returned no token`);
    return `Bearer ${token}`;
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
  private async request(o: RequestOptions): Promise<HttpAnswer> {
    const scopeKey = this.scopeKey(o.repo, o.push ?? false, o.extraScopes);
    let authTried = false;
    let auth = this.challenge ? await this.authorize(scopeKey, o.repo) : undefined;
    const problems: string[] = [];
    let retried = false;
    const watch = o.watch ?? new StallWatch(this.opts.stallTimeoutMs);
    for (let attempt = 1; attempt <= this.opts.attempts; ) {
      const url = o.url.startsWith("http") ? o.url : `${this.base}${o.url}`;
      const headers: Record<string, string> = { ...(o.headers ?? {}) };
      if (auth) headers.authorization = auth;
      const signal = watch.arm();
      const opened = o.body ? await o.body() : undefined;
      // an upload moving bytes is not stalled: the clock restarts with every chunk sent
      const body = opened instanceof Readable ? touching(opened, watch) : opened;
      this.stats.requests++;
      let res: HttpAnswer;
      try {
        res = await this.send(url, { method: o.method, headers, ...(body ? { body } : {}), signal });
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
        if (authTried) throw this.refused(o.repo, !(await this.creds()));
        const header = res.headers.get("www-authenticate");
        if (!header) throw this.refused(o.repo, !(await this.creds()));
        this.challenge = parseChallenge(header);
        // Drop a cached token only if this request used one (it may have expired); requests
        // that went out before the challenge was known share the first token request.
        if (auth) this.tokens.delete(scopeKey);
        auth = await this.authorize(scopeKey, o.repo);
        authTried = true;
        continue;
      }
      if (res.status === 403) {
        const reason = registryError((await res.text().catch(() => "")).slice(0, 300)).slice(2, -1);
        throw this.refused(o.repo, !(await this.creds()), reason);
      }
      if (o.ok.includes(res.status)) return res;
      if (res.status >= 500 || res.status === 429) retried = true;
      if (res.status >= 500 || res.status === 429) {
        const wait = retryAfterMs(res.headers.get("retry-after"));
        await res.body?.cancel().catch(() => {});
        problems.push(`HTTP ${res.status}`);
        await this.backoff(attempt++, wait);
        continue;
      }
      const text = (await res.text().catch(() => "")).slice(0, 300);
      const message = `registry ${this.registry}: ${o.what} failed: HTTP ${res.status}${registryError(text)}`;
      if (o.uploadSession && [400, 404, 416].includes(res.status) && (retried || attempt > 1)) {
        throw new UploadSessionError(message);
      }
      throw new CnbError(message);
    }
    watch.pause();
    throw new RetriesExhausted(
      `registry ${this.registry}: ${o.what} failed after ${this.opts.attempts} attempts (${summarizeProblems(problems)})`,
      problems,
    );
  }

  /**
   * A request whose whole (small) body is read too: a drop while reading it is retried like a
   * drop before the answer, within the same bounded attempts.
   */
  private async requestBytes(o: RequestOptions): Promise<{ res: HttpAnswer; bytes: Buffer }> {
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

  private async backoff(attempt: number, retryAfter?: number): Promise<void> {
    if (attempt >= this.opts.attempts) return;
    this.stats.retries++;
    // Retry-After is what the registry asked for (up to a minute); our own back-off doubles up to 10 s.
    const own = Math.min(this.opts.backoffMs * 2 ** (attempt - 1), 10_000);
    await sleep(Math.max(own, Math.min(retryAfter ?? 0, 60_000)));
  }

  /** Checks that the registry speaks the v2 API (and learns its auth challenge). */
  async ping(): Promise<void> {
    const res = await this.request({ method: "GET", url: "/v2/", ok: [200], what: "ping /v2/" });
    await res.body?.cancel();
  }

  /** Records that `repo` holds `digest`: a later push of it to another repository mounts it. */
  noteBlob(repo: string, digest: Digest): void {
    this.blobHomes.set(digest, repo);
  }

  /** True when the repository already has the blob (HEAD). */
  async hasBlob(repo: string, digest: Digest, push = false): Promise<boolean> {
    this.stats.blobHeads++;
    const res = await this.request({
      method: "HEAD",
      url: `/v2/${repo}/blobs/${digest}`,
      repo,
      push,
      ok: [200, 404],
      what: `HEAD blob ${digest} of ${repo}`,
    });
    await res.body?.cancel();
    if (res.status === 200) this.noteBlob(repo, digest);
    return res.status === 200;
  }

  /**
   * Uploads a blob unless the repository has it: HEAD, then a cross-repo mount (from
   * `mountFrom`, else from a repository this client saw holding the blob), then a
   * monolithic PUT (small blobs) or chunked PATCHes.
   */
  async putBlob(
    repo: string,
    blob: BlobUpload,
    options: {
      mountFrom?: string;
      onProgress?: (done: number, total: number) => void;
      /** A blob just made (a rebased config): upload it without asking first whether it is there. */
      justMade?: boolean;
    } = {},
  ): Promise<PutBlobResult> {
    // A request whose response was lost may have been applied (a chunk stored, an upload
    // committed); its retry then fails with 4xx on a stale upload session. Start the blob over
    // (beginning with HEAD, which finds a committed blob), a bounded number of times.
    const mountFrom = options.mountFrom ?? this.blobHomes.get(blob.digest);
    for (let attempt = 1; ; attempt++) {
      try {
        // a retry of a blob just made asks first: the lost answer may have been a commit
        const justMade = options.justMade === true && attempt === 1;
        const how = await this.putBlobOnce(repo, blob, { ...options, mountFrom, justMade });
        this.noteBlob(repo, blob.digest);
        return how;
      } catch (err) {
        if (err instanceof RetriesExhausted || (err instanceof UploadSessionError && attempt >= this.opts.attempts)) {
          // the blob and its size, beside what failed: the one line a push gives up with
          throw new CnbError(
            `registry ${this.registry}: gave up uploading blob ${blob.digest} (${formatBytes(blob.size)}) to ${repo}: ${err.message.replace(`registry ${this.registry}: `, "")}`,
            { hint: "the tag was not moved; run the command again" },
          );
        }
        if (!(err instanceof UploadSessionError) || attempt >= this.opts.attempts) throw err;
        this.stats.retries++;
      }
    }
  }

  private async putBlobOnce(
    repo: string,
    blob: BlobUpload,
    options: { mountFrom?: string; onProgress?: (done: number, total: number) => void; justMade?: boolean },
  ): Promise<PutBlobResult> {
    if (!options.justMade && (await this.hasBlob(repo, blob.digest, true))) {
      options.onProgress?.(blob.size, blob.size);
      return "exists";
    }
    let url = `/v2/${repo}/blobs/uploads/`;
    const extraScopes: string[] = [];
    if (options.mountFrom && options.mountFrom !== repo) {
      url += `?mount=${encodeURIComponent(blob.digest)}&from=${encodeURIComponent(options.mountFrom)}`;
      extraScopes.push(`repository:${options.mountFrom}:pull`);
    }
    const start = await this.request({
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
      this.stats.mounts++;
      options.onProgress?.(blob.size, blob.size);
      return "mounted";
    }
    const location = this.location(start, repo);
    const progress = (done: number) => options.onProgress?.(done, blob.size);
    this.stats.blobUploads++;
    if (blob.size <= this.opts.chunkSize) {
      const res = await this.request({
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
    await this.uploadChunks(repo, blob, location, progress);
    return "uploaded";
  }

  /**
   * A blob over the chunk size, as PATCHes of one chunk each (each retried alone by
   * `request`), then the PUT that commits it; each response may move the session's location.
   */
  private async uploadChunks(
    repo: string,
    blob: BlobUpload,
    session: string,
    progress: (done: number) => void,
  ): Promise<void> {
    let location = session;
    for (let offset = 0; offset < blob.size; offset += this.opts.chunkSize) {
      const end = Math.min(blob.size, offset + this.opts.chunkSize);
      const res = await this.request({
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
      location = this.location(res, repo, location);
    }
    const done = await this.request({
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

  private location(res: HttpAnswer, repo: string, previous?: string): string {
    const loc = res.headers.get("location");
    if (!loc) {
      if (previous) return previous;
      throw new CnbError(`registry ${this.registry}: upload to ${repo} returned no Location`);
    }
    return new URL(loc, `${this.base}/`).toString();
  }

  /**
   * Streams a blob, failing at the end if its content does not match `digest`. A download
   * that drops or stalls midway is resumed with a Range request (blob-download.ts); `size`
   * (from the descriptor) lets a short body be told from a whole one.
   */
  async getBlob(repo: string, digest: Digest, size?: number): Promise<Readable> {
    return downloadBlob(this.blobDownload(repo, digest, size));
  }

  /** What {@link downloadBlob} needs to fetch one blob of `repo` through this client. */
  private blobDownload(repo: string, digest: Digest, size?: number): BlobDownload {
    const watch = new StallWatch(this.opts.stallTimeoutMs);
    return {
      registry: this.registry,
      repo,
      digest,
      ...(size !== undefined ? { size } : {}),
      attempts: this.opts.attempts,
      backoffMs: this.opts.backoffMs,
      watch,
      onRetry: () => this.stats.retries++,
      open: (offset) =>
        this.request({
          method: "GET",
          url: `/v2/${repo}/blobs/${digest}`,
          repo,
          headers: offset > 0 ? { range: `bytes=${offset}-` } : {},
          ok: [200, 206, 404, 416],
          what: `GET blob ${digest} of ${repo}`,
          watch,
        }),
    };
  }

  /** Reads a whole small blob (a config) and verifies it (resumed as {@link getBlob} is). */
  async getBlobBytes(repo: string, digest: Digest, size?: number): Promise<Buffer> {
    return downloadBlobBytes(this.blobDownload(repo, digest, size));
  }

  /**
   * Gets a manifest or index by tag or digest (OCI and Docker v2 types accepted) and verifies
   * its digest: against the reference when it is one, else against Docker-Content-Digest.
   */
  async getManifest(repo: string, reference: string): Promise<ParsedManifest> {
    const { res, bytes } = await this.requestBytes({
      method: "GET",
      url: `/v2/${repo}/manifests/${reference}`,
      repo,
      headers: { accept: MANIFEST_ACCEPT },
      ok: [200, 404],
      what: `GET manifest ${repo}:${reference}`,
    });
    if (res.status === 404) {
      throw new CnbError(
        `${this.registry}/${repo}${isDigest(reference) ? "@" : ":"}${reference}: not found in the registry`,
      );
    }
    const actual = sha256(bytes);
    const expected = isDigest(reference) ? reference : res.headers.get("docker-content-digest");
    if (expected?.startsWith("sha256:") && expected !== actual) {
      throw new CnbError(
        `registry ${this.registry}: manifest ${repo}:${reference} has digest ${actual}, expected ${expected}`,
      );
    }
    const parsed = parseManifest(
      bytes,
      res.headers.get("content-type") ?? undefined,
      `${this.registry}/${repo}:${reference}`,
    );
    // A registry keeps the blobs of every manifest it serves in that repository.
    if (parsed.kind === "manifest") {
      for (const d of [parsed.manifest.config, ...parsed.manifest.layers]) this.noteBlob(repo, d.digest);
    }
    return parsed;
  }

  /**
   * The OCI 1.1 referrers of `digest` (an image index), or undefined when the registry does
   * not serve the referrers API (distribution 2.x answers 404 for the route).
   */
  async referrers(repo: string, digest: Digest): Promise<ImageIndex | undefined> {
    const { res, bytes } = await this.requestBytes({
      method: "GET",
      url: `/v2/${repo}/referrers/${digest}`,
      repo,
      headers: { accept: MEDIA_TYPES.index },
      ok: [200, 404, 400, 405],
      what: `GET referrers of ${repo}@${digest}`,
    });
    if (res.status !== 200 || !(res.headers.get("content-type") ?? "").includes(MEDIA_TYPES.index)) return undefined;
    try {
      return JSON.parse(bytes.toString("utf8")) as ImageIndex;
    } catch {
      throw new CnbError(`registry ${this.registry}: referrers of ${repo}@${digest} are not JSON`);
    }
  }

  /** True when the manifest exists (HEAD), without downloading it. */
  async hasManifest(repo: string, reference: string): Promise<boolean> {
    return (await this.manifestHeaders(repo, reference)) !== undefined;
  }

  /** The headers of a HEAD of a manifest; undefined when there is none. */
  private async manifestHeaders(repo: string, reference: string): Promise<HttpAnswer["headers"] | undefined> {
    const res = await this.request({
      method: "HEAD",
      url: `/v2/${repo}/manifests/${reference}`,
      repo,
      headers: { accept: MANIFEST_ACCEPT },
      ok: [200, 404],
      what: `HEAD manifest ${repo}:${reference}`,
    });
    await res.body?.cancel();
    return res.status === 200 ? res.headers : undefined;
  }

  /**
   * The digest, media type and size of the manifest a tag or digest names (HEAD), without
   * downloading it; undefined when there is none. A fleet re-scan compares these to what it
   * saw before and reads nothing more of an unchanged image.
   */
  async headManifest(
    repo: string,
    reference: string,
  ): Promise<{ digest: Digest; mediaType: string; size: number } | undefined> {
    const headers = await this.manifestHeaders(repo, reference);
    if (!headers) return undefined;
    const digest = headers.get("docker-content-digest") ?? (isDigest(reference) ? reference : undefined);
    if (!digest || !isDigest(digest)) {
      throw new CnbError(`registry ${this.registry}: HEAD manifest ${repo}:${reference} gave no Docker-Content-Digest`);
    }
    return {
      digest,
      mediaType: headers.get("content-type") ?? "",
      size: Number(headers.get("content-length") ?? 0),
    };
  }

  /**
   * The registry's repositories (`/v2/_catalog`), a page at a time, following its `Link`
   * headers. A registry that serves no catalog (404, or a refusal) is one line that says how
   * else to name the images.
   */
  async *repositories(pageSize = 1000): AsyncGenerator<string[]> {
    yield* this.pages(`/v2/_catalog?n=${pageSize}`, undefined, ["registry:catalog:*"], "repositories", "catalog");
  }

  /** A repository's tags (`/v2/<repo>/tags/list`), a page at a time; none for a repository that is gone. */
  async *tags(repo: string, pageSize = 1000): AsyncGenerator<string[]> {
    yield* this.pages(`/v2/${repo}/tags/list?n=${pageSize}`, repo, [], "tags", `tags of ${repo}`);
  }

  private async *pages(
    first: string,
    repo: string | undefined,
    extraScopes: string[],
    field: "repositories" | "tags",
    what: string,
  ): AsyncGenerator<string[]> {
    let url: string | undefined = first;
    for (let page = 0; url && page < 100_000; page++) {
      // the page is read within the retries: a page cut midway is asked again, never read as empty
      const { res, bytes }: { res: HttpAnswer; bytes: Buffer } = await this.requestBytes({
        method: "GET",
        url,
        repo,
        extraScopes,
        ok: [200, 404],
        what: `list ${what}`,
      }).catch((err: unknown) => {
        if (field === "repositories" && err instanceof RegistryRefusal) {
          throw new CnbError(`registry ${this.registry} refused its catalog (${err.message})`, {
            hint: "name repositories instead (host/team/app), or list images in a file for --images-from",
          });
        }
        throw err;
      });
      if (res.status === 404) {
        if (field === "repositories") {
          throw new CnbError(`registry ${this.registry} serves no catalog (/v2/_catalog: HTTP 404)`, {
            hint: "name repositories instead (host/team/app), or list images in a file for --images-from",
          });
        }
        return;
      }
      let body: Record<string, unknown>;
      try {
        body = JSON.parse(bytes.toString("utf8")) as Record<string, unknown>;
      } catch {
        throw new CnbError(`registry ${this.registry}: the ${what} list is not JSON`);
      }
      const items = body[field];
      if (items !== null && items !== undefined && !Array.isArray(items)) {
        throw new CnbError(`registry ${this.registry}: the ${what} list is not a list of names`);
      }
      yield (items ?? []) as string[];
      const next: string | undefined = /<([^>]+)>\s*;\s*rel="?next"?/.exec(res.headers.get("link") ?? "")?.[1];
      url = next ? new URL(next, `${this.base}/`).toString() : undefined;
    }
  }

  /** Puts manifest or index bytes under a tag or their digest; returns the digest. */
  async putManifest(repo: string, reference: string, bytes: Buffer, mediaType: string): Promise<Digest> {
    const digest = sha256(bytes);
    const res = await this.request({
      method: "PUT",
      url: `/v2/${repo}/manifests/${reference}`,
      repo,
      push: true,
      headers: { "content-type": mediaType, "content-length": String(bytes.length) },
      body: () => bytes,
      ok: [201, 200],
      what: `PUT manifest ${repo}:${reference}`,
    });
    await res.body?.cancel();
    const got = res.headers.get("docker-content-digest");
    if (got && got !== digest) {
      throw new CnbError(
        `registry ${this.registry}: stored manifest ${repo}:${reference} as ${got}, expected ${digest}`,
      );
    }
    return digest;
  }
}

/** An upload session went stale after a lost response; {@link RegistryClient.putBlob} starts over. */
class UploadSessionError extends CnbError {}

/**
 * The registry said no (401 after authenticating, or 403), with what it said in `reason`
 * (its error code and message, or ""): a caller that knows the credentials work (other pushes
 * to the repository went through) can name the registry's policy instead.
 */
export class RegistryRefusal extends CnbError {
  constructor(
    readonly reason: string,
    message: string,
    options?: { hint?: string },
  ) {
    super(message, options);
  }
}

function withDigest(location: string, digest: string): string {
  const u = new URL(location);
  u.searchParams.set("digest", digest);
  return u.toString();
}

function registryError(text: string): string {
  try {
    const body = JSON.parse(text) as { errors?: { code?: string; message?: string }[] };
    const e = body.errors?.[0];
    if (e) return ` (${[e.code, e.message].filter(Boolean).join(": ")})`;
  } catch {
    // not JSON
  }
  return text ? ` (${text.split("\n")[0]})` : "";
}

/** The wait a Retry-After header asks for (seconds or an HTTP date), in ms; undefined if none. */
function retryAfterMs(header: string | null): number | undefined {
  if (!header) return undefined;
  const seconds = Number(header);
  if (Number.isFinite(seconds)) return seconds > 0 ? seconds * 1000 : undefined;
  const at = Date.parse(header);
  return Number.isFinite(at) && at > Date.now() ? at - Date.now() : undefined;
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

/** Runs `fn` over `items` with at most `limit` running at once; rejects on the first failure. */
export async function mapLimit<T, R>(items: T[], limit: number, fn: (item: T, i: number) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const workers = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) {
      const i = next++;
      results[i] = await fn(items[i]!, i);
    }
  });
  await Promise.all(workers);
  return results;
}

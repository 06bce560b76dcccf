/**
 * How the registry client sends a request: on node:http/node:https with a keep-alive Agent of
 * its own, the answer handed back as an {@link HttpAnswer} (the part of a fetch Response the
 * client reads) whose body streams from the socket.
 *
 * Why not the global fetch: a fleet scan or rebase is thousands of small requests (a HEAD, a
 * 2 KB manifest, a 10 KB config), and there undici's fetch costs more CPU per request than
 * the registry itself (its WHATWG request/response machinery, on every request). node:http's
 * client, with a pool sized to the caller's concurrency, does the same work for a fraction.
 *
 * What stays as fetch did it:
 * - a URL that HTTP_PROXY/HTTPS_PROXY sends through a proxy (NO_PROXY does not name its
 *   host) still goes through {@link envProxyFetch}, unchanged (CONNECT tunnel, one-line
 *   errors naming the proxy);
 * - redirects are followed (blobs served from storage elsewhere), Authorization dropped when
 *   the redirect leaves the origin;
 * - certificates are checked against Node's trust (NODE_EXTRA_CA_CERTS adds a CA);
 * - a body the caller cancels is read to its end when it is small (the socket goes back to
 *   the pool, as undici keeps it), else the connection is closed;
 * - a body cut short fails with "other side closed" and no error code, as undici's does, so
 *   the retry messages still call it a cut ("connection cut"), not a reset.
 */
import { Agent as HttpAgent, type IncomingMessage, request as httpRequest } from "node:http";
import { Agent as HttpsAgent, request as httpsRequest } from "node:https";
import { Readable } from "node:stream";
import { envProxyFetch, type ProxySettings, proxySettings } from "@cnbkit/framework/dependencies";

/** One request as the registry client makes it. */
export interface HttpRequest {
  method: string;
  headers: Record<string, string>;
  /** A Buffer, or a stream sent as it is read (uploads). */
  body?: Readable | Buffer;
  /** Aborts the request and its body. */
  signal?: AbortSignal;
  /** The stall clock of this attempt: a stall ends the request and its body. */
  stall?: StallHandle;
}

/**
 * What a request needs of a stall clock (registry-stall.ts's StallWatch): node:http's request
 * is ended by a callback, without an AbortController and a listener a request; fetch through a
 * proxy takes the signal.
 */
export interface StallHandle {
  readonly stalled: boolean;
  /** `end` is called once, with the reason, if the attempt stalls (at once if it has). */
  onStall(end: (reason: Error) => void): void;
  readonly signal: AbortSignal;
}

/**
 * What the registry client reads of an answer. fetch's Response has it too (the proxy path
 * hands one back), so the two are one type to the caller.
 */
export interface HttpAnswer {
  readonly status: number;
  /** Status 200-299. */
  readonly ok: boolean;
  readonly headers: { get(name: string): string | null };
  /** The body as a web stream; null for a HEAD and for 204/205/304. */
  readonly body: ReadableStream<Uint8Array> | null;
  text(): Promise<string>;
  json(): Promise<unknown>;
  arrayBuffer(): Promise<ArrayBuffer>;
}

/** One read of a {@link BodyReader}: a chunk, or the end. */
export type BodyChunk = { done: false; value: Uint8Array } | { done: true; value?: Uint8Array };

/** A body read chunk by chunk (a web stream's reader has this shape too). */
export interface BodyReader {
  read(): Promise<BodyChunk>;
  cancel(): Promise<void>;
}

/** Sends one request; resolves with the answer once its headers arrive. */
export type HttpSend = (url: string, req: HttpRequest) => Promise<HttpAnswer>;

/** Options of {@link registryHttp}. */
export interface RegistryHttpOptions {
  /** Connections per host at most (default: unbounded, as fetch's pool). */
  maxSockets?: number;
  /** The environment whose HTTP_PROXY/HTTPS_PROXY/NO_PROXY apply (default: process.env). */
  env?: Readonly<Record<string, string | undefined>>;
}

/** A cancelled body with at most this many bytes left is read to its end to keep the socket. */
const DRAIN_LIMIT = 256 * 1024;
const REDIRECTS = new Set([301, 302, 303, 307, 308]);

/**
 * The send function of one registry client: its own keep-alive pools (http and https), and
 * the proxy-aware fetch for URLs a proxy applies to.
 *
 * @example
 * const send = registryHttp({ maxSockets: 16 });
 * const res = await send("http://127.0.0.1:5000/v2/", { method: "GET", headers: {} });
 */
export function registryHttp(options: RegistryHttpOptions = {}): HttpSend {
  const env = options.env ?? process.env;
  const settings = proxySettings(env);
  const proxied = settings ? envProxyFetch(env) : undefined;
  const pool = {
    maxSockets: options.maxSockets ?? Number.POSITIVE_INFINITY,
    keepAlive: true,
    // LIFO: the warmest socket first, so idle ones age out instead of all staying half-used
    scheduling: "lifo" as const,
    // an idle socket is closed after this (undici's keep-alive default), before most servers do
    timeout: 4000,
  };
  const agents = { http: new HttpAgent(pool), https: new HttpsAgent(pool) };
  // not async: the promise of follow or fetch is handed back as it is, without another hop
  return (url, req) => {
    if (proxied && settings && usesProxy(new URL(url), settings)) return viaFetch(proxied, url, req);
    return follow(agents, url, req, 0);
  };
}

/** Where one request goes, as node:http takes it. */
export interface RequestTarget {
  protocol: "http:" | "https:";
  /** Without the brackets of an IPv6 address. */
  hostname: string;
  port?: number;
  /** The path and query. */
  path: string;
}

/** An absolute http(s) URL's parts, when it is already in the form WHATWG URL parsing would give. */
const PLAIN_URL =
  /^(https?:)\/\/([a-z0-9.-]+|\[[0-9a-f:.]+\])(?::(\d{1,5}))?(\/[A-Za-z0-9\-._~!$&'()*+,;=:@%/]*(?:\?[A-Za-z0-9\-._~!$&()*+,;=:@%/?]*)?)$/;

/**
 * The target of `url` for node:http. A registry client sends thousands of URLs it built itself
 * (`http://host:port/v2/<repo>/manifests/<tag>`), so those are split by one regular expression
 * instead of a WHATWG URL and node:http's copy of it (~10 µs a request, a few % of a fleet
 * scan's CPU); anything else (dot segments, characters URL would escape, an uppercase host)
 * goes through URL, whose normalisation then applies as before.
 */
export function requestTarget(url: string): RequestTarget {
  const m = PLAIN_URL.exec(url);
  if (m && !/\/\.\.?(?:\/|\?|$)/.test(m[4]!)) {
    const port = m[3] === undefined ? undefined : Number(m[3]);
    const defaultPort = m[1] === "https:" ? 443 : 80;
    return {
      protocol: m[1] as RequestTarget["protocol"],
      hostname: m[2]!.replace(/^\[|\]$/g, ""),
      ...(port !== undefined && port !== defaultPort ? { port } : {}),
      path: m[4]!,
    };
  }
  const u = new URL(url);
  if (u.protocol !== "http:" && u.protocol !== "https:") throw new TypeError(`${url}: not an http(s) URL`);
  return {
    protocol: u.protocol,
    hostname: u.hostname.replace(/^\[|\]$/g, ""),
    ...(u.port ? { port: Number(u.port) } : {}),
    path: `${u.pathname}${u.search}`,
  };
}

/** Through the proxy-aware fetch (a stream body becomes a web stream, as before). */
function viaFetch(f: typeof fetch, url: string, req: HttpRequest): Promise<HttpAnswer> {
  const body = req.body;
  return f(url, {
    method: req.method,
    headers: req.headers,
    body: body instanceof Readable ? (Readable.toWeb(body) as ReadableStream) : body,
    redirect: "follow",
    ...(req.signal || req.stall ? { signal: req.signal ?? req.stall?.signal } : {}),
    ...(body instanceof Readable ? { duplex: "half" } : {}),
  } as RequestInit);
}

/** Sends `req` and follows redirects (up to 20, as fetch). */
async function follow(
  agents: { http: HttpAgent; https: HttpsAgent },
  url: string,
  req: HttpRequest,
  hops: number,
): Promise<HttpAnswer> {
  const msg = await send(agents, requestTarget(url), req);
  const status = msg.statusCode ?? 0;
  const location = msg.headers.location;
  if (!REDIRECTS.has(status) || !location || hops >= 20) return await toResponse(msg, req.method);
  // a stream already sent cannot be sent again: the caller sees the redirect
  if (req.body instanceof Readable && status !== 303) return await toResponse(msg, req.method);
  msg.resume();
  const next = new URL(location, url);
  const headers = { ...req.headers };
  if (next.origin !== new URL(url).origin) delete headers.authorization;
  const toGet = status === 303 || ((status === 301 || status === 302) && req.method === "POST");
  if (toGet) {
    delete headers["content-length"];
    delete headers["content-type"];
  }
  const again: HttpRequest = {
    method: toGet ? (req.method === "HEAD" ? "HEAD" : "GET") : req.method,
    headers,
    ...(!toGet && req.body ? { body: req.body } : {}),
    ...(req.signal ? { signal: req.signal } : {}),
    ...(req.stall ? { stall: req.stall } : {}),
  };
  return follow(agents, next.href, again, hops + 1);
}

/** One request on the pool; resolves with the answer's head. */
function send(
  agents: { http: HttpAgent; https: HttpsAgent },
  target: RequestTarget,
  req: HttpRequest,
): Promise<IncomingMessage> {
  return new Promise((resolve, reject) => {
    const https = target.protocol === "https:";
    const headers: Record<string, string> = { "user-agent": "node", accept: "*/*", ...req.headers };
    const signal = req.signal;
    if (signal?.aborted) return reject(aborted(signal.reason));
    // the target is this request's own object: it becomes node:http's options without a copy
    const options = target as RequestTarget & { method: string; headers: Record<string, string>; agent: HttpAgent };
    options.method = req.method;
    options.headers = headers;
    options.agent = https ? agents.https : agents.http;
    const r = (https ? httpsRequest : httpRequest)(options);
    // The signal (or the stall clock) ends the request and its body, as node:http's own
    // `signal` option does, without the end-of-stream watch that option sets up on every request.
    signal?.addEventListener("abort", () => r.destroy(aborted(signal.reason)), { once: true });
    req.stall?.onStall((reason) => r.destroy(aborted(reason)));
    r.on("error", reject);
    r.on("response", resolve);
    const body = req.body;
    if (body instanceof Readable) {
      body.on("error", (err) => r.destroy(err));
      body.pipe(r);
    } else {
      r.end(body);
    }
  });
}

/** The error an aborted request fails with: an AbortError, as node:http's and fetch's. */
function aborted(reason: unknown): Error {
  return Object.assign(new Error("The operation was aborted", { cause: reason }), {
    name: "AbortError",
    code: "ABORT_ERR",
  });
}

/**
 * Resolves once `msg` is over and its socket back in the pool. node:http frees it in a
 * process.nextTick queued from the answer's "end" (its own listener, which runs before ours);
 * a promise settled from our "end" listener runs its continuation after that tick queue is
 * drained, so the caller's next request finds the socket (instead of opening another) without
 * waiting for the next turn of the event loop. An answer already over resolves after a turn.
 */
function settled(msg: IncomingMessage): Promise<void> {
  return new Promise((resolve) => {
    if (msg.readableEnded || msg.destroyed) return void setImmediate(resolve);
    msg.once("end", () => resolve());
    msg.once("close", () => resolve());
  });
}

/** The answer, its body streaming from the socket (at once: only a bodiless one waits for its end). */
function toResponse(msg: IncomingMessage, method: string): HttpAnswer | Promise<HttpAnswer> {
  const status = msg.statusCode ?? 0;
  if (method === "HEAD" || status === 204 || status === 205 || status === 304) {
    msg.resume();
    return settled(msg).then(() => new NodeAnswer(msg, false));
  }
  return new NodeAnswer(msg, true);
}

/**
 * An answer's headers by name (case-insensitive); repeated ones joined with ", ", as fetch's
 * Headers. Looked up by a scan of the raw pairs (a registry answers with about ten, and the
 * client asks for two or three), names compared only when their lengths match: no map and no
 * lowercased copy of every name an answer.
 */
class RawHeaders {
  constructor(private readonly raw: string[]) {}

  get(name: string): string | null {
    const want = name.toLowerCase();
    const raw = this.raw;
    let found: string | null = null;
    for (let i = 0; i + 1 < raw.length; i += 2) {
      const key = raw[i]!;
      if (key.length !== want.length || key.toLowerCase() !== want) continue;
      found = found === null ? raw[i + 1]! : `${found}, ${raw[i + 1]!}`;
    }
    return found;
  }
}

/**
 * An answer off node:http: what the client reads of a fetch Response (status, headers, body,
 * text, json), without undici's WHATWG Response, Headers and body machinery, which cost a
 * fleet scan more CPU per small answer than reading it. The body's web stream is made only
 * when asked for; {@link bodyReader} reads the socket directly.
 */
class NodeAnswer implements HttpAnswer {
  readonly status: number;
  readonly headers: RawHeaders;
  private readonly reader: SocketBody | undefined;
  private web: ReadableStream<Uint8Array> | undefined;

  constructor(msg: IncomingMessage, hasBody: boolean) {
    this.status = msg.statusCode ?? 0;
    this.headers = new RawHeaders(msg.rawHeaders);
    this.reader = hasBody ? new SocketBody(msg) : undefined;
  }

  get ok(): boolean {
    return this.status >= 200 && this.status <= 299;
  }

  get body(): ReadableStream<Uint8Array> | null {
    if (!this.reader) return null;
    this.web ??= webBody(this.reader);
    return this.web;
  }

  /** The body's reader (the same one each time: one consumer). */
  bodyReader(): BodyReader | undefined {
    return this.reader;
  }

  async text(): Promise<string> {
    return (await readAll(this)).toString("utf8");
  }

  async json(): Promise<unknown> {
    return JSON.parse(await this.text());
  }

  async arrayBuffer(): Promise<ArrayBuffer> {
    const bytes = await readAll(this);
    return bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
  }
}

/**
 * A reader of an answer's body, chunk by chunk: a NodeAnswer's socket directly, else the web
 * stream's reader (fetch through a proxy). Undefined when the answer has no body.
 */
export function bodyReader(res: HttpAnswer): BodyReader | undefined {
  if (res instanceof NodeAnswer) return res.bodyReader();
  return res.body?.getReader();
}

/** True when the answer has a body (without making its web stream). */
export function hasBody(res: HttpAnswer): boolean {
  return res instanceof NodeAnswer ? res.bodyReader() !== undefined : res.body !== null;
}

/** The whole (small) body of an answer; `onChunk` is called before each read (a stall watch). */
export async function readAll(res: HttpAnswer, onChunk?: () => void): Promise<Buffer> {
  const reader = bodyReader(res);
  if (!reader) return Buffer.alloc(0);
  const chunks: Buffer[] = [];
  for (;;) {
    onChunk?.();
    const { value, done } = await reader.read();
    if (done) break;
    chunks.push(Buffer.isBuffer(value) ? value : Buffer.from(value.buffer, value.byteOffset, value.byteLength));
  }
  return chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks);
}

/**
 * The body read off the socket's buffer only when the reader asks for a chunk, so nothing is
 * queued between (node:http holds the rest, and the socket waits). A connection that closes
 * midway fails the reader only after every byte that came before the close was read: a
 * download resumes from exactly there. Cancelling it reads a small rest to its end (the
 * socket is reused) or closes the connection.
 */
class SocketBody implements BodyReader {
  private failed: Error | undefined;
  private ended = false;
  private received = 0;
  private wake: (() => void) | undefined;
  private cancelled: Promise<void> | undefined;
  /** The reader saw the end or the failure: cancelling is then nothing, as on a web stream. */
  private over = false;

  constructor(private readonly msg: IncomingMessage) {
    const poke = () => this.wake?.();
    msg.on("readable", poke);
    msg.on("end", () => {
      this.ended = true;
      poke();
    });
    msg.on("error", (err: Error) => {
      this.failed = err.message === "aborted" ? new Error("other side closed before the body was whole") : err;
      poke();
    });
  }

  async read(): Promise<BodyChunk> {
    for (;;) {
      const chunk = this.msg.read() as Buffer | null;
      if (chunk) {
        this.received += chunk.length;
        return { done: false, value: chunk };
      }
      if (this.failed) {
        this.over = true;
        throw this.failed;
      }
      if (this.ended) {
        this.over = true;
        // The reader sees the end once the socket is back in the pool: the "end" that set
        // `ended` was emitted from a process.nextTick whose queue also freed the socket (see
        // settled), and this read runs in a promise continuation, after that queue drained.
        return { done: true, value: undefined };
      }
      await new Promise<void>((resolve) => {
        this.wake = resolve;
      });
      this.wake = undefined;
    }
  }

  cancel(): Promise<void> {
    if (this.over) return Promise.resolve();
    this.cancelled ??= this.stop();
    return this.cancelled;
  }

  private stop(): Promise<void> {
    const msg = this.msg;
    const length = Number(msg.headers["content-length"]);
    if (msg.complete || (Number.isFinite(length) && length - this.received <= DRAIN_LIMIT)) {
      // a server that stops sending the rest must not hold the socket (or the process) forever
      const timer = setTimeout(() => msg.destroy(), 5000);
      timer.unref();
      msg.on("close", () => clearTimeout(timer));
      const drain = () => {
        while (msg.read() !== null) {}
      };
      msg.on("readable", drain);
      drain();
      return settled(msg);
    }
    msg.destroy();
    return Promise.resolve();
  }
}

/** The body as a web stream, pulled from `reader` (highWaterMark 0: nothing read ahead). */
function webBody(reader: SocketBody): ReadableStream<Uint8Array> {
  return new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        const { value, done } = await reader.read();
        if (done) return controller.close();
        controller.enqueue(new Uint8Array(value.buffer, value.byteOffset, value.byteLength));
      },
      cancel: () => reader.cancel(),
    },
    { highWaterMark: 0 },
  );
}

/**
 * True when a proxy applies to `url`: one is set for its scheme (https:// falls back to
 * HTTP_PROXY, as undici's EnvHttpProxyAgent does) and NO_PROXY does not name its host
 * (`*`, a host, `.domain` or `*.domain` suffixes, each with an optional `:port`).
 */
export function usesProxy(url: URL, settings: ProxySettings | undefined): boolean {
  if (!settings) return false;
  const proxy = url.protocol === "https:" ? (settings.httpsProxy ?? settings.httpProxy) : settings.httpProxy;
  if (!proxy) return false;
  const host = url.hostname.replace(/^\[|\]$/g, "").toLowerCase();
  const port = url.port || (url.protocol === "https:" ? "443" : "80");
  for (const entry of (settings.noProxy ?? "").split(/[,\s]+/).filter(Boolean)) {
    if (entry === "*") return false;
    // `host`, `host:port`, `[v6]:port`, or a bare IPv6 address (more than one colon)
    const m = /^(\[[^\]]+\]|[^:]+|[^\]]*:[^\]]*:[^\]]*)(?::(\d+))?$/.exec(entry.toLowerCase());
    if (!m) continue;
    if (m[2] && m[2] !== port) continue;
    const name = m[1]!.replace(/^\[|\]$/g, "");
    if (/^[.*]/.test(name)) {
      const suffix = name.replace(/^\*/, "");
      if (host.endsWith(suffix) || host === suffix.slice(1)) return false;
    } else if (host === name) {
      return false;
    }
  }
  return true;
}

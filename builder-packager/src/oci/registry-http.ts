/**
 * How the registry client sends a request: on node:http/node:https with a keep-alive Agent of
 * its own, the answer handed back as a fetch `Response` whose body streams from the socket.
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
  /** Aborts the request and its body (the stall timer). */
  signal?: AbortSignal;
}

/** Sends one request; resolves with the answer once its headers arrive. */
export type HttpSend = (url: string, req: HttpRequest) => Promise<Response>;

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
  return async (url, req) => {
    if (proxied && settings && usesProxy(new URL(url), settings)) return viaFetch(proxied, url, req);
    return follow(agents, new URL(url), req, 0);
  };
}

/** Through the proxy-aware fetch (a stream body becomes a web stream, as before). */
function viaFetch(f: typeof fetch, url: string, req: HttpRequest): Promise<Response> {
  const body = req.body;
  return f(url, {
    method: req.method,
    headers: req.headers,
    body: body instanceof Readable ? (Readable.toWeb(body) as ReadableStream) : body,
    redirect: "follow",
    ...(req.signal ? { signal: req.signal } : {}),
    ...(body instanceof Readable ? { duplex: "half" } : {}),
  } as RequestInit);
}

/** Sends `req` and follows redirects (up to 20, as fetch). */
async function follow(
  agents: { http: HttpAgent; https: HttpsAgent },
  url: URL,
  req: HttpRequest,
  hops: number,
): Promise<Response> {
  const msg = await send(agents, url, req);
  const status = msg.statusCode ?? 0;
  const location = msg.headers.location;
  if (!REDIRECTS.has(status) || !location || hops >= 20) return toResponse(msg, req.method);
  // a stream already sent cannot be sent again: the caller sees the redirect
  if (req.body instanceof Readable && status !== 303) return toResponse(msg, req.method);
  msg.resume();
  const next = new URL(location, url);
  const headers = { ...req.headers };
  if (next.origin !== url.origin) delete headers.authorization;
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
  };
  return follow(agents, next, again, hops + 1);
}

/** One request on the pool; resolves with the answer's head. */
function send(agents: { http: HttpAgent; https: HttpsAgent }, url: URL, req: HttpRequest): Promise<IncomingMessage> {
  return new Promise((resolve, reject) => {
    const https = url.protocol === "https:";
    const headers: Record<string, string> = { "user-agent": "node", accept: "*/*", ...req.headers };
    const r = (https ? httpsRequest : httpRequest)(url, {
      method: req.method,
      headers,
      agent: https ? agents.https : agents.http,
      ...(req.signal ? { signal: req.signal } : {}),
    });
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

/**
 * Resolves once `msg` is over and its socket back in the pool: node:http frees it on the tick
 * after the answer's end, so the caller's next request finds it (instead of opening another).
 */
function settled(msg: IncomingMessage): Promise<void> {
  return new Promise((resolve) => {
    const done = () => setImmediate(resolve);
    if (msg.readableEnded || msg.destroyed) return done();
    msg.once("end", done);
    msg.once("close", done);
  });
}

/** The answer as a fetch Response; its body streams from the socket. */
async function toResponse(msg: IncomingMessage, method: string): Promise<Response> {
  const headers = new Headers();
  const raw = msg.rawHeaders;
  for (let i = 0; i + 1 < raw.length; i += 2) {
    try {
      headers.append(raw[i]!, raw[i + 1]!);
    } catch {
      // a header value fetch would not accept either: left out
    }
  }
  const status = msg.statusCode ?? 0;
  if (method === "HEAD" || status === 204 || status === 205 || status === 304) {
    msg.resume();
    await settled(msg);
    return new Response(null, { status, headers });
  }
  return new Response(webBody(msg), { status, headers });
}

/**
 * The body as a web stream, pulled: a chunk is read off the socket's buffer only when the
 * reader asks for one, so nothing is queued between (node:http holds the rest, and the socket
 * waits). A connection that closes midway fails the reader only after every byte that came
 * before the close was read: a download resumes from exactly there.
 * Cancelling it reads a small rest to its end (the socket is reused) or closes the connection.
 */
function webBody(msg: IncomingMessage): ReadableStream<Uint8Array> {
  let failed: Error | undefined;
  let ended = false;
  let received = 0;
  let wake: (() => void) | undefined;
  const poke = () => wake?.();
  msg.on("readable", poke);
  msg.on("end", () => {
    ended = true;
    poke();
  });
  msg.on("error", (err: Error) => {
    failed = err.message === "aborted" ? new Error("other side closed before the body was whole") : err;
    poke();
  });
  return new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        for (;;) {
          const chunk = msg.read() as Buffer | null;
          if (chunk) {
            received += chunk.length;
            controller.enqueue(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength));
            return;
          }
          if (failed) return controller.error(failed);
          if (ended) {
            // the reader sees the end once the socket is back in the pool
            await new Promise((resolve) => setImmediate(resolve));
            return controller.close();
          }
          await new Promise<void>((resolve) => {
            wake = resolve;
          });
          wake = undefined;
        }
      },
      cancel() {
        const length = Number(msg.headers["content-length"]);
        if (msg.complete || (Number.isFinite(length) && length - received <= DRAIN_LIMIT)) {
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
        return undefined;
      },
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

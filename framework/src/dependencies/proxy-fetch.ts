/**
 * A fetch that goes through the HTTP proxy the environment names, as curl, pip and npm do:
 * HTTP_PROXY for http:// URLs, HTTPS_PROXY (else HTTP_PROXY, as undici's agent does) for
 * https:// ones, hosts in NO_PROXY direct (the lower-case names win, as curl reads them).
 * Node's global fetch ignores these variables, so corporate networks that reach the
 * internet only through a proxy need this one.
 *
 * TLS to the origin is tunnelled (CONNECT), so the origin's certificate is checked against
 * Node's trust as always: NODE_EXTRA_CA_CERTS adds a company's CA.
 */
import { CnbError } from "../errors/index.js";

/** The proxy settings read from an environment. */
export interface ProxySettings {
  /** For http:// URLs. */
  httpProxy?: string;
  /** For https:// URLs. */
  httpsProxy?: string;
  /** Hosts (and `.domain` suffixes, `host:port`, `*`) reached directly, comma- or space-separated. */
  noProxy?: string;
}

/** The proxy settings of `env` (lower case first), or undefined when it names no proxy. */
export function proxySettings(
  env: Readonly<Record<string, string | undefined>> = process.env,
): ProxySettings | undefined {
  const read = (name: string) => (env[name.toLowerCase()] || env[name] || "").trim() || undefined;
  const s: ProxySettings = {};
  const httpProxy = read("HTTP_PROXY");
  const httpsProxy = read("HTTPS_PROXY");
  const noProxy = read("NO_PROXY");
  if (httpProxy) s.httpProxy = httpProxy;
  if (httpsProxy) s.httpsProxy = httpsProxy;
  if (noProxy) s.noProxy = noProxy;
  if (!s.httpProxy && !s.httpsProxy) return undefined;
  for (const [name, value] of [
    ["HTTP_PROXY", s.httpProxy],
    ["HTTPS_PROXY", s.httpsProxy],
  ] as const) {
    if (value !== undefined && !URL.canParse(withScheme(value))) {
      throw new CnbError(`${name}="${value}" is not a proxy URL`, { hint: "write it as http://host:port" });
    }
  }
  return s;
}

/** `host:port` as curl reads it: a proxy without a scheme is http://. */
function withScheme(proxy: string): string {
  return /^[a-z][a-z0-9+.-]*:\/\//i.test(proxy) ? proxy : `http://${proxy}`;
}

type Fetch = typeof fetch;

/**
 * A fetch for `env`'s proxy settings: the global fetch when there are none (nothing
 * changes, nothing extra loads), else undici's fetch through its EnvHttpProxyAgent. A
 * connection to the proxy that fails throws a one-line {@link CnbError} naming the proxy
 * and the variable, instead of a network error that names the origin.
 *
 * @example
 * const res = await envProxyFetch()("https://registry.npmjs.org/semver");
 */
export function envProxyFetch(env: Readonly<Record<string, string | undefined>> = process.env): typeof fetch {
  const settings = proxySettings(env);
  if (!settings) return fetch;
  let ready: Promise<Fetch> | undefined;
  const load = async (): Promise<Fetch> => {
    // undici is CommonJS: Node and a one-file bundle give its exports as names, but esbuild's
    // split bundle (the CLI's) gives a CommonJS chunk its exports as `default` alone, and
    // `module.exports` is `default` in all three.
    const undici = await import("undici");
    const { EnvHttpProxyAgent, fetch: undiciFetch } =
      (undici as unknown as { default?: typeof undici }).default ?? undici;
    const agent = new EnvHttpProxyAgent({
      httpProxy: settings.httpProxy && withScheme(settings.httpProxy),
      httpsProxy: settings.httpsProxy && withScheme(settings.httpsProxy),
      noProxy: settings.noProxy ?? "",
    });
    return ((input: Parameters<Fetch>[0], init?: Parameters<Fetch>[1]) =>
      undiciFetch(input as never, { ...(init as object), dispatcher: agent } as never)) as unknown as Fetch;
  };
  return (async (input: Parameters<Fetch>[0], init?: Parameters<Fetch>[1]) => {
    ready ??= load();
    const f = await ready;
    try {
      return await f(input, init);
    } catch (err) {
      throw proxyError(err, input, settings) ?? err;
    }
  }) as Fetch;
}

/** A CnbError when `err` is a failure to reach the proxy `url` would have used. */
function proxyError(err: unknown, input: Parameters<Fetch>[0], settings: ProxySettings): CnbError | undefined {
  const url = new URL(typeof input === "string" ? input : input instanceof URL ? input.href : input.url);
  // undici's EnvHttpProxyAgent sends https:// through HTTP_PROXY when HTTPS_PROXY is unset.
  const viaHttps = url.protocol === "https:" && settings.httpsProxy !== undefined;
  const name = viaHttps ? "HTTPS_PROXY" : "HTTP_PROXY";
  const proxy = viaHttps ? settings.httpsProxy : settings.httpProxy;
  if (!proxy) return undefined;
  const p = new URL(withScheme(proxy));
  const port = Number(p.port || (p.protocol === "https:" ? 443 : 80));
  for (let e: unknown = err, i = 0; e && i < 5; e = (e as { cause?: unknown }).cause, i++) {
    const c = e as { code?: string; port?: number; hostname?: string; syscall?: string };
    const toProxy = c.port === port || (c.syscall === "getaddrinfo" && c.hostname === p.hostname);
    if (
      c.code &&
      toProxy &&
      /^(ECONNREFUSED|ENOTFOUND|EAI_AGAIN|ETIMEDOUT|EHOSTUNREACH|ENETUNREACH|ECONNRESET)$/.test(c.code)
    ) {
      return new CnbError(`cannot reach the proxy ${p.host} (${name}) for ${url.host}: ${c.code}`, {
        hint: `check ${name}, or list ${url.hostname} in NO_PROXY to reach it directly`,
        cause: err,
      });
    }
  }
  return undefined;
}

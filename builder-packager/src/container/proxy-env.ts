/**
 * The host's proxy settings, handed to what runs in a container: the build (pack forwards
 * them the same way, and the lifecycle passes them on to buildpacks) and `base extend`'s
 * apt-get. Each of HTTP_PROXY, HTTPS_PROXY and NO_PROXY goes under both its names, since
 * curl and apt read the lower case and Go programs the upper; the lower case wins, as in
 * the framework's own downloads.
 */
import { connect } from "node:net";
import { CnbError } from "@cnbkit/framework";
import { proxySettings } from "@cnbkit/framework/dependencies";

const NAMES = ["HTTP_PROXY", "HTTPS_PROXY", "NO_PROXY"] as const;

/** `NAME=value` lines for a container's env: the proxy variables `env` sets, in both cases. */
export function proxyEnv(env: Readonly<Record<string, string | undefined>> = process.env): string[] {
  const out: string[] = [];
  for (const name of NAMES) {
    const value = (env[name.toLowerCase()] || env[name] || "").trim();
    if (value) out.push(`${name}=${value}`, `${name.toLowerCase()}=${value}`);
  }
  return out;
}

/**
 * Checks that the proxy `env` names for `url` accepts connections, so work that would reach
 * it only from inside a container (apt-get) fails first with one line naming it.
 *
 * @throws CnbError `cannot reach the proxy host:port (HTTP_PROXY) for <what>: ECONNREFUSED`
 */
export async function checkProxyReachable(
  url: string,
  what: string,
  env: Readonly<Record<string, string | undefined>> = process.env,
): Promise<void> {
  const settings = proxySettings(env);
  const target = new URL(url);
  const name = target.protocol === "https:" ? "HTTPS_PROXY" : "HTTP_PROXY";
  const proxy = target.protocol === "https:" ? settings?.httpsProxy : settings?.httpProxy;
  if (!proxy || bypassed(target.hostname, settings?.noProxy)) return;
  const p = new URL(/^[a-z][a-z0-9+.-]*:\/\//i.test(proxy) ? proxy : `http://${proxy}`);
  const port = Number(p.port || (p.protocol === "https:" ? 443 : 80));
  const code = await new Promise<string | undefined>((resolve) => {
    const s = connect({ host: p.hostname.replace(/^\[|\]$/g, ""), port, timeout: 10_000 });
    s.once("connect", () => {
      s.destroy();
      resolve(undefined);
    });
    s.once("timeout", () => {
      s.destroy();
      resolve("ETIMEDOUT");
    });
    s.once("error", (err: NodeJS.ErrnoException) => resolve(err.code ?? err.message));
  });
  if (code) {
    throw new CnbError(`cannot reach the proxy ${p.host} (${name}) for ${what}: ${code}`, {
      hint: `check ${name}, or list ${target.hostname} in NO_PROXY to reach it directly`,
    });
  }
}

/** True when NO_PROXY (`*`, hosts, `.domain` suffixes, `host:port`) sends `host` direct. */
function bypassed(host: string, noProxy: string | undefined): boolean {
  return (noProxy ?? "")
    .split(/[\s,]+/)
    .filter(Boolean)
    .some((entry) => {
      const name = entry.replace(/:\d+$/, "").replace(/^\*?\./, "");
      return entry === "*" || host === name || host.endsWith(`.${name}`);
    });
}

/** The proxy settings a build container and base extend's apt-get get, and the check that names a dead proxy. */
import { createServer } from "node:net";
import { describe, expect, test } from "vitest";
import { checkProxyReachable, proxyEnv } from "./proxy-env.js";

describe("proxyEnv", () => {
  test("each set variable under both names, the lower case winning; nothing when none is set", () => {
    expect(
      proxyEnv({
        HTTP_PROXY: "http://upper:1",
        http_proxy: "http://lower:2",
        HTTPS_PROXY: "proxy:3",
        no_proxy: ".corp",
      }),
    ).toEqual([
      "HTTP_PROXY=http://lower:2",
      "http_proxy=http://lower:2",
      "HTTPS_PROXY=proxy:3",
      "https_proxy=proxy:3",
      "NO_PROXY=.corp",
      "no_proxy=.corp",
    ]);
    expect(proxyEnv({ PATH: "/bin", HTTP_PROXY: " " })).toEqual([]);
  });
});

describe("checkProxyReachable", () => {
  test("a proxy that accepts passes; a closed port is one line naming it, the variable and the host", async () => {
    const server = createServer((s) => s.destroy());
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    const port = (server.address() as { port: number }).port;
    try {
      await checkProxyReachable("http://deb.debian.org/debian", "apt-get", { http_proxy: `127.0.0.1:${port}` });
    } finally {
      await new Promise((r) => server.close(r));
    }
    const err = await checkProxyReachable("http://deb.debian.org/debian", "apt-get", {
      HTTP_PROXY: `http://127.0.0.1:${port}`,
    }).catch((e: Error & { hint?: string }) => e);
    expect((err as Error).message).toBe(
      `cannot reach the proxy 127.0.0.1:${port} (HTTP_PROXY) for apt-get: ECONNREFUSED`,
    );
    expect((err as { hint?: string }).hint).toBe(
      "check HTTP_PROXY, or list deb.debian.org in NO_PROXY to reach it directly",
    );
  });

  test("no proxy for the scheme, or the host in NO_PROXY: nothing is checked", async () => {
    const dead = { HTTP_PROXY: "http://127.0.0.1:1" };
    await checkProxyReachable("https://deb.debian.org/debian", "apt-get", dead);
    await checkProxyReachable("http://deb.debian.org/debian", "apt-get", {
      ...dead,
      NO_PROXY: "localhost,.debian.org",
    });
    await checkProxyReachable("http://deb.debian.org/debian", "apt-get", { ...dead, no_proxy: "*" });
    await checkProxyReachable("http://deb.debian.org/debian", "apt-get", {});
  });
});

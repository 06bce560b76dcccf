import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { Readable } from "node:stream";
import { afterEach, describe, expect, test } from "vitest";
import { proxySettings } from "@cnbkit/framework/dependencies";
import { registryHttp, requestTarget, usesProxy } from "./registry-http.js";

const servers: Server[] = [];
afterEach(async () => {
  for (const s of servers.splice(0)) {
    s.closeAllConnections();
    await new Promise((res) => s.close(res));
  }
});

/** A loopback server; counts the connections it accepted. */
async function serve(handler: (req: IncomingMessage, res: ServerResponse) => void) {
  const server = createServer(handler);
  servers.push(server);
  let connections = 0;
  server.on("connection", () => connections++);
  await new Promise<void>((res) => server.listen(0, "127.0.0.1", res));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return { base, connections: () => connections };
}

describe("a keep-alive pool", () => {
  test("many requests in a row, read or cancelled, go over one connection", async () => {
    const body = JSON.stringify({ ok: true, pad: "x".repeat(2000) });
    // (node:http's server closes the connection after a HEAD answered with a body: none here)
    const s = await serve((req, res) =>
      req.method === "HEAD" ? res.writeHead(200, { "content-length": String(body.length) }).end() : res.end(body),
    );
    const send = registryHttp({ maxSockets: 4 });
    for (let i = 0; i < 10; i++) {
      const res = await send(`${s.base}/v2/`, { method: "GET", headers: {} });
      expect(res.status).toBe(200);
      if (i % 2) await res.body?.cancel();
      else expect(((await res.json()) as { ok: boolean }).ok).toBe(true);
      const head = await send(`${s.base}/v2/`, { method: "HEAD", headers: {} });
      expect(head.body).toBeNull();
    }
    expect(s.connections()).toBe(1);
  });

  test("at most maxSockets connections for requests in flight at once", async () => {
    const s = await serve((_req, res) => setTimeout(() => res.end("ok"), 20));
    const send = registryHttp({ maxSockets: 3 });
    const answers = await Promise.all(
      Array.from({ length: 12 }, async () => (await send(`${s.base}/x`, { method: "GET", headers: {} })).text()),
    );
    expect(answers).toEqual(Array(12).fill("ok"));
    expect(s.connections()).toBe(3);
  });

  test("an upload streams its body; the server gets every byte", async () => {
    const s = await serve((req, res) => {
      let n = 0;
      req.on("data", (c: Buffer) => (n += c.length));
      req.on("end", () => res.writeHead(201, { "x-got": String(n) }).end());
    });
    const body = Readable.from([Buffer.alloc(300_000, 1), Buffer.alloc(5, 2)]);
    const res = await registryHttp()(`${s.base}/up`, { method: "PUT", headers: { "content-length": "300005" }, body });
    expect([res.status, res.headers.get("x-got")]).toEqual([201, "300005"]);
  });
});

describe("redirects", () => {
  test("are followed; Authorization goes along to the same origin only", async () => {
    const storage = await serve((req, res) => res.end(`storage auth=${req.headers.authorization ?? "none"}`));
    const reg = await serve((req, res) => {
      if (req.url === "/v2/r/blobs/local") return res.writeHead(307, { location: "/store/local" }).end();
      if (req.url === "/v2/r/blobs/away") return res.writeHead(307, { location: `${storage.base}/b` }).end();
      res.end(`registry ${req.url} auth=${req.headers.authorization ?? "none"}`);
    });
    const send = registryHttp();
    const headers = { authorization: "Bearer t" };
    expect(await (await send(`${reg.base}/v2/r/blobs/local`, { method: "GET", headers })).text()).toBe(
      "registry /store/local auth=Bearer t",
    );
    expect(await (await send(`${reg.base}/v2/r/blobs/away`, { method: "GET", headers })).text()).toBe(
      "storage auth=none",
    );
  });
});

describe("faults", () => {
  test("a body cut short fails its reader as a cut, not a reset (no ECONNRESET code)", async () => {
    const s = await serve((_req, res) => {
      res.writeHead(200, { "content-length": "100000" });
      res.write(Buffer.alloc(1000));
      setTimeout(() => res.socket?.destroy(), 20);
    });
    const res = await registryHttp()(`${s.base}/blob`, { method: "GET", headers: {} });
    const err = await res.arrayBuffer().then(
      () => undefined,
      (e: Error) => e,
    );
    expect(err?.message).toMatch(/other side closed/);
    expect((err as { code?: string }).code).toBeUndefined();
  });

  test("a refused connection rejects with ECONNREFUSED", async () => {
    const s = await serve((_req, res) => res.end());
    const url = `${s.base}/v2/`;
    await new Promise((res) => servers.pop()!.close(res));
    const err = await registryHttp()(url, { method: "GET", headers: {} }).then(
      () => undefined,
      (e: { code?: string }) => e,
    );
    expect(err?.code).toBe("ECONNREFUSED");
  });

  test("an abort signal ends a request that gets no answer", async () => {
    const s = await serve(() => {}); // never answers
    const controller = new AbortController();
    setTimeout(() => controller.abort(new Error("stalled")), 30);
    const err = await registryHttp()(`${s.base}/v2/`, { method: "GET", headers: {}, signal: controller.signal }).then(
      () => undefined,
      (e: Error) => e,
    );
    expect(err?.name).toBe("AbortError");
  });
});

describe("usesProxy", () => {
  const cases: [Record<string, string>, string, boolean][] = [
    [{ HTTPS_PROXY: "http://p:3128" }, "https://registry.corp/v2/", true],
    [{ HTTPS_PROXY: "http://p:3128" }, "http://127.0.0.1:5000/v2/", false],
    [{ HTTP_PROXY: "http://p:3128" }, "https://registry.corp/v2/", true],
    [{ HTTPS_PROXY: "http://p:3128", NO_PROXY: "registry.corp" }, "https://registry.corp/v2/", false],
    [{ HTTPS_PROXY: "http://p:3128", NO_PROXY: ".corp" }, "https://registry.corp/v2/", false],
    [{ HTTPS_PROXY: "http://p:3128", NO_PROXY: "*.corp" }, "https://a.registry.corp/v2/", false],
    [{ HTTPS_PROXY: "http://p:3128", NO_PROXY: "other.corp,127.0.0.1" }, "https://registry.corp/v2/", true],
    [{ HTTPS_PROXY: "http://p:3128", NO_PROXY: "127.0.0.1:5000" }, "https://127.0.0.1:5000/v2/", false],
    [{ HTTPS_PROXY: "http://p:3128", NO_PROXY: "127.0.0.1:6000" }, "https://127.0.0.1:5000/v2/", true],
    [{ HTTPS_PROXY: "http://p:3128", NO_PROXY: "*" }, "https://registry.corp/v2/", false],
    [{ HTTPS_PROXY: "http://p:3128", NO_PROXY: "::1" }, "https://[::1]:5000/v2/", false],
  ];
  test.each(cases)("%o for %s: %s", (env, url, expected) => {
    expect(usesProxy(new URL(url), proxySettings(env))).toBe(expected);
  });

  test("a URL a proxy applies to goes through it (the proxy-aware fetch names an unreachable one)", async () => {
    const send = registryHttp({ env: { HTTPS_PROXY: "http://127.0.0.1:9" } });
    const err = await send("https://registry.corp/v2/", { method: "GET", headers: {} }).then(
      () => undefined,
      (e: Error) => e,
    );
    expect(err?.message).toMatch(/^cannot reach the proxy 127\.0\.0\.1:9 \(HTTPS_PROXY\) for registry\.corp/);
  });
});

describe("requestTarget", () => {
  // What node:http made of a WHATWG URL before: the fast path must give the same for the URLs
  // it takes, and the rest must still go through URL's normalisation.
  const viaUrl = (url: string) => {
    const u = new URL(url);
    return {
      protocol: u.protocol,
      hostname: u.hostname.replace(/^\[|\]$/g, ""),
      ...(u.port ? { port: Number(u.port) } : {}),
      path: `${u.pathname}${u.search}`,
    };
  };
  test.each([
    "http://127.0.0.1:5000/v2/",
    "http://127.0.0.1:5000/v2/f0/apps/app-1/manifests/v3",
    "https://registry.corp/v2/a/b/blobs/sha256:0123abcd?digest=sha256%3Aab&n=100",
    "https://registry.corp:443/v2/x/tags/list?n=1000&last=b",
    "http://registry.corp:80/v2/",
    "http://[::1]:5000/v2/x/manifests/latest",
    "http://Registry.Corp:5000/v2/",
    "http://127.0.0.1:5000/v2/a/../b/manifests/x",
    "http://127.0.0.1:5000/v2/a b/manifests/x",
    "http://127.0.0.1:5000/v2/x?q='a'",
    "http://127.0.0.1:5000/v2/x#frag",
  ])("%s", (url) => {
    expect(requestTarget(url)).toEqual(viaUrl(url));
  });

  test("only http and https", () => {
    expect(() => requestTarget("ftp://host/x")).toThrow(/not an http\(s\) URL/);
  });
});

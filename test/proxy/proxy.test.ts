/**
 * Downloads honour HTTP_PROXY, HTTPS_PROXY and NO_PROXY: the framework's dependency download
 * (what buildpacks run in the build container) and the CLI's registry client, through a real
 * tinyproxy on loopback. The upstream answers only connections from the proxy's outgoing
 * address, so a client that bypasses the proxy gets 403 and the test fails; the proxy's log
 * shows the requests too. An unreachable proxy is one line naming it.
 */
import { createHash } from "node:crypto";
import { readFile, rm } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { download } from "@cnbkit/framework/dependencies";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { RegistryClient } from "../../builder-packager/src/oci/registry.js";
import { freePort, onlyViaProxy, startTinyproxy, type TestProxy } from "../support/tinyproxy.js";

const BODY = Buffer.from("a dependency's bytes\n".repeat(1000));
const SHA = createHash("sha256").update(BODY).digest("hex");

let proxy: TestProxy;
let upstream: Server;
let origin = "";
const dirs: string[] = [];

beforeAll(async () => {
  proxy = await startTinyproxy();
  upstream = createServer(
    onlyViaProxy((req, res) => {
      if (req.url === "/dep.bin") res.writeHead(200, { "content-length": BODY.length }).end(BODY);
      else if (req.url === "/v2/") res.writeHead(200, { "content-type": "application/json" }).end("{}");
      else res.writeHead(404).end();
    }),
  );
  await new Promise<void>((r) => upstream.listen(0, "127.0.0.1", r));
  origin = `127.0.0.1:${(upstream.address() as { port: number }).port}`;
});

afterAll(async () => {
  await proxy?.stop();
  await new Promise((r) => upstream?.close(r));
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

function dest(): string {
  const d = join(tmpdir(), `cnbkit-proxy-dl-${process.pid}-${dirs.length}`);
  dirs.push(d);
  return d;
}

const dep = () => ({ id: "dep", version: "1.0.0", uri: `http://${origin}/dep.bin`, sha256: SHA });
const quick = { retries: 0, minBackoffMs: 1 };

describe("framework dependency downloads", () => {
  test("go through HTTP_PROXY (and the proxy's log shows it); without it the upstream refuses", async () => {
    const file = await download(dep(), dest(), { env: { HTTP_PROXY: proxy.url }, ...quick });
    expect(await readFile(file)).toEqual(BODY);
    expect(await proxy.log()).toContain(origin);
    // The guard works: a direct request is refused, so a bypassing client would fail above.
    await expect(download(dep(), dest(), { env: {}, ...quick })).rejects.toThrow(/returned 403/);
  });

  test("lower-case http_proxy wins over HTTP_PROXY; NO_PROXY sends the host direct", async () => {
    const file = await download(dep(), dest(), {
      env: { http_proxy: proxy.url, HTTP_PROXY: "http://127.0.0.1:1" },
      ...quick,
    });
    expect(await readFile(file)).toEqual(BODY);
    await expect(
      download(dep(), dest(), { env: { HTTP_PROXY: proxy.url, NO_PROXY: "127.0.0.1" }, ...quick }),
    ).rejects.toThrow(/returned 403/);
  });

  test("an unreachable proxy fails at once with one line naming it and the variable", async () => {
    const port = await freePort();
    const err = await download(dep(), dest(), { env: { HTTP_PROXY: `http://127.0.0.1:${port}` } }).catch(
      (e: Error & { hint?: string }) => e,
    );
    expect((err as Error).message).toBe(
      `cannot reach the proxy 127.0.0.1:${port} (HTTP_PROXY) for ${origin}: ECONNREFUSED`,
    );
    expect((err as { hint?: string }).hint).toBe(
      "check HTTP_PROXY, or list 127.0.0.1 in NO_PROXY to reach it directly",
    );
  });
});

describe("the CLI's registry client", () => {
  const saved = { ...process.env };
  afterAll(() => {
    for (const k of ["HTTP_PROXY", "http_proxy", "NO_PROXY", "no_proxy"]) {
      if (saved[k] === undefined) delete process.env[k];
      else process.env[k] = saved[k];
    }
  });

  test("pings a registry through http_proxy; an unreachable proxy is one line", async () => {
    process.env.http_proxy = proxy.url;
    const before = (await proxy.log()).split("\n").length;
    await new RegistryClient(origin, { attempts: 1 }).ping();
    expect(
      (await proxy.log())
        .split("\n")
        .slice(before - 1)
        .join("\n"),
    ).toContain(origin);

    const port = await freePort();
    process.env.http_proxy = `http://127.0.0.1:${port}`;
    await expect(new RegistryClient(origin, { attempts: 1 }).ping()).rejects.toThrow(
      `cannot reach the proxy 127.0.0.1:${port} (HTTP_PROXY) for ${origin}: ECONNREFUSED`,
    );
    // Straight to the upstream, which answers only the proxy's address: refused. The client says
    // a 403 as "requires credentials" when ~/.docker/config.json has none for it, else with the 403.
    delete process.env.http_proxy;
    await expect(new RegistryClient(origin, { attempts: 1 }).ping()).rejects.toThrow(/403|requires credentials/);
  });
});

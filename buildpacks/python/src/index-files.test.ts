import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { indexFiles, pageFiles } from "./index-files.js";

/** What the local index saw: each request's path and headers. */
const seen: { path: string; accept: string; authorization: string | undefined }[] = [];
let server: Server;
let base = "";

const JSON_PAGE = JSON.stringify({
  meta: { "api-version": "1.1" },
  name: "orjson",
  files: [
    { filename: "orjson-3.10.4-cp311-cp311-manylinux_2_17_x86_64.manylinux2014_x86_64.whl", url: "x" },
    { filename: "orjson-3.10.4-cp312-cp312-manylinux_2_17_x86_64.manylinux2014_x86_64.whl", url: "x" },
    { filename: "orjson-3.10.4.tar.gz", url: "x" },
    { filename: "orjson-3.10.5-cp313-cp313-manylinux_2_17_x86_64.manylinux2014_x86_64.whl", url: "x" },
    { filename: "orjson-3.10.4-cp313-cp313-manylinux_2_17_x86_64.whl", url: "x", yanked: "broken" },
  ],
});
const HTML_PAGE = `<!DOCTYPE html><html><body>
<a href="../../files/httptools-0.6.1-cp311-cp311-manylinux_2_17_x86_64.whl#sha256=ab">httptools-0.6.1-cp311-cp311-manylinux_2_17_x86_64.whl</a><br/>
<a href="../../files/httptools-0.6.1.tar.gz#sha256=cd">httptools-0.6.1.tar.gz</a><br/>
<a href="../../files/httptools-0.6.4-cp313-cp313-manylinux_2_17_x86_64.whl#sha256=ef" data-requires-python="&gt;=3.8">httptools-0.6.4-cp313-cp313-manylinux_2_17_x86_64.whl</a><br/>
</body></html>`;

beforeAll(async () => {
  server = createServer((req: IncomingMessage, res) => {
    const path = req.url ?? "";
    seen.push({ path, accept: String(req.headers.accept), authorization: req.headers.authorization });
    setImmediate(() => {
      if (path.startsWith("/simple/orjson/")) {
        res.writeHead(200, { "content-type": "application/vnd.pypi.simple.v1+json" }).end(JSON_PAGE);
      } else if (path.startsWith("/simple/httptools/")) {
        res.writeHead(200, { "content-type": "text/html" }).end(HTML_PAGE);
      } else if (path.startsWith("/simple/hangs/")) {
        // Never answered: the client's timeout ends it (the server closes it at the end).
      } else if (/^\/simple\/pkg-\d+\/$/.test(path)) {
        res.writeHead(200, { "content-type": "application/vnd.pypi.simple.v1+json" }).end('{"files":[]}');
      } else {
        res.writeHead(404).end("not found");
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/simple`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

describe("indexFiles", () => {
  test("each pin's wheels at its version, from PEP 691 JSON or the HTML page; yanked files and sdists left out", async () => {
    const got = await indexFiles(
      `${base}/`,
      [
        { name: "orjson", version: "3.10.4" },
        { name: "HTTPTools", version: "0.6.1", marker: 'sys_platform != "win32"' },
      ],
      { fetch },
    );
    expect(got).toEqual([
      {
        name: "orjson",
        version: "3.10.4",
        files: [
          "orjson-3.10.4-cp311-cp311-manylinux_2_17_x86_64.manylinux2014_x86_64.whl",
          "orjson-3.10.4-cp312-cp312-manylinux_2_17_x86_64.manylinux2014_x86_64.whl",
        ],
      },
      {
        name: "HTTPTools",
        version: "0.6.1",
        marker: 'sys_platform != "win32"',
        files: ["httptools-0.6.1-cp311-cp311-manylinux_2_17_x86_64.whl"],
      },
    ]);
    const asked = seen.filter((s) => s.path === "/simple/httptools/");
    expect(asked).toHaveLength(1);
    expect(asked[0]!.accept).toMatch(/^application\/vnd\.pypi\.simple\.v1\+json, text\/html;q=0\.1$/);
  });

  test("credentials in the index URL go as Basic authorization", async () => {
    const withAuth = base.replace("http://", "http://me:s%40cret@");
    await indexFiles(withAuth, [{ name: "orjson", version: "3.10.4" }], { fetch });
    expect(seen.at(-1)!.authorization).toBe(`Basic ${Buffer.from("me:s@cret").toString("base64")}`);
  });

  test("no more requests at once than asked", async () => {
    // Counted where they are sent: a request is pending from the call until its answer.
    let pending = 0;
    let most = 0;
    const counting = (async (input: Parameters<typeof fetch>[0], init?: Parameters<typeof fetch>[1]) => {
      pending++;
      most = Math.max(most, pending);
      try {
        return await fetch(input, init);
      } finally {
        pending--;
      }
    }) as typeof fetch;
    const pins = Array.from({ length: 12 }, (_, i) => ({ name: `pkg-${i}`, version: "1.0" }));
    const got = await indexFiles(base, pins, { fetch: counting, concurrency: 3 });
    expect(got.map((p) => p.files)).toEqual(pins.map(() => []));
    expect(seen.filter((s) => s.path.startsWith("/simple/pkg-"))).toHaveLength(12);
    expect(most).toBe(3);
  });

  test("a package the index does not have, or an answer that never comes, rejects", async () => {
    await expect(indexFiles(base, [{ name: "nowhere", version: "1.0" }], { fetch })).rejects.toThrow(/answered 404/);
    await expect(indexFiles(base, [{ name: "hangs", version: "1.0" }], { fetch, timeoutMs: 200 })).rejects.toThrow();
  });
});

describe("pageFiles", () => {
  test("an HTML page's anchor texts, yanked ones left out", () => {
    const html = '<a href="a.whl">a-1-py3-none-any.whl</a><a href="b.whl" data-yanked="">b-1-py3-none-any.whl</a>';
    expect(pageFiles(html, "text/html")).toEqual(["a-1-py3-none-any.whl"]);
  });
});

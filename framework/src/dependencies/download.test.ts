import { createHash } from "node:crypto";
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, test } from "vitest";
import { cnbFailure } from "./test-failure.js";
import { memoryBinding } from "../environment/index.js";
import { type DownloadOptions, download } from "./download.js";
import { fetchLine } from "./fetch-line.js";
import { applyMirror, mirrorEnvName, redactUri, resolveUri } from "./mirrors.js";

const body = Buffer.from("node binary ".repeat(5000));
const sha = createHash("sha256").update(body).digest("hex");

/** A real HTTP server on 127.0.0.1 with one route per behaviour; counts requests per path. */
let server: Server;
let base: string;
const hits = new Map<string, number>();
const handlers: Record<string, (req: IncomingMessage, res: ServerResponse, n: number) => void> = {
  "/ok/node.tgz": (_q, res) => res.end(body),
  "/missing/node.tgz": (_q, res) => {
    res.statusCode = 404;
    res.end("nope");
  },
  "/forbidden/node.tgz": (_q, res) => {
    res.statusCode = 403;
    res.end();
  },
  "/flaky/node.tgz": (_q, res, n) => {
    if (n <= 2) {
      res.statusCode = 500;
      res.end("oops");
    } else res.end(body);
  },
  "/down/node.tgz": (_q, res) => {
    res.statusCode = 503;
    res.end();
  },
  "/busy/node.tgz": (_q, res, n) => {
    if (n === 1) {
      res.writeHead(429, { "retry-after": "7" });
      res.end();
    } else res.end(body);
  },
  "/reset/node.tgz": (_q, res, n) => {
    if (n === 1) {
      res.writeHead(200, { "content-length": body.length });
      res.write(body.subarray(0, 1000), () => res.socket?.destroy());
    } else res.end(body);
  },
  "/stall/node.tgz": (_q, res, n) => {
    res.writeHead(200, { "content-length": body.length });
    if (n === 1) res.write(body.subarray(0, 1000));
    else res.end(body);
  },
  "/slow/node.tgz": (_q, res) => {
    res.writeHead(200, { "content-length": body.length });
    let i = 0;
    const step = Math.ceil(body.length / 5);
    const next = () => {
      if (i >= body.length) return void res.end();
      res.write(body.subarray(i, i + step));
      i += step;
      setTimeout(next, 20);
    };
    next();
  },
  "/wrong/node.tgz": (_q, res) => res.end(Buffer.from("not what you expected")),
  "/mirror/example.org/dist/v24/node.tgz": (_q, res) => res.end(body),
  "/mapped/anything.tgz": (_q, res) => res.end(body),
};

beforeAll(async () => {
  server = createServer((req, res) => {
    const path = new URL(req.url ?? "/", "http://x").pathname;
    const n = (hits.get(path) ?? 0) + 1;
    hits.set(path, n);
    const h = handlers[path];
    if (h) h(req, res, n);
    else {
      res.statusCode = 404;
      res.end();
    }
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
});

let dir: string;
let lines: string[];
let sleeps: number[];
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "cnbkit-dl-"));
  lines = [];
  sleeps = [];
  hits.clear();
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

function opts(extra: Partial<DownloadOptions> = {}): DownloadOptions {
  return {
    env: {},
    retries: 3,
    minBackoffMs: 5,
    log: {
      detail: (t) => lines.push(t),
      warn: (t) => lines.push(`WARN ${t}`),
    },
    sleep: async (ms) => {
      sleeps.push(ms);
    },
    ...extra,
  };
}

const dep = (path: string, sha256 = sha) => ({ id: "node", version: "24.11.1", uri: `${base}${path}`, sha256 });
const out = () => join(dir, "out");

describe("download", () => {
  test("200 OK: the verified file lands under its URI name, nothing else is left", async () => {
    const file = await download(dep("/ok/node.tgz"), out(), opts());
    expect(file).toBe(join(out(), "node.tgz"));
    expect(await readFile(file)).toEqual(body);
    expect(await readdir(out())).toEqual(["node.tgz"]);
    expect(lines[0]).toBe(`Downloading node 24.11.1 from ${base}/ok/node.tgz`);
  });

  test("404: one line with the URI, a hint about mirrors, no retry, no file", async () => {
    const err = await cnbFailure(download(dep("/missing/node.tgz"), out(), opts()));
    expect(err.message).toBe(`node 24.11.1: ${base}/missing/node.tgz returned 404 Not Found`);
    expect(err.hint).toContain("BP_DEPENDENCY_MIRROR");
    expect(hits.get("/missing/node.tgz")).toBe(1);
    expect(await readdir(out())).toEqual([]);
  });

  test("403 is not retried either", async () => {
    const err = await cnbFailure(download(dep("/forbidden/node.tgz"), out(), opts()));
    expect(err.message).toBe(`node 24.11.1: ${base}/forbidden/node.tgz returned 403 Forbidden`);
    expect(hits.get("/forbidden/node.tgz")).toBe(1);
  });

  test("500 twice, then success: retried with exponential back-off", async () => {
    const file = await download(dep("/flaky/node.tgz"), out(), opts());
    expect(await readFile(file)).toEqual(body);
    expect(hits.get("/flaky/node.tgz")).toBe(3);
    expect(sleeps).toEqual([5, 10]);
    expect(lines.filter((l) => l.startsWith("WARN"))).toHaveLength(2);
  });

  test("503 forever: gives up after the bounded retries with one line", async () => {
    const err = await cnbFailure(download(dep("/down/node.tgz"), out(), opts({ retries: 2 })));
    expect(err.message).toBe(`node 24.11.1: ${base}/down/node.tgz returned 503 Service Unavailable (3 attempts)`);
    expect(hits.get("/down/node.tgz")).toBe(3);
    expect(await readdir(out())).toEqual([]);
  });

  test("429 honours Retry-After, capped by maxBackoffMs", async () => {
    await download(dep("/busy/node.tgz"), out(), opts());
    expect(sleeps).toEqual([7000]);
    sleeps.length = 0;
    hits.clear();
    await download(dep("/busy/node.tgz"), join(dir, "again"), opts({ maxBackoffMs: 250 }));
    expect(sleeps).toEqual([250]);
  });

  test("connection reset mid-body, then success", async () => {
    const file = await download(dep("/reset/node.tgz"), out(), opts());
    expect(await readFile(file)).toEqual(body);
    expect(hits.get("/reset/node.tgz")).toBe(2);
    expect(lines.some((l) => l.includes("broke off") || l.includes("ended after"))).toBe(true);
  });

  test("a stalled body is aborted after idleTimeoutMs and retried", async () => {
    const file = await download(dep("/stall/node.tgz"), out(), opts({ idleTimeoutMs: 200 }));
    expect(await readFile(file)).toEqual(body);
    expect(hits.get("/stall/node.tgz")).toBe(2);
    expect(lines.some((l) => l.includes("no data from 127.0.0.1"))).toBe(true);
  });

  test("a slow body completes and reports progress in plain lines", async () => {
    await download(dep("/slow/node.tgz"), out(), opts({ progressIntervalMs: 0 }));
    const progress = lines.filter((l) => /^\d+% \(/.test(l));
    expect(progress.length).toBeGreaterThan(1);
    expect(progress.at(-1)).toMatch(/^100% \(59 KiB of 59 KiB\)$/);
    expect(lines.at(-1)).toBe("Downloaded 59 KiB");
  });

  test("checksum mismatch: expected and actual in one line, no file left", async () => {
    const wrong = createHash("sha256").update("not what you expected").digest("hex");
    const err = await cnbFailure(download(dep("/wrong/node.tgz"), out(), opts()));
    expect(err.message).toBe(`node 24.11.1: sha256 mismatch for ${base}/wrong/node.tgz: expected ${sha}, got ${wrong}`);
    expect(await readdir(out())).toEqual([]);
  });

  test("unreachable host: one line naming the host", async () => {
    const closed = createServer();
    await new Promise<void>((r) => closed.listen(0, "127.0.0.1", r));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((r) => closed.close(r));
    const err = await cnbFailure(
      download({ ...dep(""), uri: `http://127.0.0.1:${port}/node.tgz` }, out(), opts({ retries: 1 })),
    );
    expect(err.message).toBe(
      `node 24.11.1: cannot reach 127.0.0.1:${port} (ECONNREFUSED) while downloading http://127.0.0.1:${port}/node.tgz (2 attempts)`,
    );
    expect(err.message).not.toContain("\n");
  });

  test("BP_DEPENDENCY_MIRROR with {originalHost} rewrites scheme and host, keeps the path", async () => {
    const d = { ...dep(""), uri: "https://example.org/dist/v24/node.tgz" };
    const file = await download(d, out(), opts({ env: { BP_DEPENDENCY_MIRROR: `${base}/mirror/{originalHost}` } }));
    expect(await readFile(file)).toEqual(body);
    expect(hits.get("/mirror/example.org/dist/v24/node.tgz")).toBe(1);
    expect(lines[0]).toBe(
      `Downloading node 24.11.1 from ${base}/mirror/example.org/dist/v24/node.tgz (mirror from BP_DEPENDENCY_MIRROR)`,
    );
  });

  test("a dependency-mapping binding maps the sha256 to another URI", async () => {
    const d = { ...dep(""), uri: "https://unreachable.invalid/node.tgz" };
    const mapping = memoryBinding("deps", "dependency-mapping", { [sha]: `${base}/mapped/anything.tgz\n` });
    const file = await download(d, out(), opts({ bindings: [mapping] }));
    expect(file).toBe(join(out(), "node.tgz"));
    expect(hits.get("/mapped/anything.tgz")).toBe(1);
  });

  test("the log line: a URL is downloaded, a local file copied, a file the buildpack carries named alone", () => {
    expect(fetchLine("node 24.11.1", "https://nodejs.org/dist/node.tgz", "https://nodejs.org/dist/node.tgz", "")).toBe(
      "Downloading node 24.11.1 from https://nodejs.org/dist/node.tgz",
    );
    expect(fetchLine("node 24.11.1", "file:///mirror/node.tgz", "file:///mirror/node.tgz", " (mirror from X)")).toBe(
      "Copying node 24.11.1 from file:///mirror/node.tgz (mirror from X)",
    );
    const carried = `file:///cnb/buildpacks/acme_node/1.0.0/dependencies/${"a".repeat(64)}/node-v24.11.1-linux-x64.tar.gz`;
    expect(fetchLine("node 24.11.1", carried, carried, "")).toBe(
      "Copying node 24.11.1 from the buildpack (node-v24.11.1-linux-x64.tar.gz)",
    );
  });

  test("file:// URIs are verified too", async () => {
    const src = join(dir, "offline", "node.tgz");
    await mkdir(join(dir, "offline"));
    await writeFile(src, body);
    const file = await download({ ...dep(""), uri: pathToFileURL(src).href }, out(), opts());
    expect(await readFile(file)).toEqual(body);
    await writeFile(src, "tampered");
    const err = await cnbFailure(download({ ...dep(""), uri: pathToFileURL(src).href }, join(dir, "o2"), opts()));
    expect(err.message).toContain("sha256 mismatch for file://");
    expect(await readdir(join(dir, "o2"))).toEqual([]);
  });

  test("inPlace: a file:// source is verified where it is and not copied; a damaged one is one line", async () => {
    const src = join(dir, "carried", "node.tgz");
    await mkdir(join(dir, "carried"));
    await writeFile(src, body);
    const dest = join(dir, "in-place");
    const file = await download({ ...dep(""), uri: pathToFileURL(src).href }, dest, opts({ inPlace: true }));
    expect(file).toBe(src);
    expect(await readdir(dest)).toEqual([]);
    await writeFile(src, "tampered");
    const err = await cnbFailure(download({ ...dep(""), uri: pathToFileURL(src).href }, dest, opts({ inPlace: true })));
    expect(err.message).toMatch(
      /^node 24\.11\.1: sha256 mismatch for file:\/\/.*node\.tgz: expected [0-9a-f]{64}, got [0-9a-f]{64}$/,
    );
    expect(err.hint).toBe("The buildpack's copy of the dependency is damaged; package the buildpack again.");
    // An https source is still downloaded into destDir.
    const fetched = await download(dep("/ok/node.tgz"), join(dir, "in-place-https"), opts({ inPlace: true }));
    expect(fetched).toBe(join(dir, "in-place-https", "node.tgz"));
  });

  test("cacheDir: a verified cached file is reused without contacting the server", async () => {
    const cacheDir = join(dir, "cache");
    await download(dep("/ok/node.tgz"), join(dir, "a"), opts({ cacheDir }));
    expect(await readdir(cacheDir)).toEqual([sha]);
    const file = await download(dep("/ok/node.tgz"), join(dir, "b"), opts({ cacheDir }));
    expect(await readFile(file)).toEqual(body);
    expect(hits.get("/ok/node.tgz")).toBe(1);
    expect(lines.some((l) => l.startsWith("Reusing cached download of node 24.11.1"))).toBe(true);
    // A corrupted cache entry is not trusted.
    await writeFile(join(cacheDir, sha), "corrupt");
    await download(dep("/ok/node.tgz"), join(dir, "c"), opts({ cacheDir }));
    expect(hits.get("/ok/node.tgz")).toBe(2);
    expect(await readFile(join(cacheDir, sha))).toEqual(body);
  });

  test("a bad sha256 in the request is refused before any I/O", async () => {
    const err = await cnbFailure(download(dep("/ok/node.tgz", "abc"), out(), opts()));
    expect(err.message).toBe('node 24.11.1: sha256 "abc" is not a 64-character hex sha256');
    expect(hits.size).toBe(0);
  });
});

describe("mirrors", () => {
  const d = { uri: "https://download.bell-sw.com/vm/22.3/jre.tar.gz?x=1", sha256: sha };

  test("env names follow Paketo's encoding", () => {
    expect(mirrorEnvName("download.bell-sw.com")).toBe("BP_DEPENDENCY_MIRROR_DOWNLOAD_BELL__SW_COM");
    expect(mirrorEnvName("github.com")).toBe("BP_DEPENDENCY_MIRROR_GITHUB_COM");
  });

  test("host-specific env beats the default; other hosts use the default", async () => {
    const env = {
      BP_DEPENDENCY_MIRROR: "https://m.example/{originalHost}",
      BP_DEPENDENCY_MIRROR_DOWNLOAD_BELL__SW_COM: "https://m.example/bell-sw/",
    };
    expect(await resolveUri(d, env)).toEqual({
      uri: "https://m.example/bell-sw/vm/22.3/jre.tar.gz?x=1",
      via: "mirror",
      source: "BP_DEPENDENCY_MIRROR_DOWNLOAD_BELL__SW_COM",
    });
    expect((await resolveUri({ uri: "https://nodejs.org/dist/a.tgz", sha256: sha }, env)).uri).toBe(
      "https://m.example/nodejs.org/dist/a.tgz",
    );
  });

  test("binding entries: a host entry beats the env default; default entry is the last resort", async () => {
    const mirror = memoryBinding("m", "Dependency-Mirror", {
      default: "https://bind.example/all",
      "download.bell-sw.com": "https://bind.example/bell",
    });
    expect((await resolveUri(d, { BP_DEPENDENCY_MIRROR: "https://env.example" }, [mirror])).uri).toBe(
      "https://bind.example/bell/vm/22.3/jre.tar.gz?x=1",
    );
    expect((await resolveUri({ uri: "https://github.com/a/b.tgz", sha256: sha }, {}, [mirror])).uri).toBe(
      "https://bind.example/all/a/b.tgz",
    );
    expect(
      (
        await resolveUri(
          { uri: "https://github.com/a/b.tgz", sha256: sha },
          { BP_DEPENDENCY_MIRROR: "https://env.example" },
          [mirror],
        )
      ).uri,
    ).toBe("https://env.example/a/b.tgz");
  });

  test("mapping wins over mirrors; conflicting mappings are an error", async () => {
    const a = memoryBinding("a", "dependency-mapping", { [sha]: "https://a.example/x.tgz" });
    const b = memoryBinding("b", "dependency-mapping", { [sha]: "https://b.example/x.tgz" });
    expect(await resolveUri(d, { BP_DEPENDENCY_MIRROR: "https://m.example" }, [a])).toEqual({
      uri: "https://a.example/x.tgz",
      via: "dependency-mapping",
      source: "binding a",
    });
    await expect(resolveUri(d, {}, [a, b])).rejects.toThrow(`bindings "a" and "b" map sha256 ${sha} to different URIs`);
  });

  test("skip-path, scheme checks and credential redaction", () => {
    expect(applyMirror("https://m.example/gh,skip-path=/releases", "https://github.com/releases/v1/a.tgz", "X")).toBe(
      "https://m.example/gh/v1/a.tgz",
    );
    expect(() => applyMirror("http://m.example", "https://github.com/a", "BP_DEPENDENCY_MIRROR")).toThrow(
      'BP_DEPENDENCY_MIRROR: mirror "http://m.example" must use https:// or file://',
    );
    expect(applyMirror("file:///mirror/{originalHost}", "https://github.com/a/b.tgz", "X")).toBe(
      "file:///mirror/github.com/a/b.tgz",
    );
    expect(redactUri("https://user:secret@m.example/x")).toBe("https://***@m.example/x");
  });
});

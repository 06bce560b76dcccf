/**
 * Real registries for tests: the distribution registry (`/usr/bin/docker-registry`) on a
 * free loopback port, optionally with htpasswd basic auth, plus two small loopback proxies:
 * one that demands bearer tokens from its own /token endpoint (the registry's own `token`
 * auth needs a signing certificate; a proxy keeps the test self-contained and exercises the
 * same client code path), and one that injects faults deterministically.
 *
 * Used by this module's tests and by other stages' tests that need a registry.
 */
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import http from "node:http";
import net from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { freePort } from "@cnbkit/framework/testing";

export { freePort };

/** A running test registry or proxy. */
export interface TestServer {
  /** `127.0.0.1:<port>` */
  host: string;
  port: number;
  stop(): Promise<void>;
}

/** A running distribution registry. */
export interface TestRegistry extends TestServer {
  /** Its storage root (docker/registry/v2/...). */
  storage: string;
  /** The registry's process id (benchmarks read its CPU time from /proc). */
  pid: number;
}

/** Waits until `url` answers (with `tls`, until its port accepts: this process may not trust the certificate). */
async function waitForHttp(url: string, child: ChildProcess, log: () => string, tls = false): Promise<void> {
  for (let i = 0; i < 100; i++) {
    if (child.exitCode !== null) throw new Error(`registry exited early: ${log()}`);
    try {
      if (tls) await accepts(Number(new URL(url).port));
      else await (await fetch(url)).body?.cancel();
      return;
    } catch {
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  throw new Error(`registry did not answer on ${url}: ${log()}`);
}

function accepts(port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const s = net.connect(port, "127.0.0.1");
    s.once("connect", () => {
      s.destroy();
      resolve();
    });
    s.once("error", reject);
  });
}

/**
 * go-containerregistry's registry with the OCI 1.1 referrers API on (tools/referrers-registry,
 * built by scripts/fetch-referrers-registry.sh if missing), on a free 127.0.0.1 port, in memory.
 */
export async function startReferrersRegistry(): Promise<TestServer> {
  const root = join(import.meta.dirname, "../../..");
  const lines = execFileSync("bash", [join(root, "scripts", "fetch-referrers-registry.sh")], { encoding: "utf8" });
  const binary = lines.trim().split("\n").at(-1)!;
  const child = spawn(binary, [], { stdio: ["ignore", "pipe", "pipe"] });
  let stderr = "";
  child.stderr?.on("data", (d) => {
    stderr = (stderr + d).slice(-2000);
  });
  const host = await new Promise<string>((resolve, reject) => {
    let out = "";
    child.stdout?.on("data", (d) => {
      out += d;
      const m = /serving on (127\.0\.0\.1:\d+)/.exec(out);
      if (m) resolve(m[1]!);
    });
    child.once("exit", (code) => reject(new Error(`referrers-registry exited ${code}: ${stderr}`)));
  });
  return {
    host,
    port: Number(host.split(":")[1]),
    async stop() {
      if (child.exitCode === null && child.pid) {
        const exited = new Promise((r) => child.once("exit", r));
        process.kill(child.pid, "SIGTERM");
        await exited;
      }
    },
  };
}

/**
 * Starts `docker-registry serve` on 127.0.0.1:<free port> with storage in a temp dir and the
 * in-memory blob descriptor cache that Debian's /etc/docker/registry/config.yml turns on (without
 * it, every blob HEAD and manifest PUT re-reads link files: a fleet rebase ran 46.5/s, 49.4/s with it).
 * With `users`, it requires htpasswd (bcrypt, made with apache2-utils' `htpasswd`) basic auth;
 * with `tls`, it serves HTTPS with that certificate and key (PEM files).
 */
export async function startRegistry(
  options: {
    users?: Record<string, string>;
    tls?: { cert: string; key: string };
    /** Turns the registry's access log on and hands it each line (benchmarks count requests by kind). */
    onAccessLog?: (line: string) => void;
    /**
     * Another build of the distribution registry to run (the fleet bench's v3, from
     * scripts/fetch-distribution.sh); the same configuration works for both.
     */
    binary?: string;
  } = {},
): Promise<TestRegistry> {
  const dir = await mkdtemp(join(tmpdir(), "test-registry-"));
  const port = await freePort();
  const storage = join(dir, "storage");
  let auth = "";
  if (options.users) {
    const file = join(dir, "htpasswd");
    await writeFile(file, "");
    for (const [user, pass] of Object.entries(options.users)) {
      execFileSync("htpasswd", ["-bB", file, user, pass], { stdio: "pipe" });
    }
    auth = `auth:\n  htpasswd:\n    realm: test-registry\n    path: ${file}\n`;
  }
  const tls = options.tls ? `  tls:\n    certificate: ${options.tls.cert}\n    key: ${options.tls.key}\n` : "";
  const config = join(dir, "config.yml");
  await writeFile(
    config,
    `version: 0.1\nlog:\n  level: error\n  accesslog:\n    disabled: ${options.onAccessLog ? "false" : "true"}\nstorage:\n  cache:\n    blobdescriptor: inmemory\n  filesystem:\n    rootdirectory: ${storage}\n  delete:\n    enabled: true\nhttp:\n  addr: 127.0.0.1:${port}\n  secret: test-secret\n${tls}${auth}`,
  );
  const child = spawn(options.binary ?? "/usr/bin/docker-registry", ["serve", config], {
    // The access log (combined log format) goes to stdout.
    stdio: ["ignore", options.onAccessLog ? "pipe" : "ignore", "pipe"],
  });
  let stderr = "";
  child.stderr?.on("data", (d) => {
    stderr = (stderr + d).slice(-2000);
  });
  let partial = "";
  child.stdout?.on("data", (d) => {
    const lines = (partial + d).split("\n");
    partial = lines.pop() ?? "";
    for (const l of lines) options.onAccessLog?.(l);
  });
  await waitForHttp(`http://127.0.0.1:${port}/v2/`, child, () => stderr, options.tls !== undefined);
  return {
    host: `127.0.0.1:${port}`,
    port,
    storage,
    pid: child.pid ?? 0,
    async stop() {
      if (child.exitCode === null && child.pid) {
        const exited = new Promise((r) => child.once("exit", r));
        process.kill(child.pid, "SIGTERM");
        await exited;
      }
      await rm(dir, { recursive: true, force: true });
    },
  };
}

function forward(
  upstream: string,
  req: http.IncomingMessage,
  res: http.ServerResponse,
  dropAuth: boolean,
  dropResponse = false,
): void {
  const headers = { ...req.headers };
  if (dropAuth) delete headers.authorization;
  const [host, port] = upstream.split(":");
  const up = http.request({ host, port: Number(port), method: req.method, path: req.url, headers }, (upRes) => {
    if (dropResponse) {
      upRes.resume();
      upRes.on("end", () => req.socket.destroy());
      return;
    }
    res.writeHead(upRes.statusCode ?? 502, upRes.headers);
    upRes.pipe(res);
  });
  up.on("error", () => {
    if (!res.headersSent) res.writeHead(502);
    res.end();
  });
  req.pipe(up);
}

async function listen(server: http.Server): Promise<number> {
  return new Promise((resolve) =>
    server.listen(0, "127.0.0.1", () => resolve((server.address() as net.AddressInfo).port)),
  );
}

function closer(server: http.Server): () => Promise<void> {
  return () =>
    new Promise((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    });
}

/** Counters of a {@link startTokenProxy}. */
export interface TokenProxy extends TestServer {
  tokenRequests: number;
  rejected: number;
}

/**
 * A bearer-token front for `upstream`: /v2/ requests need `Authorization: Bearer <token>`
 * with a scope covering the repository (push for writes); tokens come from this proxy's
 * /token endpoint, which checks basic credentials against `users`.
 */
export async function startTokenProxy(upstream: string, users: Record<string, string>): Promise<TokenProxy> {
  const issued = new Map<string, string[]>();
  let port = 0;
  const state = { tokenRequests: 0, rejected: 0 };
  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? "/", `http://127.0.0.1:${port}`);
    if (url.pathname === "/token") {
      state.tokenRequests++;
      const auth = req.headers.authorization ?? "";
      const [user, pass] = Buffer.from(auth.replace(/^Basic /, ""), "base64")
        .toString()
        .split(":");
      if (!user || users[user] !== pass) {
        res.writeHead(401, { "content-type": "application/json" }).end('{"details":"bad credentials"}');
        return;
      }
      const token = `tok-${issued.size + 1}-${Math.random().toString(36).slice(2)}`;
      issued.set(token, url.searchParams.getAll("scope"));
      res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ token, expires_in: 300 }));
      return;
    }
    const repoMatch = /^\/v2\/(.+?)\/(blobs|manifests|tags)\//.exec(url.pathname);
    const repo = repoMatch?.[1];
    const write = !["GET", "HEAD"].includes(req.method ?? "GET");
    const need = repo ? `repository:${repo}:${write ? "push" : "pull"}` : undefined;
    const token = (req.headers.authorization ?? "").replace(/^Bearer /, "");
    const scopes = issued.get(token);
    const allowed =
      scopes !== undefined &&
      (!need ||
        scopes.some((s) => {
          const [kind, name, actions] = s.split(":");
          return kind === "repository" && name === repo && (actions ?? "").split(",").includes(write ? "push" : "pull");
        }));
    if (!allowed) {
      state.rejected++;
      const scope = repo ? `,scope="repository:${repo}:${write ? "pull,push" : "pull"}"` : "";
      res
        .writeHead(401, {
          "www-authenticate": `Bearer realm="http://127.0.0.1:${port}/token",service="test-registry"${scope}`,
          "content-type": "application/json",
        })
        .end('{"errors":[{"code":"UNAUTHORIZED","message":"authentication required"}]}');
      req.resume();
      return;
    }
    forward(upstream, req, res, true);
  });
  port = await listen(server);
  return {
    host: `127.0.0.1:${port}`,
    port,
    get tokenRequests() {
      return state.tokenRequests;
    },
    get rejected() {
      return state.rejected;
    },
    stop: closer(server),
  };
}

/** A refusal a {@link startRefusingProxy} answers with instead of forwarding. */
export interface Refusal {
  status: number;
  /** The distribution spec's error code and message. */
  code: string;
  message: string;
}

/**
 * A proxy to `upstream` that answers the requests `refuse` picks with its refusal (as a
 * registry with a tag policy answers them) and forwards everything else.
 */
export async function startRefusingProxy(
  upstream: string,
  refuse: (req: http.IncomingMessage) => Refusal | undefined,
): Promise<TestServer> {
  const server = http.createServer((req, res) => {
    const no = refuse(req);
    if (!no) return forward(upstream, req, res, false);
    req.resume();
    res.writeHead(no.status, { "content-type": "application/json" });
    res.end(JSON.stringify({ errors: [{ code: no.code, message: no.message }] }));
  });
  const port = await listen(server);
  return { host: `127.0.0.1:${port}`, port, stop: closer(server) };
}

/** Counters of a {@link startFaultProxy}. */
export interface FaultProxy extends TestServer {
  requests: number;
  faults: number;
}

/**
 * A proxy to `upstream` that fails every `every`-th request, deterministically: an HTTP 500
 * or a dropped connection before forwarding, and with `afterForward`, also requests that
 * reach the registry but whose response is dropped (the request took effect; the client
 * cannot know). Faults rotate through the enabled kinds.
 */
export async function startFaultProxy(
  upstream: string,
  every = 3,
  options: { afterForward?: boolean } = {},
): Promise<FaultProxy> {
  const state = { requests: 0, faults: 0 };
  const kinds = options.afterForward ? 3 : 2;
  const server = http.createServer((req, res) => {
    state.requests++;
    if (state.requests % every === 0) {
      state.faults++;
      const kind = state.faults % kinds;
      if (kind === 1) {
        req.resume();
        res.writeHead(500, { "content-type": "text/plain" }).end("injected fault");
      } else if (kind === 2 || kinds === 2) {
        req.socket.destroy();
      } else {
        // forward, let the registry act, then drop the response
        forward(upstream, req, res, false, true);
      }
      return;
    }
    forward(upstream, req, res, false);
  });
  const port = await listen(server);
  return {
    host: `127.0.0.1:${port}`,
    port,
    get requests() {
      return state.requests;
    },
    get faults() {
      return state.faults;
    },
    stop: closer(server),
  };
}

/** Deterministic incompressible bytes (xorshift32): test layers big enough to chunk or cut, the same every run. */
export function noise(size: number, seed: number): Buffer {
  const b = Buffer.alloc(size);
  let s = seed | 1;
  for (let i = 0; i < size; i += 4) {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    b.writeInt32LE(s | 0, i);
  }
  return b;
}

/**
 * A loopback proxy in front of a real registry that injects the faults CI meets, one request
 * at a time, as a test's plan says: a reset before any answer, a body cut partway (the
 * response's on a read, the request's on an upload), a 5xx or 429 (with or without
 * Retry-After), a stall (the answer stops moving and the socket stays open), and a registry
 * that ignores Range (answers 200 with the whole blob). It counts what it sent, so a test or
 * bench can tell a resumed download from a restarted one.
 *
 * For tests and benches in any stage; servers listen on 127.0.0.1 only.
 */
import http from "node:http";
import type net from "node:net";
import type { TestServer } from "./test-registry.js";

/** One fault to inject into one request. */
export type Fault =
  | { kind: "reset" }
  | { kind: "status"; status: number; retryAfter?: string }
  /** Forward, then drop the connection after this fraction of the body (response on GET, request on uploads). */
  | { kind: "cut"; at: number }
  /** Forward, then stop sending after this fraction of the response body (an upload: never answer); the socket stays open. */
  | { kind: "stall"; at: number }
  /** Forward without the Range header: the registry answers 200 with the whole blob. */
  | { kind: "ignore-range" };

/** What the plan sees of a request. */
export interface PlannedRequest {
  method: string;
  path: string;
  /** The Range header, if any. */
  range: string | undefined;
  /** 1-based count of requests through the proxy so far, this one included. */
  n: number;
}

/** A {@link startFaultPlanProxy} and what went through it. */
export interface FaultPlanProxy extends TestServer {
  /** Requests seen, with the fault injected into each (if any) and the answer's status. */
  readonly log: { method: string; path: string; range?: string; fault?: Fault["kind"]; status?: number }[];
  /** Bytes of response bodies sent to clients (what a pull cost on the wire). */
  readonly bytesOut: number;
  /** Replaces the plan (tests reuse one proxy). */
  setPlan(plan: (req: PlannedRequest) => Fault | undefined): void;
}

/**
 * Starts the proxy to `upstream` (`host:port`, plain HTTP). `plan` picks the fault for each
 * request (undefined: forward it untouched).
 *
 * @example
 * const proxy = await startFaultPlanProxy(reg.host, (r) => (r.method === "GET" && /blobs/.test(r.path) && !r.range ? { kind: "cut", at: 0.5 } : undefined));
 */
export async function startFaultPlanProxy(
  upstream: string,
  plan: (req: PlannedRequest) => Fault | undefined = () => undefined,
): Promise<FaultPlanProxy> {
  let current = plan;
  let n = 0;
  let bytesOut = 0;
  const log: FaultPlanProxy["log"] = [];
  const [upHost, upPort] = upstream.split(":");
  const server = http.createServer((req, res) => {
    const range = req.headers.range;
    const entry: FaultPlanProxy["log"][number] = { method: req.method ?? "GET", path: req.url ?? "/" };
    if (range) entry.range = range;
    log.push(entry);
    const fault = current({ method: entry.method, path: entry.path, range, n: ++n });
    if (fault) entry.fault = fault.kind;
    if (fault?.kind === "reset") {
      req.socket.destroy();
      return;
    }
    if (fault?.kind === "status") {
      req.resume();
      entry.status = fault.status;
      const headers: Record<string, string> = { "content-type": "application/json" };
      if (fault.retryAfter !== undefined) headers["retry-after"] = fault.retryAfter;
      res.writeHead(fault.status, headers).end('{"errors":[{"code":"UNAVAILABLE","message":"injected fault"}]}');
      return;
    }
    const upload = Number(req.headers["content-length"] ?? 0) > 0;
    if (fault?.kind === "stall" && upload) {
      req.resume(); // take the upload, never answer
      return;
    }
    const headers = { ...req.headers };
    if (fault?.kind === "ignore-range") delete headers.range;
    const up = http.request(
      { host: upHost, port: Number(upPort), method: req.method, path: req.url, headers },
      (upRes) => {
        entry.status = upRes.statusCode;
        res.writeHead(upRes.statusCode ?? 502, upRes.headers);
        const length = Number(upRes.headers["content-length"] ?? Number.NaN);
        const stopAt =
          fault && (fault.kind === "cut" || fault.kind === "stall") && !upload
            ? Number.isFinite(length)
              ? Math.floor(length * fault.at)
              : 0
            : Number.POSITIVE_INFINITY;
        let sent = 0;
        upRes.on("data", (chunk: Buffer) => {
          if (sent >= stopAt) return;
          const part = sent + chunk.length > stopAt ? chunk.subarray(0, stopAt - sent) : chunk;
          sent += part.length;
          bytesOut += part.length;
          if (!res.write(part)) {
            upRes.pause();
            res.once("drain", () => upRes.resume());
          }
          if (sent >= stopAt) {
            if (fault?.kind === "cut") {
              // let what was written reach the client, then drop the connection mid-body
              res.socket?.end(() => res.socket?.destroy());
              upRes.destroy();
            } else {
              upRes.destroy(); // a stall: nothing more comes, the socket stays open
            }
          }
        });
        upRes.on("end", () => {
          if (sent < stopAt) res.end();
        });
        upRes.on("error", () => {});
      },
    );
    up.on("error", () => {
      if (!res.headersSent) res.writeHead(502);
      res.end();
    });
    if (fault?.kind === "cut" && upload) {
      // forward part of the upload, then drop both connections
      const total = Number(req.headers["content-length"]);
      const stop = Math.floor(total * fault.at);
      let got = 0;
      req.on("data", (chunk: Buffer) => {
        if (got >= stop) return;
        const part = got + chunk.length > stop ? chunk.subarray(0, stop - got) : chunk;
        got += part.length;
        up.write(part);
        if (got >= stop) {
          up.destroy();
          req.socket.destroy();
        }
      });
      return;
    }
    req.pipe(up);
  });
  const port = await new Promise<number>((resolve) =>
    server.listen(0, "127.0.0.1", () => resolve((server.address() as net.AddressInfo).port)),
  );
  return {
    host: `127.0.0.1:${port}`,
    port,
    log,
    get bytesOut() {
      return bytesOut;
    },
    setPlan(p) {
      current = p;
    },
    stop: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/**
 * A real HTTP proxy for tests: Debian's tinyproxy on 127.0.0.1, with its own config, log
 * and pid file in a temp dir, run in the foreground as this process's child and stopped by
 * its PID. It binds its outgoing connections to 127.0.0.2, so an upstream that answers
 * only 127.0.0.2 (see {@link onlyViaProxy}) cannot be reached by a client that bypasses it.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import type { IncomingMessage, ServerResponse } from "node:http";
import { connect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { freePort } from "@cnbkit/framework/testing";

export { freePort };

/** A running tinyproxy. */
export interface TestProxy {
  /** `http://127.0.0.1:<port>`. */
  url: string;
  port: number;
  /** Its log so far (LogLevel Info: one line per connection and request). */
  log(): Promise<string>;
  stop(): Promise<void>;
}

/** The address the proxy's outgoing connections come from. */
export const PROXY_SOURCE = "127.0.0.2";

/** True when tinyproxy is installed (scripts/setup.sh installs it). */
export function hasTinyproxy(): boolean {
  return existsSync("/usr/bin/tinyproxy");
}

/** Starts tinyproxy and resolves once it accepts connections. */
export async function startTinyproxy(): Promise<TestProxy> {
  const dir = await mkdtemp(join(tmpdir(), "cnbkit-proxy-"));
  const port = await freePort();
  const logFile = join(dir, "tinyproxy.log");
  await writeFile(logFile, "");
  await writeFile(
    join(dir, "tinyproxy.conf"),
    [
      `Port ${port}`,
      "Listen 127.0.0.1",
      `Bind ${PROXY_SOURCE}`,
      "Timeout 30",
      `LogFile "${logFile}"`,
      "LogLevel Info",
      "MaxClients 20",
      "Allow 127.0.0.1",
      "",
    ].join("\n"),
  );
  let stderr = "";
  const child: ChildProcess = spawn("tinyproxy", ["-d", "-c", join(dir, "tinyproxy.conf")], {
    stdio: ["ignore", "ignore", "pipe"],
  });
  child.stderr?.setEncoding("utf8").on("data", (d: string) => (stderr += d));
  const exited = new Promise<void>((res) => child.once("exit", () => res()));
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null && child.pid) {
      process.kill(child.pid, "SIGTERM");
      await exited;
    }
    await rm(dir, { recursive: true, force: true });
  };
  const deadline = Date.now() + 10_000;
  while (!(await accepts(port))) {
    if (child.exitCode !== null || Date.now() > deadline) {
      const log = await readFile(logFile, "utf8").catch(() => "");
      await stop();
      throw new Error(`tinyproxy did not start on 127.0.0.1:${port}: ${stderr}${log}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  return { url: `http://127.0.0.1:${port}`, port, log: () => readFile(logFile, "utf8"), stop };
}

function accepts(port: number): Promise<boolean> {
  return new Promise((res) => {
    const s = connect(port, "127.0.0.1");
    s.once("connect", () => {
      s.destroy();
      res(true);
    });
    s.once("error", () => res(false));
  });
}

/**
 * An HTTP handler that serves `handler` only to connections from {@link PROXY_SOURCE} and
 * answers 403 "not via the proxy" to everyone else.
 */
export function onlyViaProxy(
  handler: (req: IncomingMessage, res: ServerResponse) => void,
): (req: IncomingMessage, res: ServerResponse) => void {
  return (req, res) => {
    if (req.socket.remoteAddress !== PROXY_SOURCE) {
      res.writeHead(403).end("not via the proxy\n");
      return;
    }
    handler(req, res);
  };
}

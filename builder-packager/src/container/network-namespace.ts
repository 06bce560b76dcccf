/**
 * An isolated network for one container: a fresh network namespace that reaches the outside
 * world through pasta (Debian package passt), and not this machine. pasta relays the
 * namespace's TCP, UDP and ICMP through ordinary sockets of this host, so outbound access
 * (registries, mirrors, the proxy, DNS) works as from the host, while:
 * - the namespace's loopback is its own: services on the host's 127.0.0.1 are out of reach,
 *   except the ports named in `loopbackPorts` (the proxy, a registry on this machine), which
 *   pasta forwards one by one (`-T`);
 * - pasta gives the namespace the host's own address, so a connection to it stays inside;
 *   the host's other addresses and the link-local/metadata ranges (169.254.0.0/16,
 *   fd00:ec2::254) get `unreachable` routes, which the container (no CAP_NET_ADMIN) cannot
 *   remove;
 * - the gateway is not mapped to the host (`--no-map-gw`), and no host port reaches the
 *   namespace unless `publish` names it, on 127.0.0.1 only.
 *
 * Measured against slirp4netns and a veth with nftables (docs/build-isolation-internals.md): pasta needs no
 * change on the host (no ip_forward, no firewall rules, nothing left if cnbkit is killed but a
 * named namespace, which a guard removes), and costs a few tens of milliseconds per container.
 * Which pasta matters: Debian 12's (2023-03) leaves Nagle on for its outbound sockets, so a
 * request written in two parts waits ~40 ms for the server's delayed ACK (java-hello built 13%
 * slower); scripts/setup.sh puts a newer one on PATH (scripts/fetch-passt.sh). Both work here.
 */
import { execFile, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { networkInterfaces, tmpdir } from "node:os";
import { join } from "node:path";
import { CnbError } from "@cnbkit/framework";
import { ownedPrefix, STALE_PREFIXES } from "../cache/index.js";

/** How a container reaches the network (`--network`). */
export type ContainerNetwork = "host" | "none" | "isolated";

/** Addresses an isolated namespace never reaches: the link-local range (cloud metadata) and EC2's IPv6 metadata. */
export const BLOCKED_RANGES = ["169.254.0.0/16", "fd00:ec2::254/128"];

/** What {@link openIsolatedNetwork} opens. */
export interface IsolatedNetworkOptions {
  /** Ports of the host's loopback the namespace reaches at its own 127.0.0.1 (the proxy, a local registry). */
  loopbackPorts?: number[];
  /** Ports of the host's 127.0.0.1 forwarded into the namespace (an app `cnbkit run` serves). */
  publish?: number[];
  /**
   * A dir of the caller's where pasta writes its pid file (it is written once the namespace is
   * set up); default: a temp dir of its own, removed on close.
   */
  dir?: string;
}

/** An open isolated network: the namespace's path for runc, and how to end it. */
export interface IsolatedNetwork {
  /** `/run/netns/<name>`: what the container joins. */
  path: string;
  /** Stops pasta and deletes the namespace; safe to call twice (a second call waits for the first). */
  close(): Promise<void>;
}

/** One `ip` command; rejects with its stderr. */
function ip(args: string[], input?: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = execFile("ip", args, { timeout: 10_000 }, (err, _out, stderr) =>
      err ? reject(new Error((stderr || err.message).trim())) : resolve(),
    );
    if (input !== undefined) child.stdin?.end(input);
  });
}

/**
 * Removes the namespace `$1` when its owner dies without closing it (pasta then quits by
 * itself, as its namespace's file is gone); "done" on stdin dismisses it.
 */
const GUARD = `IFS= read -r line
[ "$line" = done ] && exit 0
ip netns del "$1" >/dev/null 2>&1`;

function guardNamespace(name: string): { done(): void } {
  const guard = spawn("sh", ["-c", GUARD, "cnbkit-netns-guard", name], {
    detached: true,
    stdio: ["pipe", "ignore", "ignore"],
  });
  guard.on("error", () => {});
  guard.stdin?.on("error", () => {});
  guard.unref();
  (guard.stdin as unknown as { unref?: () => void } | null)?.unref?.();
  return { done: () => guard.stdin?.end("done\n") };
}

/**
 * pasta's command line for namespace `name` (exported for tests and `--verbose`). `hostLoToNsLo`:
 * a published port reaches the namespace's 127.0.0.1, where an app listening on loopback only
 * answers; Debian 13's pasta aims it at the namespace's outside address unless told so, and
 * Debian 12's does so anyway and refuses the option.
 */
export function pastaArgs(
  name: string,
  pidFile: string,
  o: Omit<IsolatedNetworkOptions, "dir">,
  hostLoToNsLo = true,
): string[] {
  const tcpIn = (o.publish ?? []).map((p) => `127.0.0.1/${p}`);
  const loop = [...new Set(o.loopbackPorts ?? [])];
  return [
    "--foreground",
    "--quiet",
    // Root joins a named namespace without a user namespace; nobody (pasta's default) cannot.
    "--runas",
    "0",
    "--netns",
    name,
    "--config-net",
    "--no-map-gw",
    ...(tcpIn.length && hostLoToNsLo ? ["--host-lo-to-ns-lo"] : []),
    ...(tcpIn.length ? tcpIn.flatMap((s) => ["-t", s]) : ["-t", "none"]),
    "-u",
    "none",
    "-T",
    loop.length ? loop.join(",") : "none",
    "-U",
    "none",
    "--pid",
    pidFile,
  ];
}

/**
 * The `ip -batch` lines that make the host's own addresses (other than the one pasta copies
 * into the namespace, which stays local there) and {@link BLOCKED_RANGES} unreachable.
 */
export function blockedRoutes(ifaces = networkInterfaces()): string[] {
  const hostAddrs = Object.values(ifaces)
    .flat()
    .filter((a) => a && !a.internal && !a.address.startsWith("fe80:") && !a.address.startsWith("169.254."))
    .map((a) => (a?.family === "IPv6" ? `${a.address}/128` : `${a?.address}/32`));
  return [...BLOCKED_RANGES, ...new Set(hostAddrs)].map((r) => `route add unreachable ${r}`);
}

/** Whether this pasta takes `--host-lo-to-ns-lo` (until one refuses it). */
let hostLoToNsLo = true;

/**
 * Opens an isolated network (see the module comment). Root only.
 *
 * @throws CnbError `cannot isolate the container's network: pasta is not installed` (and the
 *   other ways setting it up fails), with what to install or `--network host` as the hint
 */
export async function openIsolatedNetwork(o: IsolatedNetworkOptions): Promise<IsolatedNetwork> {
  const name = `cnbkit-${process.pid}-${randomBytes(6).toString("hex")}`;
  try {
    await ip(["netns", "add", name]);
  } catch (err) {
    throw setupError(`ip netns add failed: ${(err as Error).message}`);
  }
  const guard = guardNamespace(name);
  const ownDir = o.dir ? undefined : await mkdtemp(join(tmpdir(), ownedPrefix(STALE_PREFIXES.bundle)));
  const pidFile = join(o.dir ?? (ownDir as string), "pasta.pid");
  let pasta = startPasta(pastaArgs(name, pidFile, o, hostLoToNsLo));
  let closing: Promise<void> | undefined;
  // One close for every caller, each awaiting the same work: a build closes its network as soon
  // as its last container exits, and again (a no-op that still waits) when it ends.
  const close = () => {
    closing ??= (async () => {
      // pasta holds the namespace by its fd, so the name can go while pasta dies: each of the two
      // costs a process start and exit, and they need not wait for each other.
      await Promise.all([pasta.stop(), ip(["netns", "del", name]).catch(() => {})]);
      guard.done();
      if (ownDir) await rm(ownDir, { recursive: true, force: true });
    })();
    return closing;
  };
  try {
    let failed = await Promise.race([pasta.exited, pidWritten(pidFile, pasta.exited)]);
    if (failed?.includes("unrecognized option '--host-lo-to-ns-lo'")) {
      hostLoToNsLo = false;
      pasta = startPasta(pastaArgs(name, pidFile, o, false));
      failed = await Promise.race([pasta.exited, pidWritten(pidFile, pasta.exited)]);
    }
    if (failed === "ENOENT") {
      throw new CnbError("cannot isolate the container's network: pasta is not installed", {
        hint: "apt-get install passt (scripts/setup.sh does), or pass --network host to share this machine's network",
      });
    }
    if (failed !== undefined) throw setupError(failed);
    await ip(["-n", name, "-batch", "-"], `${blockedRoutes().join("\n")}\n`).catch((err: Error) => {
      throw setupError(`blocking the host's addresses failed: ${err.message}`);
    });
    return { path: `/run/netns/${name}`, close };
  } catch (err) {
    await close();
    throw err;
  }
}

/** A running pasta: what it said when it exited (or "ENOENT"), and how to kill it. */
function startPasta(args: string[]): { exited: Promise<string>; stop(): Promise<void> } {
  const pasta = spawn("pasta", args, { stdio: ["ignore", "ignore", "pipe"] });
  let stderr = "";
  pasta.stderr?.on("data", (d: Buffer) => {
    // pasta reports to syslog too; without one it says so on every line.
    stderr += d.toString().replace(/^Failed to send \d+ bytes to syslog\n?/gm, "");
  });
  const exited = new Promise<string>((res) => {
    pasta.once("error", (e: NodeJS.ErrnoException) => res(e.code === "ENOENT" ? "ENOENT" : e.message));
    pasta.once("exit", (code, sig) => res(`pasta exited (${sig ?? code}): ${stderr.trim()}`));
  });
  const stop = async () => {
    // pasta keeps no state worth a graceful stop, and SIGTERM took it up to 150 ms here.
    if (pasta.exitCode === null && pasta.signalCode === null) {
      pasta.kill("SIGKILL");
      await exited;
    }
  };
  return { exited, stop };
}

/** Resolves (undefined) once pasta has written its pid file, which it does after setting up the namespace. */
async function pidWritten(pidFile: string, exited: Promise<string>): Promise<string | undefined> {
  let gone = false;
  void exited.then(() => {
    gone = true;
  });
  for (let waited = 0; waited < 10_000; waited += 5) {
    const pid = await readFile(pidFile, "utf8").catch(() => "");
    if (pid.trim()) return undefined;
    if (gone) return exited;
    await new Promise((r) => setTimeout(r, 5));
  }
  return "pasta did not set up the namespace within 10 s";
}

function setupError(detail: string): CnbError {
  return new CnbError(`cannot isolate the container's network: ${detail}`, {
    hint: "run as root with passt installed (apt-get install passt), or pass --network host to share this machine's network",
  });
}

/**
 * The host-loopback ports an isolated build must still reach: the proxy the environment
 * names (HTTP_PROXY, HTTPS_PROXY, either case), a registry (`--cache-image`), and any
 * http(s) URL in `values` (the build's `--env`: a dependency mirror), when they listen on this
 * machine's loopback. Only what the user named is forwarded, port by port.
 */
export function loopbackPortsOf(
  env: Readonly<Record<string, string | undefined>>,
  registries: string[] = [],
  values: string[] = [],
): number[] {
  const ports: number[] = [];
  for (const name of ["http_proxy", "HTTP_PROXY", "https_proxy", "HTTPS_PROXY"]) {
    const value = env[name]?.trim();
    if (!value) continue;
    try {
      const u = new URL(/^[a-z][a-z0-9+.-]*:\/\//i.test(value) ? value : `http://${value}`);
      if (isLoopback(u.hostname)) ports.push(Number(u.port || (u.protocol === "https:" ? 443 : 80)));
    } catch {
      // not a URL: the proxy check names it where it is used
    }
  }
  for (const v of values) {
    for (const m of v.matchAll(/https?:\/\/(?:[^@/\s]*@)?(localhost|127(?:\.\d+){3}|\[::1\]):(\d+)/g))
      ports.push(Number(m[2]));
  }
  for (const r of registries) {
    const m = /^(localhost|127\.0\.0\.1|\[::1\]):(\d+)$/.exec(r);
    if (m) ports.push(Number(m[2]));
  }
  return [...new Set(ports)];
}

function isLoopback(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, "");
  return h === "localhost" || h === "::1" || h.startsWith("127.");
}

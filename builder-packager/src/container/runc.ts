/**
 * Runs one process in a root filesystem with runc, the OCI runtime that containerd and
 * Kubernetes use, so builds and apps run with no container daemon.
 *
 * Each call writes an OCI runtime bundle (config.json) to a temp dir, runs
 * `runc --root <temp> run --bundle <dir> <id>` in the foreground, streams the process's
 * stdout and stderr line by line, and always kills and deletes the container afterwards
 * (also on abort and when this process gets SIGINT/SIGTERM). runc's state lives under a
 * per-call temp `--root`, so parallel callers never see each other's containers.
 *
 * runc gives the container a session of its own, so a SIGKILL of cnbkit (or of its whole
 * process group) used to leave the build container running, sharing the build cache with
 * the next build (seen alive 25 s later). A guard process in a session of its own holds the
 * read end of a pipe from this process: when this process dies the pipe closes and the
 * guard kills and deletes the container; when the run ends normally it is told "done".
 *
 * The container shares the host's network by default, or has none, or an isolated network
 * of its own (network-namespace.ts: outbound access through pasta, the host's loopback and
 * addresses out of reach), opened before runc starts and closed after it ends. It has its own
 * pid, ipc, uts and mount namespaces, no new privileges, and for a non-root user no
 * capabilities at all.
 */
import { execFile, spawn, spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { constants as osConstants, tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import type { Readable } from "node:stream";
import { CnbError } from "@cnbkit/framework";
import { ownedPrefix, STALE_PREFIXES } from "../cache/index.js";
import { type IsolatedNetwork, loopbackPortsOf, openIsolatedNetwork } from "./network-namespace.js";
import { type RunContainerOptions, runtimeConfig } from "./runtime-config.js";
import { type StallWatchdog, startStallWatchdog } from "./stall-watchdog.js";

/** Containers started by this process and not yet deleted: killed on SIGINT/SIGTERM. */
const live = new Map<string, string>(); // id -> runc --root
let signalHandlersInstalled = false;

function onFatalSignal(sig: NodeJS.Signals): void {
  for (const [id, root] of live) {
    spawnSync("runc", ["--root", root, "kill", id, "KILL"], { stdio: "ignore" });
    spawnSync("runc", ["--root", root, "delete", "-f", id], { stdio: "ignore" });
  }
  live.clear();
  uninstallSignalHandlers();
  // Re-raise so the default behaviour (exit with the signal) still happens, unless the
  // program has a handler of its own (the CLI's `run` and `build` do): then it decides how
  // to finish, and can still release what it holds (overlay views, temp dirs).
  if (process.listenerCount(sig) === 0) process.kill(process.pid, sig);
}

function installSignalHandlers(): void {
  if (signalHandlersInstalled) return;
  signalHandlersInstalled = true;
  process.once("SIGINT", onFatalSignal);
  process.once("SIGTERM", onFatalSignal);
}

function uninstallSignalHandlers(): void {
  if (!signalHandlersInstalled) return;
  signalHandlersInstalled = false;
  process.removeListener("SIGINT", onFatalSignal);
  process.removeListener("SIGTERM", onFatalSignal);
}

/**
 * The guard's script: `$1` runc state root, `$2` container id. EOF without "done" means its
 * owner died; it retries for a few seconds in case runc was still creating the container.
 * It asks about its own container only. Once the container is gone it removes the state
 * root, which its dead owner can no longer: every runc command creates a missing `--root`,
 * so a guard still retrying after the next build's stale sweep removed the root would
 * otherwise leave it behind again (seen: a `cnbkit-runc-<pid>-*` dir after that sweep).
 */
const GUARD = `IFS= read -r line
[ "$line" = done ] && exit 0
i=0
while [ -d "$1" ] && [ $i -lt 25 ]; do
  runc --root "$1" kill "$2" KILL >/dev/null 2>&1
  runc --root "$1" delete -f "$2" >/dev/null 2>&1
  runc --root "$1" state "$2" >/dev/null 2>&1 || break
  i=$((i+1))
  sleep 0.2
done
runc --root "$1" state "$2" >/dev/null 2>&1 || rm -rf "$1"`;

/** Starts the guard of container `id` (see the module comment); `done()` dismisses it. */
function guardContainer(stateRoot: string, id: string): { done(): void } {
  const guard = spawn("sh", ["-c", GUARD, "cnbkit-container-guard", stateRoot, id], {
    detached: true, // its own session and process group: a kill of ours does not reach it
    stdio: ["pipe", "ignore", "ignore"],
  });
  guard.on("error", () => {}); // no sh: the next build's stale sweep is the fallback
  guard.stdin?.on("error", () => {});
  guard.unref();
  (guard.stdin as unknown as { unref?: () => void } | null)?.unref?.();
  return { done: () => guard.stdin?.end("done\n") };
}

/** A container id that is unique across parallel callers and processes. */
export function uniqueContainerId(prefix = "cnbkit"): string {
  return `${prefix}-${process.pid}-${randomBytes(6).toString("hex")}`;
}

function streamLines(stream: Readable, sink: ((line: string) => void) | undefined): Promise<void> {
  if (!sink) {
    stream.resume();
    return new Promise((res) => stream.on("close", res));
  }
  const rl = createInterface({ input: stream, crlfDelay: Number.POSITIVE_INFINITY });
  rl.on("line", sink);
  return new Promise((res) => rl.on("close", res));
}

/**
 * Runs `opts.args` in `opts.rootfs` under runc and resolves with its exit status
 * (128 + signal number when it was killed). Output is streamed line by line while it runs.
 *
 * @example
 * const code = await runContainer({
 *   rootfs, args: ["/cnb/lifecycle/creator", "-app", "/workspace", "my-app"],
 *   env: { PATH: "/usr/bin:/bin", CNB_PLATFORM_API: "0.14" }, user: { uid: 1000, gid: 1000 },
 *   mounts: [{ source: layersDir, destination: "/layers" }], hostNetwork: true,
 *   onStdout: console.log, onStderr: console.error,
 * });
 */
export async function runContainer(opts: RunContainerOptions): Promise<number> {
  if (opts.signal?.aborted) throw new CnbError("container run aborted before it started");
  if (!existsSync(opts.rootfs)) throw new CnbError(`root filesystem ${opts.rootfs} does not exist`);
  const id = opts.id ?? uniqueContainerId();
  const bundle = await mkdtemp(join(tmpdir(), ownedPrefix(STALE_PREFIXES.bundle)));
  const stateRoot = await mkdtemp(join(tmpdir(), ownedPrefix(STALE_PREFIXES.runc)));
  const runc = (args: string[]) => spawnSync("runc", ["--root", stateRoot, ...args], { stdio: "ignore" });
  let onAbort: (() => void) | undefined;
  let watchdog: StallWatchdog | undefined;
  let guard: { done(): void } | undefined;
  let net: IsolatedNetwork | undefined;
  try {
    if (opts.network === "isolated" && !opts.netnsPath) {
      net = await openIsolatedNetwork({
        dir: bundle,
        // The proxy the container's env names, when it listens on this machine's loopback.
        loopbackPorts: [...(opts.loopbackPorts ?? []), ...loopbackPortsOf(envRecord(opts.env))],
        ...(opts.publish ? { publish: opts.publish } : {}),
      });
    }
    await writeFile(
      join(bundle, "config.json"),
      JSON.stringify(runtimeConfig(opts, opts.netnsPath ?? net?.path), null, 2),
    );
    live.set(id, stateRoot);
    installSignalHandlers();
    guard = guardContainer(stateRoot, id);
    const child = spawn("runc", ["--root", stateRoot, "run", "--bundle", bundle, id], {
      stdio: ["ignore", "pipe", "pipe"],
    });
    onAbort = () => {
      runc(["kill", id, "KILL"]);
    };
    opts.signal?.addEventListener("abort", onAbort, { once: true });
    const stall = opts.stall;
    if (stall && stall.timeoutMs > 0) {
      watchdog = startStallWatchdog({
        timeoutMs: stall.timeoutMs,
        cpuTimeNs: () => containerCpuNs(stateRoot, id),
        onStall: (idleMs) => {
          stall.onStall(idleMs);
          runc(["kill", id, "KILL"]);
        },
      });
    }
    const seen = (sink: ((line: string) => void) | undefined) =>
      watchdog
        ? (line: string) => {
            watchdog?.progress();
            sink?.(line);
          }
        : sink;
    const out = streamLines(child.stdout, seen(opts.onStdout));
    const err = streamLines(child.stderr, seen(opts.onStderr));
    const code = await new Promise<number>((res, rej) => {
      child.on("error", (e) =>
        rej(
          new CnbError(`cannot start runc: ${e.message}`, {
            hint: "install runc (Debian package runc) and run as root",
            cause: e,
          }),
        ),
      );
      child.on("close", (c, sig) => res(c ?? 128 + (sig ? signalNumber(sig) : 0)));
    });
    await Promise.all([out, err]);
    return code;
  } finally {
    watchdog?.stop();
    if (onAbort) opts.signal?.removeEventListener("abort", onAbort);
    runc(["delete", "-f", id]);
    guard?.done();
    await net?.close();
    live.delete(id);
    if (live.size === 0) uninstallSignalHandlers();
    await rm(bundle, { recursive: true, force: true });
    await rm(stateRoot, { recursive: true, force: true });
  }
}

/**
 * CPU time used so far by all processes of container `id` (its cgroup), in ns, as
 * `runc events --stats` reports it; undefined when runc cannot say (the container is gone).
 */
export function containerCpuNs(stateRoot: string, id: string): Promise<number | undefined> {
  return new Promise((res) => {
    execFile("runc", ["--root", stateRoot, "events", "--stats", id], { timeout: 10_000 }, (err, stdout) => {
      if (err) return res(undefined);
      try {
        const total = JSON.parse(stdout)?.data?.cpu?.usage?.total;
        res(typeof total === "number" ? total : undefined);
      } catch {
        res(undefined);
      }
    });
  });
}

/** A container env (`K=V` lines or a record) as a record. */
function envRecord(env: RunContainerOptions["env"]): Record<string, string> {
  if (!Array.isArray(env)) return env;
  return Object.fromEntries(env.map((kv) => [kv.slice(0, kv.indexOf("=")), kv.slice(kv.indexOf("=") + 1)]));
}

function signalNumber(sig: NodeJS.Signals): number {
  return osConstants.signals[sig] ?? 0;
}

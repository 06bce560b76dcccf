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
 * The container shares the host's network (no network namespace: the lifecycle reaches
 * registries and `cnbkit run` serves on the host's ports) but has its own pid, ipc, uts and
 * mount namespaces, no new privileges, and for a non-root user no capabilities at all.
 */
import { execFile, spawn, spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { constants as osConstants, tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { createInterface } from "node:readline";
import type { Readable } from "node:stream";
import { CnbError } from "@cnbkit/framework";
import { ownedPrefix, STALE_PREFIXES } from "../cache/index.js";
import { type StallWatchdog, startStallWatchdog } from "./stall-watchdog.js";

/** A bind mount from the host into the container. */
export interface BindMount {
  /** Absolute host path (file or directory). */
  source: string;
  /** Absolute path inside the container; runc creates it when missing. */
  destination: string;
  /** Mount read-only (default: read-write). */
  readonly?: boolean;
}

/** What {@link runContainer} runs and how. */
export interface RunContainerOptions {
  /** Container id; a unique one is made when omitted. Must be unique among live containers. */
  id?: string;
  /** The root filesystem directory (writable: runc creates mount points in it). */
  rootfs: string;
  /** argv of the process; `args[0]` is looked up on PATH inside the container. */
  args: string[];
  /** Environment as `K=V` pairs or a record. */
  env: Record<string, string> | string[];
  /** Working directory inside the container (default `/`). */
  cwd?: string;
  /** User and group the process runs as. */
  user: { uid: number; gid: number; additionalGids?: number[] };
  /** Extra bind mounts (applied after /proc, /dev, /sys, resolv.conf and hosts). */
  mounts?: BindMount[];
  /** Share the host's network namespace. Only host networking is supported. */
  hostNetwork?: true;
  /**
   * `none`: a fresh network namespace with only a loopback device that is down (pack's
   * `--network none`); default: the host's network.
   */
  network?: "host" | "none";
  /** Called with each line the process writes to stdout (without the newline). */
  onStdout?: (line: string) => void;
  /** Called with each line the process writes to stderr (without the newline). */
  onStderr?: (line: string) => void;
  /** Aborting kills the container; the promise then resolves with the kill's exit status. */
  signal?: AbortSignal;
  /**
   * A memory limit in bytes, enforced by the container's memory cgroup (swap included, so
   * the limit is what the app gets, as `docker run --memory` with no `--memory-swap`). The
   * container then also gets its own cgroup namespace and a read-only cgroup mount at
   * /sys/fs/cgroup, so programs that size themselves to the container (a JVM memory
   * calculator, WEB_CONCURRENCY helpers) read this limit, not the host's.
   */
  memoryBytes?: number;
  /** Container hostname (default `cnbkit`). */
  hostname?: string;
  /**
   * Stop the container when it makes no progress (no output, no CPU time) for `timeoutMs`
   * (see stall-watchdog.ts): `onStall` is called first, then the container is killed and the
   * promise resolves with the kill's exit status.
   */
  stall?: { timeoutMs: number; onStall: (idleMs: number) => void };
}

/** Capabilities a root process in the container gets (Docker's default set). */
const ROOT_CAPS = [
  "CAP_CHOWN",
  "CAP_DAC_OVERRIDE",
  "CAP_FSETID",
  "CAP_FOWNER",
  "CAP_MKNOD",
  "CAP_NET_RAW",
  "CAP_SETGID",
  "CAP_SETUID",
  "CAP_SETFCAP",
  "CAP_SETPCAP",
  "CAP_NET_BIND_SERVICE",
  "CAP_SYS_CHROOT",
  "CAP_KILL",
  "CAP_AUDIT_WRITE",
];

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

/**
 * Builds the OCI runtime config (config.json) for one process. Exported so tests and
 * `--verbose` output can show exactly what runc gets.
 */
export function runtimeConfig(opts: RunContainerOptions): Record<string, unknown> {
  const env = Array.isArray(opts.env) ? opts.env : Object.entries(opts.env).map(([k, v]) => `${k}=${v}`);
  const caps = opts.user.uid === 0 ? ROOT_CAPS : [];
  const limited = opts.memoryBytes !== undefined;
  const mounts: Record<string, unknown>[] = [
    { destination: "/proc", type: "proc", source: "proc" },
    {
      destination: "/dev",
      type: "tmpfs",
      source: "tmpfs",
      options: ["nosuid", "strictatime", "mode=755", "size=65536k"],
    },
    {
      destination: "/dev/pts",
      type: "devpts",
      source: "devpts",
      options: ["nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620"],
    },
    {
      destination: "/dev/shm",
      type: "tmpfs",
      source: "shm",
      options: ["nosuid", "noexec", "nodev", "mode=1777", "size=65536k"],
    },
    { destination: "/dev/mqueue", type: "mqueue", source: "mqueue", options: ["nosuid", "noexec", "nodev"] },
    // With the host's network namespace a fresh sysfs mount is refused, so bind the host's.
    // Not recursively when the container gets a cgroup mount of its own: the host's cgroup
    // mounts would stay in /proc/self/mountinfo under it, and the JDK's container code picks
    // those (with roots outside the namespace), reads nothing and throws (seen: Spring
    // Actuator's ProcessorMetrics failing the app's start).
    {
      destination: "/sys",
      type: "bind",
      source: "/sys",
      options: [limited ? "bind" : "rbind", "nosuid", "noexec", "nodev", "ro"],
    },
  ];
  if (limited) {
    mounts.push({
      destination: "/sys/fs/cgroup",
      type: "cgroup",
      source: "cgroup",
      options: ["nosuid", "noexec", "nodev", "relatime", "ro"],
    });
  }
  for (const file of ["/etc/resolv.conf", "/etc/hosts"]) {
    if (existsSync(file)) {
      mounts.push({ destination: file, type: "bind", source: file, options: ["bind", "ro", "nosuid", "nodev"] });
    }
  }
  for (const m of opts.mounts ?? []) {
    mounts.push({
      destination: m.destination,
      type: "bind",
      source: resolve(m.source),
      options: ["rbind", m.readonly ? "ro" : "rw", "nosuid", "nodev"],
    });
  }
  return {
    ociVersion: "1.0.2",
    process: {
      terminal: false,
      user: { uid: opts.user.uid, gid: opts.user.gid, additionalGids: opts.user.additionalGids ?? [] },
      args: opts.args,
      env,
      cwd: opts.cwd ?? "/",
      capabilities: { bounding: caps, effective: caps, permitted: caps, inheritable: [], ambient: [] },
      rlimits: [rlimit("RLIMIT_NOFILE", "Max open files", 65536), rlimit("RLIMIT_NPROC", "Max processes", 65536)],
      noNewPrivileges: true,
    },
    root: { path: resolve(opts.rootfs), readonly: false },
    hostname: opts.hostname ?? "cnbkit",
    mounts,
    linux: {
      namespaces: [
        { type: "pid" },
        { type: "ipc" },
        { type: "uts" },
        { type: "mount" },
        ...(opts.network === "none" ? [{ type: "network" }] : []),
        ...(limited ? [{ type: "cgroup" }] : []),
      ],
      ...(limited ? { resources: { memory: { limit: opts.memoryBytes, swap: opts.memoryBytes } } } : {}),
      maskedPaths: [
        "/proc/acpi",
        "/proc/asound",
        "/proc/kcore",
        "/proc/keys",
        "/proc/latency_stats",
        "/proc/timer_list",
        "/proc/timer_stats",
        "/proc/sched_debug",
        "/sys/firmware",
        "/proc/scsi",
      ],
      readonlyPaths: ["/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger"],
    },
  };
}

/**
 * An rlimit capped at this process's own hard limit: without CAP_SYS_RESOURCE (common in
 * CI sandboxes) runc cannot raise a hard limit, and the container would fail to start.
 */
function rlimit(type: string, procName: string, want: number): { type: string; hard: number; soft: number } {
  let hard = want;
  try {
    const line = readFileSync("/proc/self/limits", "utf8")
      .split("\n")
      .find((l) => l.startsWith(procName));
    const fields = line?.slice(procName.length).trim().split(/\s+/);
    const h = fields?.[1];
    if (h && h !== "unlimited") hard = Math.min(want, Number(h));
  } catch {
    // no /proc: keep the wanted value
  }
  return { type, hard, soft: hard };
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
  try {
    await writeFile(join(bundle, "config.json"), JSON.stringify(runtimeConfig(opts), null, 2));
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

function signalNumber(sig: NodeJS.Signals): number {
  return osConstants.signals[sig] ?? 0;
}

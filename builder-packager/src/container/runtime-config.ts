/**
 * What runc is asked to run: the options of one container ({@link RunContainerOptions}) and
 * the OCI runtime config (config.json) made from them. runc's default spec where it has one
 * (namespaces, masked and read-only paths), Docker's default capabilities for root, and
 * what cnbkit adds: the network (the host's, none, or an isolated namespace that
 * network-namespace.ts sets up), the host's /sys, resolv.conf and hosts, the caller's bind
 * mounts, a memory limit with a cgroup of its own.
 */
import { existsSync, readFileSync } from "node:fs";
import { resolve } from "node:path";
import type { ContainerNetwork } from "./network-namespace.js";

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
  /** Share the host's network namespace (the same as `network: "host"`). */
  hostNetwork?: true;
  /**
   * `none`: a fresh network namespace with only a loopback device that is down (pack's
   * `--network none`); `isolated`: a fresh namespace with outbound access through pasta, where
   * the host's loopback, its addresses and the metadata ranges are out of reach
   * (network-namespace.ts); default: the host's network.
   */
  network?: ContainerNetwork;
  /** `isolated` only: host-loopback ports the container reaches at its own 127.0.0.1 (the proxy, a local registry). */
  loopbackPorts?: number[];
  /** `isolated` only: ports of the host's 127.0.0.1 forwarded to the container (the app `cnbkit run` serves). */
  publish?: number[];
  /**
   * `isolated` only: join this namespace (`/run/netns/...`, opened by the caller with
   * openIsolatedNetwork and shared by a build's containers, which run one after another)
   * instead of opening one for this container: pasta's start is most of an isolated
   * container's extra cost, paid once per build this way, and while the build prepares.
   */
  netnsPath?: string;
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

/** What runc's default spec masks from a container (`runc spec`): kernel state it has no business reading. */
const MASKED_PATHS = [
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
];

/** What runc's default spec makes read-only in a container. */
const READONLY_PATHS = ["/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger"];

/**
 * The container's mounts: /proc, /dev and its parts, the host's /sys (and a cgroup mount of
 * its own when `limited`), the host's resolv.conf and hosts, then the caller's bind mounts.
 */
function containerMounts(opts: RunContainerOptions, limited: boolean): Record<string, unknown>[] {
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
  return mounts;
}

/** The network namespace entry: none for the host's, a fresh one, or the isolated one at `netnsPath`. */
function networkNamespace(opts: RunContainerOptions, netnsPath: string | undefined): Record<string, string>[] {
  if (opts.network === "none") return [{ type: "network" }];
  if (opts.network === "isolated") {
    if (!netnsPath) throw new Error("runtimeConfig: an isolated network needs the namespace's path");
    return [{ type: "network", path: netnsPath }];
  }
  return [];
}

/**
 * Builds the OCI runtime config (config.json) for one process. Exported so tests and
 * `--verbose` output can show exactly what runc gets. `netnsPath` is the isolated network's
 * namespace (network-namespace.ts) when `opts.network` is `isolated`.
 */
export function runtimeConfig(opts: RunContainerOptions, netnsPath?: string): Record<string, unknown> {
  const env = Array.isArray(opts.env) ? opts.env : Object.entries(opts.env).map(([k, v]) => `${k}=${v}`);
  // In an isolated network a raw packet socket (CAP_NET_RAW) would hand pasta frames that
  // skip the namespace's routes, the host-address block among them: root goes without it.
  const rootCaps = opts.network === "isolated" ? ROOT_CAPS.filter((c) => c !== "CAP_NET_RAW") : ROOT_CAPS;
  const caps = opts.user.uid === 0 ? rootCaps : [];
  const limited = opts.memoryBytes !== undefined;
  const mounts = containerMounts(opts, limited);
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
        ...networkNamespace(opts, netnsPath),
        ...(limited ? [{ type: "cgroup" }] : []),
      ],
      ...(limited ? { resources: { memory: { limit: opts.memoryBytes, swap: opts.memoryBytes } } } : {}),
      maskedPaths: MASKED_PATHS,
      readonlyPaths: READONLY_PATHS,
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

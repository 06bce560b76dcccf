/**
 * A Docker daemon for the tests that show what Docker makes of cnbkit's images (cnbkit itself
 * never needs one): Debian's dockerd (package docker.io, `scripts/setup.sh --tests`) with a
 * containerd of its own, both children of this process, with their sockets, state, keys and
 * pid files in one temp dir. No bridge and no iptables rules (containers use the host's
 * network), and config files of its own, so nothing outside that dir changes but the empty
 * /run/docker/plugins that dockerd 20.10 always makes (its plugin discovery dir, a constant),
 * removed again when it was not there before. Stopped by PID.
 */
import { type ChildProcess, execFile, spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdir, mkdtemp, readdir, readFile, rm, rmdir, writeFile } from "node:fs/promises";
import { request } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** The daemon and the CLI of the docker.io package (/usr/local/bin may hold another docker CLI). */
const DOCKERD = "/usr/sbin/dockerd";
const DOCKER = "/usr/bin/docker";
/** The dir dockerd makes for plugin sockets whatever its flags. */
const RUN_DOCKER = "/run/docker";

/** What a `docker` command gave. */
export interface DockerResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** A running test daemon. */
export interface TestDockerd {
  /** The dir holding its sockets, data and config; removed by {@link TestDockerd.stop}. */
  dir: string;
  /** `unix://<dir>/docker.sock`, for other clients (pack's DOCKER_HOST). */
  host: string;
  /** dockerd's and containerd's PIDs. */
  pids: { dockerd: number; containerd: number };
  /** Runs the package's `docker` CLI against this daemon, with its own DOCKER_CONFIG. */
  docker(args: string[]): Promise<DockerResult>;
  /** Removes every container, stops dockerd, then containerd and any shim of it left, and removes the dir. */
  stop(): Promise<void>;
}

/** True when Debian's docker.io is installed (`scripts/setup.sh --tests` installs it). */
export function hasDockerd(): boolean {
  return existsSync(DOCKERD) && existsSync(DOCKER);
}

/**
 * Starts containerd, then dockerd on it, and resolves once dockerd answers `/_ping`.
 * Its own containerd rather than dockerd's managed one: dockerd uses a system containerd
 * whenever /run/containerd/containerd.sock exists, and this one's PID is known to stop it.
 *
 * @example
 * const d = await startDockerd();
 * try { await d.docker(["pull", "127.0.0.1:5000/acme/app:1"]); } finally { await d.stop(); }
 */
export async function startDockerd(): Promise<TestDockerd> {
  const dir = await mkdtemp(join(tmpdir(), "cnbkit-dockerd-"));
  const ctrDir = join(dir, "containerd");
  const ctrSock = join(ctrDir, "containerd.sock");
  const sock = join(dir, "docker.sock");
  await mkdir(ctrDir);
  await mkdir(join(dir, "client"));
  // The CRI plugin is Kubernetes': off, so nothing looks for CNI or binds a stream port.
  await writeFile(
    join(ctrDir, "config.toml"),
    [
      "version = 2",
      `root = "${join(ctrDir, "root")}"`,
      `state = "${join(ctrDir, "state")}"`,
      'disabled_plugins = ["io.containerd.grpc.v1.cri"]',
      "[grpc]",
      `  address = "${ctrSock}"`,
      "[ttrpc]",
      `  address = "${ctrSock}.ttrpc"`,
      '[plugins."io.containerd.internal.v1.opt"]',
      `  path = "${join(ctrDir, "opt")}"`,
      "",
    ].join("\n"),
  );
  // A daemon.json of its own (otherwise dockerd reads /etc/docker/daemon.json) that puts its
  // identity key in the dir (otherwise dockerd 20.10 writes /etc/docker/key.json).
  await writeFile(join(dir, "daemon.json"), `${JSON.stringify({ "deprecated-key-path": join(dir, "key.json") })}\n`);
  const madeRunDocker = !existsSync(RUN_DOCKER);
  const logs = { containerd: "", dockerd: "" };
  const children: ChildProcess[] = [];
  const startChild = (name: "containerd" | "dockerd", cmd: string, args: string[]) => {
    const child = spawn(cmd, args, { stdio: ["ignore", "ignore", "pipe"] });
    child.stderr?.setEncoding("utf8").on("data", (d: string) => {
      logs[name] = (logs[name] + d).slice(-4000);
    });
    children.push(child);
    return child;
  };
  const env = { ...process.env, DOCKER_HOST: `unix://${sock}`, DOCKER_CONFIG: join(dir, "client") };
  const docker = (args: string[]) => exec(DOCKER, args, env);
  let dockerd: ChildProcess | undefined;
  const containerd = startChild("containerd", "containerd", ["--config", join(ctrDir, "config.toml")]);
  const stop = async () => {
    // Containers first, so their shims exit with them; then the daemons, dockerd before the
    // containerd it uses; then any shim of ours still there (shims outlive containerd).
    if (dockerd && alive(dockerd)) {
      const ids = (await docker(["ps", "-aq"])).stdout.split("\n").filter(Boolean);
      if (ids.length > 0) await docker(["rm", "-f", ...ids]);
    }
    for (const child of children.reverse()) await stopChild(child);
    for (const pid of await shimPids(ctrSock)) await stopPid(pid);
    await unmountUnder(dir);
    await rm(dir, { recursive: true, force: true });
    // Only while empty: another daemon may have started since.
    if (madeRunDocker) for (const d of [join(RUN_DOCKER, "plugins"), RUN_DOCKER]) await rmdir(d).catch(() => {});
  };
  try {
    await waitFor(
      () => existsSync(ctrSock),
      containerd,
      "containerd",
      () => logs.containerd,
    );
    dockerd = startChild("dockerd", DOCKERD, [
      `--data-root=${join(dir, "data")}`,
      `--exec-root=${join(dir, "exec")}`,
      `--pidfile=${join(dir, "dockerd.pid")}`,
      `--host=unix://${sock}`,
      `--containerd=${ctrSock}`,
      `--config-file=${join(dir, "daemon.json")}`,
      "--bridge=none",
      "--iptables=false",
      "--ip6tables=false",
    ]);
    await waitFor(
      () => ping(sock),
      dockerd,
      "dockerd",
      () => logs.dockerd,
    );
  } catch (err) {
    await stop();
    throw err;
  }
  return {
    dir,
    host: `unix://${sock}`,
    pids: { dockerd: dockerd.pid!, containerd: containerd.pid! },
    docker,
    stop,
  };
}

function exec(cmd: string, args: string[], env: NodeJS.ProcessEnv): Promise<DockerResult> {
  return new Promise((resolve) => {
    execFile(cmd, args, { env, maxBuffer: 64 << 20 }, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === "number" ? err.code : 1) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

function alive(child: ChildProcess): boolean {
  return child.exitCode === null && child.signalCode === null;
}

/** Polls `ready` for up to 60 s (a loaded 2-core machine), failing early with the log if `child` exits. */
async function waitFor(
  ready: () => boolean | Promise<boolean>,
  child: ChildProcess,
  name: string,
  log: () => string,
): Promise<void> {
  const deadline = Date.now() + 60_000;
  while (!(await ready())) {
    if (!alive(child)) throw new Error(`${name} exited (${child.exitCode ?? child.signalCode}): ${log()}`);
    if (Date.now() > deadline) throw new Error(`${name} did not come up in 60 s: ${log()}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** True when dockerd answers `GET /_ping` on `sock` with OK. */
function ping(sock: string): Promise<boolean> {
  return new Promise((resolve) => {
    const req = request({ socketPath: sock, path: "/_ping" }, (res) => {
      res.resume();
      resolve(res.statusCode === 200);
    });
    req.on("error", () => resolve(false));
    req.end();
  });
}

/** SIGTERM, then SIGKILL after 30 s (dockerd waits for its containers to stop), and waits for the exit. */
async function stopChild(child: ChildProcess): Promise<void> {
  if (!alive(child) || !child.pid) return;
  const exited = new Promise<void>((r) => child.once("exit", () => r()));
  process.kill(child.pid, "SIGTERM");
  const timer = setTimeout(() => alive(child) && process.kill(child.pid!, "SIGKILL"), 30_000);
  await exited;
  clearTimeout(timer);
}

/** Stops a process that is not this one's child: SIGTERM, then SIGKILL after 10 s. */
async function stopPid(pid: number): Promise<void> {
  const running = () => existsSync(`/proc/${pid}`);
  try {
    process.kill(pid, "SIGTERM");
  } catch {
    return;
  }
  for (let i = 0; i < 100 && running(); i++) await new Promise((r) => setTimeout(r, 100));
  if (running()) process.kill(pid, "SIGKILL");
}

/** The containerd shims serving the containerd on `sock` (their command line names its address). */
async function shimPids(sock: string): Promise<number[]> {
  const pids: number[] = [];
  for (const entry of await readdir("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    const cmdline = await readFile(`/proc/${entry}/cmdline`, "utf8").catch(() => "");
    const argv = cmdline.split("\0");
    if (argv[0]?.endsWith("containerd-shim-runc-v2") && argv.includes(sock)) pids.push(Number(entry));
  }
  return pids;
}

/** Unmounts what is still mounted under `dir` (a container's rootfs when dockerd was killed), deepest first. */
async function unmountUnder(dir: string): Promise<void> {
  const mounts = (await readFile("/proc/self/mountinfo", "utf8"))
    .split("\n")
    .map((l) => l.split(" ")[4] ?? "")
    .filter((p) => p.startsWith(`${dir}/`))
    .sort((a, b) => b.length - a.length);
  for (const p of mounts) await exec("umount", ["-l", p], process.env);
}

/**
 * `cnbkit run`: starts an app image under runc with the host's network (or an isolated one,
 * `network`, that reaches the outside and serves the app's port on 127.0.0.1), as the image's
 * user, through the CNB launcher (the image's Entrypoint), so it behaves as it would in
 * Kubernetes. The image is unpacked once per digest; each run gets a writable overlay view.
 *
 * The unpacked image is in use (../cache/prune.ts) from the unpack until the app has ended, and
 * released then, so a process that runs many apps does not pin them all. A new unpack prunes
 * the cache only after the container has started, so the app never waits for old images to
 * be deleted, and never prunes the image it runs.
 */
import { readFile } from "node:fs/promises";
import { connect } from "node:net";
import { join } from "node:path";
import { CnbError } from "@cnbkit/framework";
import { formatBytes } from "@cnbkit/framework/log";
import { cnbkitCacheDir, sweepStale } from "../cache/index.js";
import type { Platform } from "../oci/index.js";
import { containerCommand } from "./container-command.js";
import {
  type ContainerNetwork,
  checkRunnable,
  openRootfsView,
  pruneUnpackedImages,
  runContainer,
  uniqueContainerId,
  unpackImage,
} from "../container/index.js";
import { launchExecEnv } from "./launch-exec-env.js";

/** Options of {@link runApp}. */
export interface RunOptions {
  /** The app image: `oci:dir[:tag]` or a registry reference. */
  image: string;
  /** Port the app should listen on (sets PORT); default 8080. */
  port?: number;
  /** Extra environment for the app. */
  env?: Record<string, string>;
  /** Process type to run (`/cnb/process/<type>`); default: the image's default process. */
  process?: string;
  /**
   * Memory limit in bytes (`cnbkit run --memory`), enforced by the container's cgroup and
   * readable inside at /sys/fs/cgroup, as under `docker run --memory` or a Kubernetes limit.
   */
  memoryBytes?: number;
  /** Arguments appended to the process's command. */
  args?: string[];
  /**
   * Aborting stops the app; aborted before it started (while unpacking, say), `runApp`
   * rejects with a CnbError and starts nothing.
   */
  signal?: AbortSignal;
  /** Each line the app prints. */
  onOutput?: (line: string, stream: "stdout" | "stderr") => void;
  /** cnbkit's cache root. */
  cnbkitCache?: string;
  /** The image of an image index to run (default: this machine's platform); another arch runs under qemu. */
  platform?: Platform;
  /**
   * The app's network (`cnbkit run --network`): `host` (default: {@link RunningApp.ready}
   * probes the host's port, which an isolated network's forward holds open before the app
   * listens), `isolated` (the build's default: the port forwarded from 127.0.0.1, this
   * machine's loopback and the metadata address out of reach), or `none`.
   */
  network?: ContainerNetwork;
}

/** A running app. */
export interface RunningApp {
  /** The container id (for logs and debugging). */
  id: string;
  /** The port it was told to listen on. */
  port: number;
  /** Resolves with the exit status when the app ends (by itself or by {@link stop}). */
  exited: Promise<number>;
  /** Resolves once 127.0.0.1:port accepts connections; rejects if the app exits first or after `timeoutMs`. */
  ready(timeoutMs?: number): Promise<void>;
  /** Kills the app and cleans up; resolves with its exit status. */
  stop(): Promise<number>;
}

/** Parses an image's `User` ("1000:1000", "1000", "cnb", "cnb:cnb") against its /etc/passwd and /etc/group. */
export async function resolveUser(rootfs: string, user: string | undefined): Promise<{ uid: number; gid: number }> {
  if (!user) return { uid: 0, gid: 0 };
  const [u = "", g] = user.split(":");
  const table = async (file: string) =>
    (await readFile(join(rootfs, file), "utf8").catch(() => ""))
      .split("\n")
      .map((l) => l.split(":"))
      .filter((f) => f.length > 3);
  let uid = Number(u);
  let gid: number | undefined;
  if (!/^\d+$/.test(u)) {
    const row = (await table("etc/passwd")).find((f) => f[0] === u);
    if (!row) throw new CnbError(`image user "${u}" is not in the image's /etc/passwd`);
    uid = Number(row[2]);
    gid = Number(row[3]);
  } else if (g === undefined) {
    const row = (await table("etc/passwd")).find((f) => f[2] === u);
    gid = row ? Number(row[3]) : uid;
  }
  if (g !== undefined) {
    if (/^\d+$/.test(g)) gid = Number(g);
    else {
      const row = (await table("etc/group")).find((f) => f[0] === g);
      if (!row) throw new CnbError(`image group "${g}" is not in the image's /etc/group`);
      gid = Number(row[2]);
    }
  }
  return { uid, gid: gid ?? uid };
}

/**
 * Starts `image` and returns at once with a handle; call `stop()` (or abort `signal`) to end it.
 *
 * @example
 * const app = await runApp({ image: "oci:out/app:latest", port: 8080, onOutput: console.log });
 * await app.ready();
 * // ... GET http://127.0.0.1:8080/ ...
 * await app.stop();
 */
export async function runApp(opts: RunOptions): Promise<RunningApp> {
  const port = opts.port ?? 8080;
  const cacheDir = opts.cnbkitCache ?? cnbkitCacheDir();
  const log = (l: string) => opts.onOutput?.(l, "stderr");
  const stopped = () => new CnbError("run stopped before the app started");
  await sweepStale();
  if (opts.signal?.aborted) throw stopped();
  const unpacked = await unpackImage(opts.image, {
    cacheDir,
    onProgress: log,
    prune: false,
    signal: opts.signal,
    ...(opts.platform ? { platform: opts.platform } : {}),
  });
  let view: Awaited<ReturnType<typeof openRootfsView>> | undefined;
  let exited: Promise<number>;
  let pruned: Promise<void> = Promise.resolve();
  const ac = new AbortController();
  const onOuterAbort = () => ac.abort();
  const id = uniqueContainerId("cnbkit-run");
  try {
    if ((await checkRunnable(`image ${opts.image}`, unpacked.config, { onLog: log })) === "emulated") {
      log(`Running linux/${unpacked.config.architecture} under qemu emulation`);
    }
    const cfg = unpacked.config.config ?? {};
    const args = await containerCommand(opts, unpacked.rootfs, cfg);
    const user = await resolveUser(unpacked.rootfs, cfg.User);
    const execEnv = launchExecEnv(cfg.Labels ?? {}, cfg.Env ?? [], opts.env ?? {});
    if (execEnv) log(`Starting in the execution environment the image was built for: CNB_EXEC_ENV=${execEnv}`);
    const env = containerEnv(cfg.Env ?? [], port, { ...(execEnv ? { CNB_EXEC_ENV: execEnv } : {}), ...opts.env });
    view = await openRootfsView(unpacked.rootfs);
    if (opts.signal?.aborted) throw stopped();
    opts.signal?.addEventListener("abort", onOuterAbort, { once: true });
    const started = view;
    exited = runContainer({
      id,
      rootfs: started.path,
      args,
      env,
      cwd: cfg.WorkingDir || "/workspace",
      user,
      network: opts.network ?? "host",
      ...(opts.network === "isolated" ? { publish: [port] } : {}),
      ...(opts.memoryBytes !== undefined ? { memoryBytes: opts.memoryBytes } : {}),
      signal: ac.signal,
      onStdout: (l) => opts.onOutput?.(l, "stdout"),
      onStderr: (l) => opts.onOutput?.(l, "stderr"),
    })
      .then((code) => {
        // 137 is SIGKILL: with a limit and no stop asked for, the kernel's OOM killer is the likely sender.
        if (code === 137 && opts.memoryBytes !== undefined && !ac.signal.aborted)
          log(
            `The app was killed (SIGKILL), most likely for going over its ${formatBytes(opts.memoryBytes)} memory limit: raise --memory or lower the app's use`,
          );
        return code;
      })
      .finally(async () => {
        opts.signal?.removeEventListener("abort", onOuterAbort);
        await started.release();
        await unpacked.release();
        await pruned;
      });
  } catch (err) {
    await view?.release();
    await unpacked.release();
    throw err;
  }
  // A new entry may push the cache over its bound: prune while the app starts, keeping it.
  if (!unpacked.cached) pruned = pruneUnpackedImages({ cacheDir, keep: unpacked.digest, onProgress: log });
  return runningApp(id, port, exited, ac);
}

/** The image's Env with PORT set to the port we publish, then the caller's variables. */
function containerEnv(imageEnv: string[], port: number, extra: Record<string, string>): string[] {
  return [
    ...imageEnv.filter((e) => !e.startsWith("PORT=")),
    `PORT=${port}`,
    ...Object.entries(extra).map(([k, v]) => `${k}=${v}`),
  ];
}

/** The handle {@link runApp} returns: wait for the port, or stop the container. */
function runningApp(id: string, port: number, exited: Promise<number>, ac: AbortController): RunningApp {
  let ended = false;
  exited.then(
    () => {
      ended = true;
    },
    () => {
      ended = true;
    },
  );
  return {
    id,
    port,
    exited,
    async ready(timeoutMs = 30_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        if (ended) throw new CnbError(`app exited before it listened on port ${port} (exit status ${await exited})`);
        if (await canConnect(port)) return;
        if (Date.now() > deadline) throw new CnbError(`app did not listen on port ${port} within ${timeoutMs} ms`);
        await new Promise((r) => setTimeout(r, 50));
      }
    },
    async stop() {
      ac.abort();
      return exited;
    },
  };
}

function canConnect(port: number): Promise<boolean> {
  return new Promise((res) => {
    const s = connect({ host: "127.0.0.1", port });
    s.once("connect", () => {
      s.destroy();
      res(true);
    });
    s.once("error", () => res(false));
  });
}

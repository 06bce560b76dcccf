import { execFileSync, spawn, spawnSync } from "node:child_process";
import { readdirSync, readlinkSync, realpathSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, expect, onTestFinished, test } from "vitest";
import { isProcessAlive } from "../cache/index.js";
import { runContainer, uniqueContainerId } from "./runc.js";
import { bundleTestScript } from "../oci/test-bundle.js";
import { hostUsrRootfs } from "../platform/test-fixtures.js";
import type { BindMount } from "./runtime-config.js";

let rootfs = "";
let mounts: BindMount[] = [];
const env = { PATH: "/usr/bin:/bin" };

beforeAll(async () => {
  ({ rootfs, mounts } = await hostUsrRootfs());
});
afterAll(async () => {
  await rm(rootfs, { recursive: true, force: true });
});

test("runs as the given user with no capabilities, streaming stdout and stderr by line", async () => {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runContainer({
    rootfs,
    mounts,
    args: ["sh", "-c", "id -u; id -g; grep CapEff /proc/self/status; echo oops >&2; exit 3"],
    env,
    user: { uid: 1000, gid: 1000 },
    hostNetwork: true,
    onStdout: (l) => out.push(l),
    onStderr: (l) => err.push(l),
  });
  expect(code).toBe(3);
  expect(out[0]).toBe("1000");
  expect(out[1]).toBe("1000");
  expect(out[2]).toMatch(/^CapEff:\s+0+$/);
  expect(err).toEqual(["oops"]);
});

test("shares the host network and resolv.conf, but has its own pid namespace", async () => {
  const out: string[] = [];
  const code = await runContainer({
    rootfs,
    mounts,
    args: ["sh", "-c", "readlink /proc/self/ns/net; readlink /proc/self/ns/pid; echo $$; cat /etc/resolv.conf | wc -c"],
    env,
    user: { uid: 0, gid: 0 },
    hostNetwork: true,
    onStdout: (l) => out.push(l),
  });
  expect(code).toBe(0);
  expect(out[0]).toBe(readlinkSync("/proc/self/ns/net"));
  expect(out[1]).not.toBe(readlinkSync("/proc/self/ns/pid"));
  expect(out[2]).toBe("1");
});

test("bind mounts are read-only when asked", async () => {
  const err: string[] = [];
  const code = await runContainer({
    rootfs,
    mounts: [...mounts, { source: rootfs, destination: "/ro", readonly: true }],
    args: ["sh", "-c", "touch /ro/x"],
    env,
    user: { uid: 0, gid: 0 },
    hostNetwork: true,
    onStderr: (l) => err.push(l),
  });
  expect(code).not.toBe(0);
  expect(err.join("\n")).toMatch(/Read-only file system/);
});

test("abort kills the container and the same id can be used again", async () => {
  const id = uniqueContainerId("abort");
  const ac = new AbortController();
  const started = runContainer({
    id,
    rootfs,
    mounts,
    args: ["sh", "-c", "echo ready; sleep 600"],
    env,
    user: { uid: 1000, gid: 1000 },
    hostNetwork: true,
    signal: ac.signal,
    onStdout: (l) => {
      if (l === "ready") ac.abort();
    },
  });
  const code = await started;
  expect(code).toBe(137);
  // The container was deleted, so its id is free again.
  const again = await runContainer({ id, rootfs, mounts, args: ["true"], env, user: { uid: 0, gid: 0 } });
  expect(again).toBe(0);
});

test("parallel containers do not collide", async () => {
  const codes = await Promise.all(
    [1, 2, 3].map((n) =>
      runContainer({ rootfs, mounts, args: ["sh", "-c", `exit ${n}`], env, user: { uid: 1000, gid: 1000 } }),
    ),
  );
  expect(codes).toEqual([1, 2, 3]);
});

test("a SIGKILL of the caller's whole process group stops its container within seconds", async () => {
  const work = await mkdtemp(join(tmpdir(), "cnbkit-runc-kill-"));
  onTestFinished(() => rm(work, { recursive: true, force: true }));
  const driver = join(work, "driver.mjs");
  await bundleTestScript(join(import.meta.dirname, "test-container-driver.ts"), driver);
  // Its own process group, as a terminal gives a command: the test kills the whole group.
  const child = spawn(process.execPath, [driver, rootfs, "sh", "-c", "echo up; exec sleep 600"], {
    detached: true,
    stdio: ["ignore", "pipe", "inherit"],
  });
  const pid = child.pid as number;
  await new Promise<void>((res) => child.stdout.on("data", (c: Buffer) => c.toString().includes("up") && res()));
  const stateRoot = readdirSync(tmpdir())
    .filter((n) => n.startsWith(`cnbkit-runc-${pid}-`))
    .map((n) => join(tmpdir(), n))[0];
  expect(stateRoot).toBeDefined();
  const state = spawnSync("sh", ["-c", `runc --root ${stateRoot} state "$(runc --root ${stateRoot} list -q)"`], {
    encoding: "utf8",
  });
  const containerPid = JSON.parse(state.stdout).pid as number;
  expect(isProcessAlive(containerPid)).toBe(true);
  onTestFinished(() => {
    spawnSync("sh", [
      "-c",
      `for id in $(runc --root ${stateRoot} list -q); do runc --root ${stateRoot} delete -f $id; done`,
    ]);
  });

  const t0 = Date.now();
  process.kill(-pid, "SIGKILL");
  while (isProcessAlive(containerPid) && Date.now() - t0 < 10_000) await new Promise((r) => setTimeout(r, 50));
  console.log(`container gone ${Date.now() - t0} ms after the SIGKILL`);
  expect(isProcessAlive(containerPid)).toBe(false);
  expect(Date.now() - t0).toBeLessThan(5_000);
}, 180_000);

test("a memory limit is enforced by the container's cgroup, and the container reads it at /sys/fs/cgroup", async () => {
  const limit = 96 * 1024 * 1024;
  const run = async (script: string) => {
    const out: string[] = [];
    const code = await runContainer({
      rootfs,
      mounts,
      args: ["sh", "-c", script],
      env,
      user: { uid: 1000, gid: 1000 },
      hostNetwork: true,
      memoryBytes: limit,
      onStdout: (l) => out.push(l),
    });
    return { code, out };
  };
  // cgroup v1 or v2, whichever this host has: the container sees its own limit, not the host's.
  const read = await run(
    "cat /sys/fs/cgroup/memory/memory.limit_in_bytes 2>/dev/null || cat /sys/fs/cgroup/memory.max",
  );
  expect(read).toEqual({ code: 0, out: [String(limit)] });
  // Only the container's own cgroup mounts: the host's (roots outside the namespace) would
  // send the JDK's container code to paths that do not exist, and it throws.
  const cgroupMounts = await run("grep ' /sys/fs/cgroup' /proc/self/mountinfo | cut -d' ' -f4,5");
  expect(cgroupMounts.out.length).toBeGreaterThan(1);
  expect(cgroupMounts.out.filter((l) => !/^\/ \/sys\/fs\/cgroup(\/[\w=,.]+)?$/.test(l))).toEqual([]);
  // The JVM reads that limit as the container's (its -XshowSettings:system report).
  const java = realpathSync(execFileSync("sh", ["-c", "command -v java"], { encoding: "utf8" }).trim());
  const jvm = await run(`${java} -XshowSettings:system -version 2>&1`);
  expect(jvm.out.join("\n")).toMatch(/Memory Limit: 96\.00M/);
  const fill = (mb: number) =>
    `exec node -e "const b = Buffer.alloc(${mb} * 2 ** 20); b.fill(1); console.log(b.length)"`;
  expect(await run(fill(16))).toEqual({ code: 0, out: [String(16 * 2 ** 20)] });
  // Over the limit the kernel's OOM killer ends the process: SIGKILL, 128 + 9.
  expect((await run(fill(256))).code).toBe(137);
});

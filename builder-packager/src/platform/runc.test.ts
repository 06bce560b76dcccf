import { readlinkSync } from "node:fs";
import { rm } from "node:fs/promises";
import { afterAll, beforeAll, expect, test } from "vitest";
import { runContainer, uniqueContainerId } from "./runc.js";
import { hostUsrRootfs } from "./test-fixtures.js";
import type { BindMount } from "./runc.js";

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

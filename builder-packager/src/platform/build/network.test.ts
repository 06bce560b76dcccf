/**
 * `cnbkit build --network none` runs the lifecycle in a network namespace of its own: the
 * container sees another namespace than the host's, and only a loopback device (no route out).
 */
import { readlinkSync } from "node:fs";
import { rm } from "node:fs/promises";
import { afterAll, beforeAll, expect, test } from "vitest";
import { type BindMount, runContainer } from "../../container/index.js";
import { hostUsrRootfs } from "../test-fixtures.js";

let rootfs = "";
let mounts: BindMount[] = [];

beforeAll(async () => {
  ({ rootfs, mounts } = await hostUsrRootfs());
});
afterAll(async () => {
  await rm(rootfs, { recursive: true, force: true });
});

test("network none: a fresh network namespace with only lo", async () => {
  const out: string[] = [];
  const code = await runContainer({
    rootfs,
    mounts,
    args: ["sh", "-c", "readlink /proc/self/ns/net; tail -n +3 /proc/net/dev | cut -d: -f1 | tr -d ' '"],
    env: { PATH: "/usr/bin:/bin" },
    user: { uid: 1000, gid: 1000 },
    network: "none",
    onStdout: (l) => out.push(l),
  });
  expect(code).toBe(0);
  expect(out[0]).toMatch(/^net:\[\d+\]$/);
  expect(out[0]).not.toBe(readlinkSync("/proc/self/ns/net"));
  expect(out.slice(1)).toEqual(["lo"]);
});

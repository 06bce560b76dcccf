import { spawn } from "node:child_process";
import { expect, onTestFinished, test } from "vitest";
import { isProcessAlive, processIdentity } from "./pid.js";

test("a zombie is not alive, though kill(pid, 0) still finds it", async () => {
  // The background sleep exits at once; its parent exec'd into a sleep that never reaps it.
  const parent = spawn("sh", ["-c", "sleep 0 & echo $!; exec sleep 30"], { stdio: ["ignore", "pipe", "ignore"] });
  onTestFinished(() => {
    parent.kill("SIGKILL");
  });
  const zombie = Number(
    await new Promise<string>((res) => parent.stdout.once("data", (c: Buffer) => res(c.toString()))),
  );
  await new Promise((r) => setTimeout(r, 300));
  expect(() => process.kill(zombie, 0)).not.toThrow(); // what the three old checks asked
  expect(isProcessAlive(zombie)).toBe(false);
  expect(isProcessAlive(parent.pid as number)).toBe(true);
});

test("a pid whose process is gone, or now another process, is not the owner", async () => {
  const child = spawn("sleep", ["30"]);
  const pid = child.pid as number;
  const identity = processIdentity(pid);
  expect(identity).toMatch(/^[0-9a-f-]{36} \d+$/);
  expect(isProcessAlive(pid, identity)).toBe(true);
  expect(isProcessAlive(pid, "another-boot 1")).toBe(false);
  child.kill("SIGKILL");
  await new Promise((r) => child.on("close", r));
  expect(isProcessAlive(pid, identity)).toBe(false);
  expect(isProcessAlive(process.pid)).toBe(true);
  expect(isProcessAlive(0)).toBe(false);
});

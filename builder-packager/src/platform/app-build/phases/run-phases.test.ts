import { expect, test } from "vitest";
import { type PhaseCommand, phaseCommands } from "./flag-sets.js";
import { runPhases } from "./run-phases.js";

const commands = phaseCommands("cnbkit", {
  platformApi: "0.14",
  appName: "a:latest",
  runName: "r:latest",
  cache: { dir: "/cache" },
  insecureRegistries: [],
  uid: 1000,
  gid: 1000,
  logLevel: "info",
  color: false,
  skipLayers: false,
});

test("phases run in order, each after its header, and the first failure stops the rest", async () => {
  const seen: string[] = [];
  const result = await runPhases(
    commands,
    { uid: 1000 },
    async (c: PhaseCommand) => {
      seen.push(c.phase);
      return c.phase === "detect" ? 20 : 0;
    },
    (h) => seen.push(h),
  );
  expect(seen).toEqual(["===> ANALYZING", "analyze", "===> DETECTING", "detect"]);
  expect(result).toEqual({ code: 20, failed: "detect" });
  const all: string[] = [];
  expect(
    await runPhases(
      commands,
      { uid: 1000 },
      async (c) => {
        all.push(c.phase);
        return 0;
      },
      () => {},
    ),
  ).toEqual({ code: 0 });
  expect(all).toEqual(["analyze", "detect", "restore", "build", "export"]);
});

test("a root CNB user is one line before any phase runs (the detector and builder refuse root)", async () => {
  let ran = 0;
  await expect(
    runPhases(
      commands,
      { uid: 0 },
      async () => ++ran,
      () => {},
    ),
  ).rejects.toThrow(/CNB_USER_ID=0\): the lifecycle's detector and builder refuse to run as root/);
  expect(ran).toBe(0);
});

test("after runs once a phase has passed, before the next phase's header (where cnbkit extends the build image)", async () => {
  const seen: string[] = [];
  await runPhases(
    commands,
    { uid: 1000 },
    async (c) => {
      seen.push(c.phase);
      return 0;
    },
    (h) => seen.push(h),
    async (phase) => {
      if (phase === "detect") seen.push("after detect");
    },
  );
  expect(seen.slice(2, 6)).toEqual(["===> DETECTING", "detect", "after detect", "===> RESTORING"]);
});

import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect, onTestFinished, test } from "vitest";
import { LifecycleOutput } from "./lifecycle-output.js";

/** The exporter's end of a build at info level, as lifecycle 0.21.17 prints it. */
const EXPORT = [
  "\u001b[36m===> EXPORTING\u001b[0m",
  "Using app image: /layout-repo/cnbkit.local/app/latest",
  "Reusing layer 'cnbkit/nodejs:node'",
  "Adding layer 'cnbkit/nodejs:launch_modules'",
  "Saving /layout-repo/cnbkit.local/app/latest...",
  "*** Images (/layout-repo/cnbkit.local/app/latest@sha256:353ed74758c2654e9181684b32e49292aeffe5a9e00e1ee1c4210e29218fcb9e):",
  "      /layout-repo/cnbkit.local/app/latest",
  "Adding cache layer 'cnbkit/nodejs:node_exec_d'",
];

async function follow(raw: boolean): Promise<{ shown: string[]; out: LifecycleOutput }> {
  const rootfs = await mkdtemp(join(tmpdir(), "cnbkit-lifecycle-output-"));
  onTestFinished(() => rm(rootfs, { recursive: true, force: true }));
  const shown: string[] = [];
  const out = new LifecycleOutput({
    builderRootfs: rootfs,
    names: [
      { path: "cnbkit.local/app/latest", ref: "oci:/out/app:latest" },
      { path: "cnbkit.local/run/latest", ref: "oci:/base:run" },
    ],
    raw,
    show: (line) => shown.push(line),
  });
  for (const line of EXPORT) out.line(line, "stdout");
  return { shown, out };
}

test("the exporter's layout-repo image and digest are dropped, its other names read as the user's references", async () => {
  const { shown, out } = await follow(false);
  expect(shown).toEqual([
    "\u001b[36m===> EXPORTING\u001b[0m",
    "Using app image: oci:/out/app:latest",
    "Reusing layer 'cnbkit/nodejs:node'",
    "Adding layer 'cnbkit/nodejs:launch_modules'",
    "Adding cache layer 'cnbkit/nodejs:node_exec_d'",
  ]);
  expect(out.reused).toEqual(["cnbkit/nodejs:node"]);
  expect(out.phase).toBe("EXPORTING");
  // The exit message still sees what the lifecycle said.
  expect(out.lastLines).toEqual(EXPORT);
});

test("at debug level every line is shown as the lifecycle printed it", async () => {
  const { shown } = await follow(true);
  expect(shown).toEqual(EXPORT);
});

test("each phase is timed from its header to the next, the last to the creator's exit", async () => {
  const rootfs = await mkdtemp(join(tmpdir(), "cnbkit-lifecycle-output-"));
  onTestFinished(() => rm(rootfs, { recursive: true, force: true }));
  let clock = 1000;
  const out = new LifecycleOutput({ builderRootfs: rootfs, names: [], raw: false, show: () => {}, now: () => clock });
  const at = (ms: number, line: string) => {
    clock = ms;
    out.line(line, "stdout");
  };
  at(1000, "\u001b[36m===> ANALYZING\u001b[0m");
  at(1300, "===> DETECTING");
  at(2400, "test/server 0.0.1");
  at(2400, "===> RESTORING");
  at(2600, "===> BUILDING");
  at(9000, "Test server buildpack");
  at(37_600, "===> EXPORTING");
  clock = 42_200;
  out.end();
  clock = 99_000; // later reads do not move the end
  expect(out.phaseTimes()).toEqual([
    { phase: "analyze", ms: 300 },
    { phase: "detect", ms: 1100 },
    { phase: "restore", ms: 200 },
    { phase: "build", ms: 35_000 },
    { phase: "export", ms: 4600 },
  ]);
});

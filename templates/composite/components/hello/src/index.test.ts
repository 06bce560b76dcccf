import { fileURLToPath } from "node:url";
import { removeTempDirs, runBuild, runDetect } from "@cnbkit/framework/testing";
import { afterAll, expect, test } from "vitest";
import bp from "./index.js";

// The harness's temp dirs (app, layers, platform) go when this file's tests are done.
afterAll(removeTempDirs);

const buildpackDir = fileURLToPath(new URL("..", import.meta.url));

test("detect needs hello.txt", async () => {
  expect((await runDetect(bp, { buildpackDir, app: { "hello.txt": "hi" } })).passed).toBe(true);
  expect((await runDetect(bp, { buildpackDir, app: {} })).passed).toBe(false);
});

test("build declares the web process", async () => {
  const run = await runBuild(bp, { buildpackDir, app: { "hello.txt": "hi" } });
  expect(run.processes.map((p) => [p.type, p.default])).toEqual([["web", true]]);
});

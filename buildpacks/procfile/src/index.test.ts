import { fileURLToPath } from "node:url";
import { runBuild, runDetect } from "@cnbkit/framework/testing";
import { describe, expect, test } from "vitest";
import bp from "./index.js";

const buildpackDir = fileURLToPath(new URL("..", import.meta.url));

describe("procfile buildpack", () => {
  test("detect passes with an empty plan when there is a Procfile, fails otherwise", async () => {
    const pass = await runDetect(bp, { buildpackDir, app: { Procfile: "web: node server.js\n" } });
    expect(pass.passed).toBe(true);
    expect(pass.plans).toEqual([{ provides: [], requires: [] }]);
    const fail = await runDetect(bp, { buildpackDir, app: { "server.js": "" } });
    expect(fail.result).toEqual({ kind: "fail", reason: "no Procfile" });
  });
  test("build writes one bash -c process per line, web by default", async () => {
    const r = await runBuild(bp, {
      buildpackDir,
      app: { Procfile: "web: node server.js --port $PORT\nworker: node jobs.js\n" },
    });
    expect(r.processes).toEqual([
      { type: "web", command: ["bash", "-c", "node server.js --port $PORT"], default: true },
      { type: "worker", command: ["bash", "-c", "node jobs.js"], default: false },
    ]);
  });
  test("a bad line fails the build naming Procfile:line", async () => {
    await expect(runBuild(bp, { buildpackDir, app: { Procfile: "web: a\n\nnope\n" } })).rejects.toThrow(
      /^Procfile:3: expected "<type>: <command>"/,
    );
  });
});

import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { removeTempDirs, runBuild, runDetect } from "@cnbkit/framework/testing";
import { afterAll, describe, expect, test } from "vitest";
import bp from "./index.js";

// The harness's temp dirs (app, layers, platform) go when this file's tests are done. With
// real layers (a toolchain of thousands of files in each run) that takes seconds: package.json's
// `npm test` gives hooks the same 120 s as tests, not vitest's default 10 s.
afterAll(removeTempDirs);

// Use this buildpack's own buildpack.toml (id, version, sbom-formats).
const buildpackDir = fileURLToPath(new URL("..", import.meta.url));

describe("{{id}}", () => {
  test("detect passes for an app with hello.txt and fails without", async () => {
    const pass = await runDetect(bp, { buildpackDir, app: { "hello.txt": "Hello, world\n" } });
    expect(pass.plans).toEqual([{ provides: [{ name: "hello" }], requires: [{ name: "hello" }] }]);
    const fail = await runDetect(bp, { buildpackDir, app: { "index.html": "" } });
    expect(fail.result).toEqual({ kind: "fail", reason: "no hello.txt" });
  });

  test("build installs a hello command, its env, a process and an SBOM", async () => {
    const run = await runBuild(bp, { buildpackDir, app: { "hello.txt": "Hello, world\n" } });
    expect(run.processes).toEqual([{ type: "hello", command: ["hello"] }]);
    expect(run.launchEnv("hello").HELLO_FILE).toBe("/workspace/hello.txt");
    const out = spawnSync(join(run.layer("hello").path, "bin", "hello"), { encoding: "utf8" });
    expect(out.stdout).toBe("Hello, world\n");
    const sbom = run.sbom("hello", "cdx") as { components: { name: string }[] };
    expect(sbom.components.map((c) => c.name)).toEqual(["hello"]);
  });

  test("a rebuild reuses the layer while hello.txt is unchanged, and rebuilds it when it changes", async () => {
    const first = await runBuild(bp, { buildpackDir, app: { "hello.txt": "Hello" } });
    const same = await runBuild(bp, { buildpackDir, app: first.app, restore: first.layers });
    expect(same.layer("hello").state.kind).toBe("restored");
    const changed = await runBuild(bp, { buildpackDir, app: { "hello.txt": "Bonjour" }, restore: first.layers });
    expect(changed.layer("hello").state.kind).toBe("reset");
  });
});

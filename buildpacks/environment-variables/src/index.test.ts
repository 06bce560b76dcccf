import { fileURLToPath } from "node:url";
import { runBuild, runDetect } from "@cnbkit/framework/testing";
import { describe, expect, test } from "vitest";
import bp from "./index.js";

const buildpackDir = fileURLToPath(new URL("..", import.meta.url));

describe("environment-variables buildpack", () => {
  test("detect passes with an empty plan when some BPE_* is non-empty, in <platform>/env or the process env", async () => {
    const viaFile = await runDetect(bp, { buildpackDir, platformEnv: { BPE_GREETING: "hi" } });
    expect(viaFile.passed).toBe(true);
    expect(viaFile.plans).toEqual([{ provides: [], requires: [] }]);
    expect((await runDetect(bp, { buildpackDir, env: { BPE_DEFAULT_X: "1" } })).passed).toBe(true);
    const none = await runDetect(bp, { buildpackDir, env: { BP_X: "1", BPE_EMPTY: "" } });
    expect(none.result).toEqual({ kind: "fail", reason: "no BPE_* variable is set" });
  });

  test("every BPE_ form reaches the launched process, over the run image's env as the launcher applies it", async () => {
    const r = await runBuild(bp, {
      buildpackDir,
      platformEnv: {
        BPE_GREETING: "hi",
        BPE_OVERRIDE_LANG: "C.UTF-8",
        BPE_DEFAULT_TZ: "UTC",
        BPE_DEFAULT_KEEP: "unused",
        BPE_APPEND_JAVA_OPTS: "-Xss1m",
        BPE_PREPEND_PATH: "/opt/bin",
        BPE_DELIM_PATH: ":",
        BPE_DELIM_JAVA_OPTS: " ",
      },
    });
    const base = { LANG: "en", KEEP: "kept", PATH: "/usr/bin", JAVA_OPTS: "-Xmx1g" };
    expect(r.launchEnv(undefined, base)).toEqual({
      GREETING: "hi",
      LANG: "C.UTF-8",
      TZ: "UTC",
      KEEP: "kept",
      JAVA_OPTS: "-Xmx1g -Xss1m",
      PATH: "/opt/bin:/usr/bin",
    });
    // Launch only: later buildpacks' builds do not see them.
    expect(r.buildEnv().GREETING).toBeUndefined();
    expect(r.layer("environment-variables").toml?.types).toEqual({ launch: true, build: false, cache: false });
    expect(r.stdout).toContain('    PATH: prepend, delimiter ":" (BPE_PREPEND_PATH)');
    expect(r.stdout.join("\n")).not.toContain("C.UTF-8");
  });

  test("a bad BPE_ name fails the build with one line", async () => {
    await expect(runBuild(bp, { buildpackDir, platformEnv: { BPE_APPEND_: "x" } })).rejects.toThrow(
      /^BPE_APPEND_: "" is not an environment variable name/,
    );
  });
});

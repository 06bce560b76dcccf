import { fileURLToPath } from "node:url";
import { runBuild, runDetect } from "@cnbkit/framework/testing";
import { describe, expect, test } from "vitest";
import bp from "./index.js";
import { SETTINGS } from "./labels.js";

const buildpackDir = fileURLToPath(new URL("..", import.meta.url));

describe("image-labels buildpack", () => {
  test.each(SETTINGS)("detect passes with an empty plan when %s is set", async (name) => {
    const r = await runDetect(bp, { buildpackDir, platformEnv: { [name]: "x=y" } });
    expect(r.passed).toBe(true);
    expect(r.plans).toEqual([{ provides: [], requires: [] }]);
  });

  test("detect fails when none is set or all are empty", async () => {
    const r = await runDetect(bp, { buildpackDir, env: { BP_OCI_SOURCE: "", BP_OCI: "x", BP_IMAGE_LABEL: "a=b" } });
    expect(r.result).toEqual({ kind: "fail", reason: "neither BP_IMAGE_LABELS nor a BP_OCI_* variable is set" });
  });

  test("build writes the labels to launch.toml and names them in the log", async () => {
    const r = await runBuild(bp, {
      buildpackDir,
      platformEnv: { BP_OCI_SOURCE: "https://example.com/app", BP_IMAGE_LABELS: `a=b c='d e'` },
    });
    expect(r.labels).toEqual([
      { key: "org.opencontainers.image.source", value: "https://example.com/app" },
      { key: "a", value: "b" },
      { key: "c", value: "d e" },
    ]);
    expect(r.stdout).toContain("    c=d e");
  });

  test("a bad BP_IMAGE_LABELS fails the build with one line", async () => {
    await expect(runBuild(bp, { buildpackDir, platformEnv: { BP_IMAGE_LABELS: `a="b c` } })).rejects.toThrow(
      /^BP_IMAGE_LABELS: unclosed " quote at character 3 of "a=\\"b c"$/,
    );
  });
});

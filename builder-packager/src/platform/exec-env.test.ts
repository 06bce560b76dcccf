/** `--exec-env` names, and the Platform API and env the creator gets for them. */
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect, test } from "vitest";
import { creatorPlatformApi, execEnvVars, parseExecEnv, supportedPlatformApis } from "./exec-env.js";

test("an exec env name is letters, digits, '.' and '-'; anything else is one line", () => {
  for (const ok of ["production", "test", "development", "staging-2", "v1.2"]) expect(parseExecEnv(ok)).toBe(ok);
  for (const bad of ["", "dev/local", "my env", "prod*"]) {
    expect(() => parseExecEnv(bad)).toThrow(
      new RegExp(
        `^--exec-env "${bad.replace(/[*.]/g, "\\$&")}" is not an execution environment name \\(letters, digits, '\\.' and '-'\\), e\\.g\\. production, test or development$`,
      ),
    );
  }
});

test("the creator speaks 0.15 when the lifecycle lists it, else 0.14", () => {
  expect(creatorPlatformApi(["0.7", "0.14", "0.15"])).toBe("0.15");
  expect(creatorPlatformApi(["0.7", "0.13", "0.14"])).toBe("0.14");
  expect(creatorPlatformApi(undefined)).toBe("0.14");
});

test("CNB_EXEC_ENV goes to a 0.15 lifecycle; an older one builds production only, and says so for anything else", () => {
  expect(execEnvVars("test", "0.15", "oci:b")).toEqual(["CNB_EXEC_ENV=test"]);
  expect(execEnvVars("production", "0.15", "oci:b")).toEqual(["CNB_EXEC_ENV=production"]);
  expect(execEnvVars("production", "0.14", "oci:b")).toEqual([]);
  expect(() => execEnvVars("test", "0.14", "oci:old")).toThrow(
    /^--exec-env test needs Platform API 0\.15, and this build runs builder oci:old's lifecycle at 0\.14; use a builder with lifecycle 0\.21 or newer, or leave --exec-env out$/,
  );
});

test("the supported Platform APIs come from the builder label, else from the rootfs's lifecycle.toml", async () => {
  const root = await mkdtemp(join(tmpdir(), "cnbkit-exec-env-"));
  try {
    const label = JSON.stringify({ lifecycle: { apis: { platform: { supported: ["0.14", "0.15"] } } } });
    expect(await supportedPlatformApis({ "io.buildpacks.builder.metadata": label }, root)).toEqual(["0.14", "0.15"]);
    expect(await supportedPlatformApis({}, root)).toBeUndefined();
    await mkdir(join(root, "cnb/lifecycle"), { recursive: true });
    await writeFile(
      join(root, "cnb/lifecycle/lifecycle.toml"),
      '[apis.buildpack]\nsupported = ["0.12"]\n[apis.platform]\ndeprecated = []\nsupported = ["0.13", "0.14"]\n',
    );
    expect(await supportedPlatformApis({ "io.buildpacks.builder.metadata": "not json" }, root)).toEqual([
      "0.13",
      "0.14",
    ]);
  } finally {
    await rm(root, { recursive: true, force: true });
  }
});

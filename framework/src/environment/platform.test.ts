import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect, test } from "vitest";
import { buildPaths, detectPaths, readExecEnv, readPlatformEnv, readTarget } from "./platform.js";

test("target comes from CNB_TARGET_* with the machine as fallback", () => {
  expect(
    readTarget({
      CNB_TARGET_OS: "linux",
      CNB_TARGET_ARCH: "arm64",
      CNB_TARGET_ARCH_VARIANT: "v8",
      CNB_TARGET_DISTRO_NAME: "ubuntu",
      CNB_TARGET_DISTRO_VERSION: "24.04",
    }),
  ).toEqual({ os: "linux", arch: "arm64", archVariant: "v8", distro: { name: "ubuntu", version: "24.04" } });
  const local = readTarget({});
  expect(local.os).toBe(process.platform);
  expect(local.arch).toBe(process.arch === "x64" ? "amd64" : process.arch);
  expect(local.distro).toBeUndefined();
});

test("exec env defaults to production", () => {
  expect(readExecEnv({})).toBe("production");
  expect(readExecEnv({ CNB_EXEC_ENV: "" })).toBe("production");
  expect(readExecEnv({ CNB_EXEC_ENV: "test" })).toBe("test");
});

test("platform env: file names and verbatim contents; a missing dir is empty", async () => {
  const dir = await mkdtemp(join(tmpdir(), "cnbkit-platform-"));
  try {
    expect(await readPlatformEnv(dir)).toEqual({});
    await mkdir(join(dir, "env"));
    await writeFile(join(dir, "env", "BP_NODE_VERSION"), "24.x\n");
    await writeFile(join(dir, "env", "EMPTY"), "");
    expect(await readPlatformEnv(dir)).toEqual({ BP_NODE_VERSION: "24.x\n", EMPTY: "" });
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test("paths: CNB_* first, then positional arguments; buildpack dir from the script", () => {
  const script = "/cnb/buildpacks/acme_node/1.0.0/bin/detect";
  expect(detectPaths({}, ["/platform", "/tmp/plan.toml"], script, "/workspace")).toEqual({
    app: "/workspace",
    buildpack: "/cnb/buildpacks/acme_node/1.0.0",
    platform: "/platform",
    plan: "/tmp/plan.toml",
  });
  const env = {
    CNB_LAYERS_DIR: "/layers/acme_node",
    CNB_PLATFORM_DIR: "/p",
    CNB_BP_PLAN_PATH: "/bp.toml",
    CNB_BUILDPACK_DIR: "/bp",
  };
  expect(buildPaths(env, ["/ignored", "/ignored", "/ignored"], script, "/workspace")).toEqual({
    app: "/workspace",
    buildpack: "/bp",
    layers: "/layers/acme_node",
    platform: "/p",
    plan: "/bp.toml",
  });
  expect(() => buildPaths({}, ["/layers"], script)).toThrow(
    "build: CNB_PLATFORM_DIR is not set and no positional argument gives it",
  );
});

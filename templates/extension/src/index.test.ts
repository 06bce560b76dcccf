import { fileURLToPath } from "node:url";
import { removeTempDirs, runExtensionDetect, runGenerate } from "@cnbkit/framework/testing";
import { afterAll, describe, expect, test } from "vitest";
import ext from "./index.js";

// The harness's temp dirs (app, platform, output) go when this file's tests are done.
afterAll(removeTempDirs);

// Use this extension's own extension.toml (id, version).
const extensionDir = fileURLToPath(new URL("..", import.meta.url));

describe("{{id}}", () => {
  test("detect provides apt, with an alternative providing nothing when BP_APT_PACKAGES is set", async () => {
    const plain = await runExtensionDetect(ext, { extensionDir });
    expect(plain.result).toEqual({ kind: "pass", plans: [{ provides: [{ name: "apt" }] }] });
    const asked = await runExtensionDetect(ext, { extensionDir, env: { BP_APT_PACKAGES: "jq" } });
    expect(asked.result).toEqual({ kind: "pass", plans: [{ provides: [{ name: "apt" }] }, { provides: [] }] });
  });

  test("generate installs BP_APT_PACKAGES and the packages buildpacks require, as root", async () => {
    const run = await runGenerate(ext, {
      extensionDir,
      env: { BP_APT_PACKAGES: "jq" },
      requires: [{ name: "apt", metadata: { packages: ["zstd"] } }],
    });
    expect(run.buildDockerfile).toContain("USER root\n");
    expect(run.buildDockerfile).toContain("apt-get install -y --no-install-recommends jq zstd");
    expect(run.runDockerfile).toBeUndefined();
  });

  test("nothing asked for: no Dockerfile; a bad package name is one line", async () => {
    const none = await runGenerate(ext, { extensionDir });
    expect(none.buildDockerfile).toBeUndefined();
    await expect(runGenerate(ext, { extensionDir, env: { BP_APT_PACKAGES: "jq; rm -rf /" } })).rejects.toThrow(
      'BP_APT_PACKAGES: "jq;" is not a Debian package name',
    );
    await expect(
      runGenerate(ext, { extensionDir, requires: [{ name: "apt", metadata: { packages: ["$(id)"] } }] }),
    ).rejects.toThrow(`a buildpack's apt requirement: "$(id)" is not a Debian package name`);
  });
});

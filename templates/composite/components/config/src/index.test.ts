import { fileURLToPath } from "node:url";
import { removeTempDirs, runBuild } from "@cnbkit/framework/testing";
import { afterAll, expect, test } from "vitest";
import bp from "./index.js";

// The harness's temp dirs (app, layers, platform) go when this file's tests are done.
afterAll(removeTempDirs);

const buildpackDir = fileURLToPath(new URL("..", import.meta.url));

test("APP_ENV defaults to production and follows BP_APP_ENV", async () => {
  const plain = await runBuild(bp, { buildpackDir });
  expect(plain.launchEnv().APP_ENV).toBe("production");
  const staging = await runBuild(bp, { buildpackDir, platformEnv: { BP_APP_ENV: "staging" } });
  expect(staging.buildEnv().APP_ENV).toBe("staging");
  expect(staging.launchEnv().APP_ENV).toBe("staging");
});

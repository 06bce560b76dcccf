import { fileURLToPath } from "node:url";
import { removeTempDirs, runBuild, runDetect } from "@cnbkit/framework/testing";
import { afterAll, describe, expect, test } from "vitest";
import bp from "./index.js";

// The harness's temp dirs (app, layers, platform) go when this file's tests are done.
afterAll(removeTempDirs);

const buildpackDir = fileURLToPath(new URL("..", import.meta.url));

describe("org-defaults", () => {
  test("detect always passes, with an empty plan", async () => {
    const r = await runDetect(bp, { buildpackDir, app: {} });
    expect(r.plans).toEqual([{ provides: [], requires: [] }]);
  });

  test("BP_ORG_ENV_* become launch env defaults and BP_ORG_LABEL_* image labels", async () => {
    const run = await runBuild(bp, {
      buildpackDir,
      platformEnv: {
        BP_ORG_ENV_TZ: "UTC",
        BP_ORG_ENV_OTEL_EXPORTER_OTLP_ENDPOINT: "http://otel.internal:4318",
        BP_ORG_LABEL_ORG_OPENCONTAINERS_IMAGE_VENDOR: "Acme",
        BP_ORG_LABEL_COM_ACME_TEAM: "payments",
      },
    });
    expect(run.labels).toEqual([
      { key: "com.acme.team", value: "payments" },
      { key: "org.opencontainers.image.vendor", value: "Acme" },
    ]);
    const launch = run.launchEnv("web");
    expect(launch.TZ).toBe("UTC");
    expect(launch.OTEL_EXPORTER_OTLP_ENDPOINT).toBe("http://otel.internal:4318");
    // A default: the app's own environment wins.
    expect(run.launchEnv("web", { TZ: "Europe/Paris" }).TZ).toBe("Europe/Paris");
    // Names are logged, values are not.
    expect(run.stdout.join("\n")).toContain("App environment: OTEL_EXPORTER_OTLP_ENDPOINT, TZ");
    expect(run.stdout.join("\n")).not.toContain("otel.internal");
  });

  test("without settings, no layer and no labels", async () => {
    const run = await runBuild(bp, { buildpackDir });
    expect(run.labels).toEqual([]);
    expect(() => run.layer("org-env")).toThrow(/no layer "org-env"/);
  });

  test("a setting without a name is one line naming it", async () => {
    await expect(runBuild(bp, { buildpackDir, platformEnv: { BP_ORG_ENV_: "x" } })).rejects.toThrow(
      "BP_ORG_ENV_: expected BP_ORG_ENV_<NAME>, e.g. BP_ORG_ENV_TZ",
    );
  });
});
